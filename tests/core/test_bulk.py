"""core.bulk.build and insert_objects: what they make and store is what the ORM would."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from thuocdo.core import clock
from thuocdo.core.bulk import build, insert_objects, update_rows
from thuocdo.core.memory import collector_paused
from thuocdo.jobs.models import Job
from thuocdo.work.models import Task

pytestmark = pytest.mark.django_db


def _values(cast: Cast, title: str) -> dict[str, Any]:
    today = clock.today()
    return {
        "agency": cast.agency_a,
        "unit": cast.unit_x,
        "kind": Task.Kind.ARISING,
        "title": title,
        "search_title": title.lower(),
        "assigner": cast.person("head_x"),
        "owner_id": cast.person("staff_x").pk,
        "quantity": Decimal("2.50"),
        "deadline": today + dt.timedelta(days=9),
        "effective_deadline": today + dt.timedelta(days=9),
        "assigned_on": today,
    }


def _fields(instance: Task) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in Task._meta.concrete_fields}


def test_build_makes_what_the_constructor_makes(cast: Cast) -> None:
    values = _values(cast, "Báo cáo tổng kết năm")
    built, made = build(Task, **values), Task(**values)
    assert _fields(built) == _fields(made)
    assert built.pk is None and built._state.adding and built._state.db is None
    assert built.state == Task.State.ASSIGNED and built.version == 1  # defaults
    with CaptureQueriesContext(connection) as queries:  # a related object given is cached
        assert built.assigner == cast.person("head_x")
        assert built.unit == cast.unit_x
    assert len(queries) == 0


def test_build_refuses_an_unknown_field(cast: Cast) -> None:
    with pytest.raises(TypeError, match="Task has no field"):
        build(Task, **_values(cast, "x"), colour="đỏ")


def test_insert_objects_stores_what_bulk_create_would(cast: Cast) -> None:
    tasks = [build(Task, **_values(cast, f"Nhiệm vụ số {i}")) for i in range(3)]
    before = clock.now()
    with transaction.atomic():
        insert_objects(tasks, ids=True)
    assert all(task.pk is not None and not task._state.adding for task in tasks)
    for task in tasks:
        stored = Task.objects.get(pk=task.pk)
        assert stored.title == task.title and stored.quantity == Decimal("2.50")
        assert stored.owner_id == cast.person("staff_x").pk
        assert stored.created_at >= before and stored.updated_at >= before  # auto_now stamped


def test_update_rows_stores_json_as_the_orm_does() -> None:
    """JSON values (on PostgreSQL sent as the text Django's adapter would send; one object
    in two columns of a row encoded once) read back as the ORM would have written them."""
    first = Job.objects.create(kind="test.bulk", title="Một")
    second = Job.objects.create(kind="test.bulk", title="Hai")
    shared = {"nhiệm vụ": [1, "2,5", None, True, 0.5], "đơn vị": {"mã": "X"}}
    with transaction.atomic():
        written = update_rows(
            Job,
            ["params", "result", "done"],
            [(first.pk, shared, shared, 3), (second.pk, "chuỗi", [], 4)],
        )
    assert written == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.params, first.result, first.done) == (shared, shared, 3)
    assert (second.params, second.result, second.done) == ("chuỗi", [], 4)
    # stored as JSON, not as a string holding JSON: the database reads inside it
    assert Job.objects.filter(params__has_key="đơn vị").get() == first
    assert Job.objects.filter(result__has_key="nhiệm vụ").get() == first


def _fail_while_paused() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer block resumes it
            pass
        assert not gc.isenabled()
        raise RuntimeError("the block failed")


def test_the_collector_pauses_for_the_block_and_resumes_after_it() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="the block failed"):
        _fail_while_paused()
    assert gc.isenabled()
