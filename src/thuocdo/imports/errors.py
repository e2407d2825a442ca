"""What an import reports: every broken rule with its row, column and value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from thuocdo.core.errors import ValidationFailed


@dataclass(frozen=True)
class RowError:
    """One broken rule. `row` is the row number Excel shows (None for the whole file)."""

    row: int | None
    column: str  # the Vietnamese header, as in the template
    column_en: str
    value: str
    rule_vi: str
    rule_en: str

    def rule(self, language: str | None) -> str:
        return self.rule_en if (language or "vi").startswith("en") else self.rule_vi

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RowError:
        return cls(**{name: data.get(name, "") for name in cls.__dataclass_fields__})


def file_error(rule_vi: str, rule_en: str) -> RowError:
    """A problem with the file as a whole (not an xlsx, no sheet, missing headers…)."""
    return RowError(row=None, column="", column_en="", value="", rule_vi=rule_vi, rule_en=rule_en)


class FileRejected(ValidationFailed):
    """The file cannot be read as this kind of import; nothing was written."""

    def __init__(self, rule_vi: str, rule_en: str) -> None:
        super().__init__(rule_vi, rule_en, field="file")


class ImportRefused(ValidationFailed):
    """Raised by `apply` when the plan has errors or a write was refused; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        count = len(errors)
        super().__init__(
            f"Tệp có {count} lỗi; chưa ghi dữ liệu nào.",
            f"The file has {count} error(s); nothing was written.",
            field="file",
        )
        self.errors = errors
