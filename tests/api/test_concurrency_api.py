"""Two API writers at once on PostgreSQL: one wins, the other gets 409; a retried create with
the same Idempotency-Key racing the first one still makes one task."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.api.conftest import Api
from tests.conftest import Cast, load_cast, make_cast
from tests.work.conftest import Work, build_work
from thuocdo.api.services import client_create
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.org.models import Unit
from thuocdo.work import services
from thuocdo.work.models import Task

SOON = clock.today() + dt.timedelta(days=10)
SLOW = "slow-writer"


@pytest.fixture
def race(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Work, Api]:
    if connection.vendor != "postgresql":
        reason = (
            "SQLite serialises writers (one write transaction at a time), so two API writers "
            "cannot race on a row lock; run with DATABASE_URL=postgres://… to test it"
        )
        print(f"\nSKIPPED: {reason}")
        pytest.skip(reason)
    if not Unit.objects.filter(code="BA").exists():  # an earlier flush removed the cast
        make_cast()
    cast: Cast = load_cast()
    work = build_work(cast)
    _, token = client_create(
        actor=None,
        agency=cast.agency_a,
        name="Hệ thống văn bản A",
        scopes=["tasks:read", "tasks:write"],
        act_for_units=["BA"],
    )
    # The slow writer holds its transaction (and the task's row lock) a while after its
    # first write, so the other writer arrives while it is still open.
    original = services._event

    def slow_event(*args: Any, **kwargs: Any) -> Any:
        event = original(*args, **kwargs)
        if threading.current_thread().name == SLOW:
            STARTED.set()
            time.sleep(0.6)
        return event

    monkeypatch.setattr(services, "_event", slow_event)
    STARTED.clear()
    return work, Api(token)


STARTED = threading.Event()


def run_both(slow: Callable[[], Any], fast: Callable[[], Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def call(name: str, action: Callable[[], Any]) -> None:
        try:
            if name == "fast":
                STARTED.wait(5)
            started = time.monotonic()
            outcome[name] = action()
            outcome[f"{name}_seconds"] = time.monotonic() - started
        except Exception as error:  # pragma: no cover - shown by the assertions
            outcome[name] = error
        finally:
            STARTED.set()
            connection.close()

    threads = [
        threading.Thread(target=call, args=("slow", slow), name=SLOW),
        threading.Thread(target=call, args=("fast", fast), name="fast-writer"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return outcome


def test_two_writers_with_the_same_version_one_wins_the_other_gets_409(
    race: tuple[Work, Api],
) -> None:
    work, api = race
    task = services.task_assign(
        actor=work.cast.user("head_x"),
        owner=work.cast.person("staff_x"),
        title="Bản gốc",
        kind="arising",
        deadline=SOON,
    )
    head = work.cast.person("head_x").code

    def edit(title: str) -> Callable[[], Any]:
        return lambda: api.patch(
            f"/tasks/{task.pk}",
            {"acting_person_code": head, "title": title},
            HTTP_IF_MATCH=f'"{task.version}"',
        )

    outcome = run_both(edit("Bản của người thứ nhất"), edit("Bản của người thứ hai"))
    assert outcome["slow"].status_code == 200, outcome["slow"].content
    assert outcome["fast"].status_code == 409, outcome["fast"].content
    assert "thay đổi" in outcome["fast"].json()["detail"]
    assert outcome["fast_seconds"] > 0.3  # it waited for the row lock, then saw the new version
    task.refresh_from_db()
    assert (task.title, task.version) == ("Bản của người thứ nhất", 2)
    assert AuditEntry.objects.filter(action="work.task.update", object_id=str(task.pk)).count() == 1


def test_a_retry_racing_the_first_create_makes_one_task(race: tuple[Work, Api]) -> None:
    work, api = race
    payload = {
        "assigner_code": work.cast.person("head_x").code,
        "owner_code": work.cast.person("staff_x").code,
        "title": "Công văn gửi Bộ",
        "kind": "arising",
        "deadline": SOON.isoformat(),
    }

    def send() -> Any:
        return api.post("/tasks", payload, HTTP_IDEMPOTENCY_KEY="race-1")

    outcome = run_both(send, send)
    assert (outcome["slow"].status_code, outcome["fast"].status_code) == (201, 201)
    assert outcome["fast"].json() == outcome["slow"].json()
    # Both write a task for the same owner and month: the fast writer's insert waits on the
    # owner's kept task facts row (work_taskfacts), which the slow writer's uncommitted task
    # holds, so the slow one stores the key first. The fast one, holding a task of its own
    # by then, hits the unique key, rolls its task and audit entry back and replays the
    # winner's answer.
    replayed = [outcome[n].get("Idempotent-Replayed") for n in ("slow", "fast")]
    assert replayed == [None, "true"]
    assert Task.objects.filter(title="Công văn gửi Bộ").count() == 1
    assert AuditEntry.objects.filter(action="work.task.assign").count() == 1
