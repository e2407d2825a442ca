from __future__ import annotations

from typing import Any, Generic, TypeVar

from ninja import Schema

T = TypeVar("T")
MAX_ID = 2**63 - 1  # BigAutoField; larger ints overflow SQLite before any query runs


class Problem(Schema):
    detail: str
    field: str = ""


class FieldProblem(Schema):
    field: str
    message: str


class ValidationProblem(Problem):
    """422: the parameters or body broke the schema; `errors` names each field."""

    errors: list[FieldProblem] = []


# What every operation can answer besides its success: 400 (a NUL character in any
# parameter, a body that is not JSON), 401 (no or bad token), 403 (scope missing),
# 422 (a parameter or field against the schema: `offset=null`, `updated_since=0.5`…),
# 429 (over the client's rate, or too many wrong tokens from the address; Retry-After).
COMMON_ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    422: ValidationProblem,
    429: Problem,
}
NOT_FOUND: dict[int, Any] = {404: Problem}
# Writes also answer 409 (stale version, clash, key reused) and 413 (body too large).
WRITE_ERRORS: dict[int, Any] = {**COMMON_ERRORS, **NOT_FOUND, 409: Problem, 413: Problem}


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


class UnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    depth: int


class JobPositionOut(Schema):
    id: int
    code: str
    name: str
    description: str
    unit_id: int | None
    is_leadership: bool


class AssignmentOut(Schema):
    unit_id: int
    unit_code: str
    job_position_code: str | None
    role: str
    title: str
    assigned_fields: list[str]
    start_date: str
    end_date: str | None
    is_concurrent: bool


class PersonOut(Schema):
    id: int
    code: str
    full_name: str
    category: str
    email: str
    is_active: bool
    assignments: list[AssignmentOut]
