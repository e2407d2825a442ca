"""Errors that services and access helpers raise; views turn them into pages or JSON.

Every message is Vietnamese first (the UI language) with an English twin.
"""

from __future__ import annotations


class ThuocDoError(Exception):
    status = 400

    def __init__(self, message_vi: str, message_en: str = "", *, field: str = "") -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en or message_vi
        self.field = field

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "vi").startswith("en") else self.message_vi


class NotFound(ThuocDoError):
    status = 404


class AccessDenied(ThuocDoError):
    status = 403


class ValidationFailed(ThuocDoError):
    status = 400


class Conflict(ThuocDoError):
    """A stale edit or a clash with existing data."""

    status = 409
