"""A refusal of a framework edit, each message next to the form field it concerns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thuocdo.core.errors import ValidationFailed


@dataclass(frozen=True)
class FieldError:
    """One refusal, next to the form field it concerns ("" = the form as a whole)."""

    field: str
    message_vi: str
    message_en: str

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "vi").startswith("en") else self.message_vi


class DraftRefused(ValidationFailed):
    """An edit the engine (or a drafting rule) refuses: every error with its field.

    ``field``/``message_vi``/``message_en`` are the first error's, so a caller that reads
    one error (`web.actions.attempt`) still shows it next to its field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        first = errors[0]
        super().__init__(
            "\n".join(e.message_vi for e in errors),
            "\n".join(e.message_en for e in errors),
            field=first.field,
        )
        self.errors: tuple[FieldError, ...] = tuple(errors)
