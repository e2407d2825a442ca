from __future__ import annotations

from typing import Generic, TypeVar

from ninja import Schema

T = TypeVar("T")
MAX_ID = 2**63 - 1  # BigAutoField; larger ints overflow SQLite before any query runs


class Problem(Schema):
    detail: str
    field: str = ""


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
