"""Validation issues and the errors that carry them (bilingual, with a path)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FrameworkError", "InputError", "Issue", "ScenarioError", "ScoringError"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule: where (``path``), which rule (``rule``), and why, in both languages."""

    path: str
    rule: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "rule": self.rule,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }

    def __str__(self) -> str:
        return f"{self.path or '$'}: [{self.rule}] {self.message_en} / {self.message_vi}"


class ScoringError(ValueError):
    """Base class: a list of issues, all found in one pass."""

    kind_en = "invalid data"
    kind_vi = "dữ liệu không hợp lệ"

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [f"{self.kind_en} ({len(self.issues)} issue(s)):"]
        lines.extend(f"  - {issue}" for issue in self.issues)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "error": self.kind_en,
            "error_vi": self.kind_vi,
            "issues": [issue.as_dict() for issue in self.issues],
        }


class FrameworkError(ScoringError):
    """The framework (or a criteria set derived from it) breaks a rule of the schema."""

    kind_en = "invalid framework"
    kind_vi = "khung tiêu chí không hợp lệ"


class InputError(ScoringError):
    """A person's or unit's period inputs break a rule of the framework."""

    kind_en = "invalid inputs"
    kind_vi = "dữ liệu đầu vào không hợp lệ"


class ScenarioError(ScoringError):
    """A scenario document breaks a rule of the scenario format."""

    kind_en = "invalid scenario"
    kind_vi = "kịch bản không hợp lệ"
