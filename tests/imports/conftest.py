"""Helpers for import tests: workbooks built in memory; jobs run where they are queued."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import Cast
from thuocdo.imports.framework import Plan, plan
from thuocdo.imports.people import COLUMNS, PeopleKind
from thuocdo.org.models import Unit

HEADERS = [column.template_header for column in COLUMNS]
KIND = PeopleKind()


def xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    headers: Sequence[Any] | None = None,
    sheet: str = "Cán bộ",
    leading: Sequence[Sequence[Any]] = (),
) -> io.BytesIO:
    book = Workbook()
    data = book.active
    assert data is not None
    data.title = sheet
    for line in leading:
        data.append(list(line))
    data.append(list(HEADERS if headers is None else headers))
    for row in rows:
        data.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def person_row(
    code: str = "N001",
    name: str = "Trần Thị Mới",
    *,
    gender: Any = "Nữ",
    birth: Any = "15/03/1990",
    category: Any = "Công chức",
    email: Any = "",
    unit: Any = "X",
    job: Any = "",
    role: Any = "Không giữ chức vụ lãnh đạo",
    title: Any = "",
    fields: Any = "",
    start: Any = "01/02/2025",
) -> list[Any]:
    return [code, name, gender, birth, category, email, unit, job, role, title, fields, start]


def plan_of(buffer: io.BytesIO, agency: Unit, **kwargs: Any) -> Plan:
    buffer.seek(0)
    return plan(KIND, buffer, agency, file_name="thu.xlsx", **kwargs)


def errors_of(result: Plan) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in result.errors]


D = dt.date


@pytest.fixture
def agency(cast: Cast) -> Unit:
    return cast.agency_a
