"""The kept task facts (`work_taskfacts`, kept by triggers) against the tasks themselves,
after writes by every path: services, bulk inserts, QuerySet.update, deletes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from thuocdo.scoring import aggregate_tasks, load_preset
from thuocdo.work import facts_triggers, services
from thuocdo.work.models import Task, TaskEvent, TaskFacts
from thuocdo.work.selectors import DateRange, _kept_groups, _task_groups, task_facts, task_lines

from .conftest import D, Work

DECREE = load_preset("decree-335-2025")
JANUARY, FEBRUARY = DateRange.month(2026, 1), DateRange.month(2026, 2)
QUARTER = DateRange.quarter(2026, 1)


def groups(rows: Any) -> dict[tuple[Any, ...], tuple[Decimal, Decimal, int]]:
    return {
        (r["owner_id"], r["kind"], bool(r["is_extra"]), r["f"], r["lt"]): (
            Decimal(r["sum_w"] or 0),
            Decimal(r["sum_done"] or 0),
            r["n"],
        )
        for r in rows
    }


def kept_table() -> list[tuple[Any, ...]]:
    return sorted(
        TaskFacts.objects.values_list(
            "owner_id", "month", "pending", "due", "kind", "extra", "f", "lt", "w", "done", "n"
        )
    )


def assert_in_step(people: list[int]) -> None:
    """Every span and counting day reads the same from the kept rows as from the tasks,
    and the incrementally kept table is the one a refill computes."""
    assert TaskFacts.objects.exists()
    for span in (JANUARY, FEBRUARY, QUARTER):
        for as_of in (None, D(2026, 1, 12), D(2026, 2, 3)):
            kept = groups(_kept_groups(people, span, as_of))
            direct = groups(_task_groups(people, span, as_of))
            assert kept == direct, (span, as_of)
    assert not TaskFacts.objects.filter(n__lte=0).exists()
    incremental = kept_table()
    facts_triggers.refill(connection)
    assert kept_table() == incremental


def life(work: Work) -> list[Task]:
    """Tasks of staff_x and staff_y moved through the steps that change what counts."""
    done = work.assign(product="BC", deadline=D(2026, 1, 20))
    done = work.act(done, "submit", on=D(2026, 1, 15))
    work.act(done, "accept", by="head_x", on=D(2026, 1, 16))

    returned = work.assign(product="CV", quantity="3", deadline=D(2026, 1, 10))
    returned = work.act(returned, "submit", on=D(2026, 1, 12))  # a delay
    returned = work.act(returned, "return", by="head_x", on=D(2026, 1, 13), reason="Sai")
    exemption = services.exemption_request(
        actor=work.cast.user("staff_x"),
        event=TaskEvent.objects.get(task=returned, action="return"),
        reason="Văn bản gốc sai",
    )
    services.exemption_decide(
        actor=work.cast.user("head_x"),
        exemption=exemption,
        approve=True,
        reason="Đã xác minh",
        expected_version=returned.version,
    )
    open_ = work.assign(product="TD", kind=Task.Kind.ARISING, deadline=D(2026, 1, 25))
    extra = work.assign(
        product="DX", kind=Task.Kind.ARISING, extra=Task.Extra.OUTSIDE_PLAN, deadline=D(2026, 2, 2)
    )
    cancelled = work.assign(
        owner="staff_x1", kind=Task.Kind.ARISING, product="CV", deadline=D(2026, 1, 8)
    )
    work.act(cancelled, "cancel", by="head_x", on=D(2026, 1, 7), reason="Không còn cần")
    other = work.assign(
        owner="staff_x1",
        kind=Task.Kind.ARISING,
        product="CV",
        quantity="2",
        deadline=D(2026, 2, 10),
    )
    return [done, returned, open_, extra, cancelled, other]


def test_services_keep_the_facts_in_step(work: Work) -> None:
    life(work)
    people = [work.cast.person("staff_x").pk, work.cast.person("staff_x1").pk]
    assert_in_step(people)
    # and the engine's facts from the kept rows are its per-task path's
    for person in (work.cast.person("staff_x"), work.cast.person("staff_x1")):
        for span in (JANUARY, FEBRUARY):
            lines = task_lines(person, span)
            assert task_facts([person.pk], span, DECREE).get(person.pk, {}) == aggregate_tasks(
                DECREE, lines
            )


def test_bulk_writes_updates_and_deletes_keep_the_facts_in_step(work: Work) -> None:
    tasks = life(work)
    x, y = work.cast.person("staff_x"), work.cast.person("staff_x1")
    template = Task.objects.get(pk=tasks[2].pk)
    clones = []
    for i in range(12):
        clone = Task.objects.get(pk=template.pk)
        clone.pk = None
        clone.title = f"Bản sao {i}"
        clone.effective_deadline = clone.deadline = D(2026, 1, 1 + 2 * i)
        clone.quantity = Decimal("1.25") * (i + 1)
        clones.append(clone)
    Task.objects.bulk_create(clones)
    assert_in_step([x.pk, y.pk])

    # many rows moved in one statement: owner, month, state, counters
    Task.objects.filter(title__startswith="Bản sao", effective_deadline__day__lt=10).update(owner=y)
    Task.objects.filter(title__startswith="Bản sao 1").update(
        state=Task.State.ACCEPTED,
        done_quantity=Decimal("1"),
        completed_on=D(2026, 2, 1),
        failures=2,
        delays=1,
    )
    Task.objects.filter(title="Bản sao 3").update(effective_deadline=D(2026, 3, 31))
    Task.objects.filter(title="Bản sao 5").update(state=Task.State.CANCELLED)
    assert_in_step([x.pk, y.pk])

    before = kept_table()
    Task.objects.filter(title__startswith="Bản sao").update(title="Đổi tên")
    assert kept_table() == before  # a title moves nothing

    Task.objects.filter(title="Đổi tên", owner=y).delete()
    assert_in_step([x.pk, y.pk])


def test_a_refill_repairs_the_table(work: Work) -> None:
    life(work)
    x = work.cast.person("staff_x")
    expected = kept_table()
    TaskFacts.objects.filter(owner=x).update(n=99)
    facts_triggers.refill(connection)
    assert kept_table() == expected


@pytest.mark.parametrize("span", [JANUARY, QUARTER])
def test_an_unaligned_span_reads_the_tasks(work: Work, span: DateRange) -> None:
    life(work)
    people = [work.cast.person("staff_x").pk]
    inside = DateRange(span.start + dt.timedelta(days=1), span.end)
    assert not inside.month_aligned and span.month_aligned
    TaskFacts.objects.all().delete()  # only the tasks can answer now
    facts = task_facts(people, inside, DECREE)
    assert facts  # read from the tasks
    assert task_facts(people, span, DECREE) == {}  # read from the (emptied) kept rows
