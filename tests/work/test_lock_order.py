"""Many writers on the people of one unit: no deadlock, no lost update (PostgreSQL).

Issue 16, point 1: creates and start transitions from 16 clients answered 500 with
`DeadlockDetected` on `org_unit` and `work_livestamp`. The lock order every task write
follows is in docs/locking.md; this test runs the mix that broke it.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import START, Cast
from tests.threads import run_at_once
from thuocdo.core.origin import origin_scope
from thuocdo.org import services as org
from thuocdo.org.models import Assignment, Person
from thuocdo.work import live, services
from thuocdo.work.models import LiveMonth, LiveStamp, Task, TaskEvent
from thuocdo.work.selectors import DateRange

from .conftest import D, Work, at

THREADS = 16
ROUNDS = 5  # per thread: create, start, every other round an update, and reads
JANUARY = DateRange.month(2026, 1)
COUNTING_DAY = D(2026, 1, 31)


def _staff(cast: Cast, count: int) -> list[Person]:
    """The unit's staff: staff_x and deputy_x, and `count` more officials of unit X."""
    people = [cast.person("staff_x"), cast.person("deputy_x")]
    with origin_scope("cli:test"):
        for index in range(count):
            person = org.person_create(
                actor=None,
                agency=cast.agency_a,
                code=f"LK{index:03d}",
                full_name=f"Trần Thị Khoá {index}",
                category=Person.Category.CIVIL_SERVANT,
            )
            org.assignment_start(
                actor=None,
                person=person,
                unit=cast.unit_x,
                role=Assignment.Role.STAFF,
                start_date=START,
                job_position=cast.job_x,
            )
            org.person_set_login(actor=None, person=person, username=f"lk{index}", password=None)
            people.append(person)
    return people


def test_sixteen_writers_on_one_unit_neither_deadlock_nor_lose_an_update(
    cast_committed: Cast,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE), so it cannot deadlock; the lock "
            "order needs PostgreSQL: set DATABASE_URL"
        )
    cast = cast_committed
    people = _staff(cast, 6)
    ids = sorted(p.pk for p in people)
    head = cast.user("head_x")
    users = {p.pk: p.user for p in Person.objects.filter(pk__in=ids).select_related("user")}
    barrier = threading.Barrier(THREADS)
    errors: list[tuple[int, str, BaseException]] = []
    done: dict[int, list[tuple[int, int, str]]] = {}  # thread → [(task id, version, title)]

    def client(number: int) -> None:
        rng = random.Random(number)
        mine: list[tuple[int, int, str]] = []
        step = "wait"
        try:
            barrier.wait(60)
            for round_ in range(ROUNDS):
                owner = people[rng.randrange(len(people))]
                step = "create"
                task = services.task_assign(
                    actor=head,
                    owner=owner,
                    title=f"Việc {number}.{round_}",
                    kind=Task.Kind.ARISING,
                    deadline=D(2026, 1, 20),
                    at=at(D(2026, 1, 5)),
                )
                step = "start"
                task = services.task_transition(
                    actor=users[owner.pk],
                    task=task,
                    action="start",
                    expected_version=task.version,
                    at=at(D(2026, 1, 6)),
                )
                title = task.title
                if round_ % 2:
                    step = "update"
                    title = f"Việc {number}.{round_} (sửa)"
                    task = services.task_update(
                        actor=head, task=task, expected_version=task.version, title=title
                    )
                mine.append((task.pk, task.version, title))
                step = "read"
                shuffled = ids[:]
                rng.shuffle(shuffled)  # readers ask in any order
                live.live_points(shuffled, [JANUARY], today=COUNTING_DAY)
                Task.objects.filter(unit=cast.unit_x, owner_id__in=ids).count()
        except BaseException as error:  # every failure is reported, none lost in a thread
            errors.append((number, step, error))
        finally:
            done[number] = mine
            connection.close()

    run_at_once(client, THREADS, timeout=300)
    assert errors == [], f"{len(errors)} of {THREADS} clients failed:\n" + "\n".join(
        f"client {n} at {s}: {e!r}" for n, s, e in errors[:10]
    )

    # 0 lost updates: every write is there, with its version and its events.
    written = [row for rows in done.values() for row in rows]
    assert len(written) == THREADS * ROUNDS
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=[pk for pk, _, _ in written])}
    assert len(tasks) == THREADS * ROUNDS
    for pk, version, title in written:
        task = tasks[pk]
        assert (task.state, task.version, task.title) == ("in_progress", version, title)
    events = Counter(TaskEvent.objects.filter(task_id__in=tasks).values_list("task_id", flat=True))
    assert all(events[pk] == version for pk, version, _ in written)

    # Live stamps: every owner has one, and a kept row that reads as fresh counts every
    # task of its owner (a row computed before a write is never kept under the new token).
    owners = {t.owner_id for t in tasks.values()}
    assert owners <= set(LiveStamp.objects.values_list("person_id", flat=True))
    kept = live.live_points(ids, [JANUARY], today=COUNTING_DAY)[JANUARY]
    LiveMonth.objects.filter(person_id__in=ids).delete()
    recounted = live.live_points(ids, [JANUARY], today=COUNTING_DAY)[JANUARY]
    per_owner = Counter(t.owner_id for t in tasks.values())
    for pid in ids:
        assert (kept[pid].counted, kept[pid].points) == (
            recounted[pid].counted,
            recounted[pid].points,
        ), pid
        assert recounted[pid].counted == per_owner[pid], pid


def test_a_task_write_locks_its_own_rows_only_in_the_documented_order(work: Work) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (one writer at a time): set DATABASE_URL")
    task = work.assign()
    with CaptureQueriesContext(connection) as seen:
        work.act(task, "start")
        live.touch_agency(work.cast.agency_a.pk)
    sql = [q["sql"] for q in seen.captured_queries]
    locks = [(i, q) for i, q in enumerate(sql) if " FOR UPDATE" in q or " FOR NO KEY" in q]
    # a lock on a join names its own table: never the unit, agency or person joined
    assert all(" OF " in q[q.rindex(" FOR ") :] for _, q in locks if " JOIN " in q), locks
    on_task = [(i, q) for i, q in locks if q.split(" FROM ", 1)[1].startswith('"work_task"')]
    on_stamps = [(i, q) for i, q in locks if q.split(" FROM ", 1)[1].startswith('"work_livestamp"')]
    # the task alone, FOR NO KEY UPDATE: not the unit joined for the permission check
    assert len(on_task) == 1 and 'FOR NO KEY UPDATE OF "work_task"' in on_task[0][1], on_task
    # the agency's stamps alone (not the people joined to find them), in person id order
    assert len(on_stamps) == 1 and on_stamps[0][1].endswith(
        'ORDER BY "work_livestamp"."person_id" ASC FOR UPDATE OF "work_livestamp"'
    ), on_stamps
    # the transition's own stamp upsert is its last statement, after the task's update
    update = next(i for i, q in enumerate(sql) if q.startswith('UPDATE "work_task"'))
    upsert = next(i for i, q in enumerate(sql) if q.startswith('INSERT INTO "work_livestamp"'))
    assert on_task[0][0] < update < upsert < on_stamps[0][0]
    assert all(not q.startswith(("INSERT", "UPDATE")) for q in sql[upsert + 1 : on_stamps[0][0]])
