"""Two writers on the same task version: one wins, the other gets Conflict (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from tests.conftest import load_cast, make_cast
from thuocdo.core.errors import Conflict
from thuocdo.org.models import Unit
from thuocdo.work import services

from .conftest import D, at, build_work


def test_two_concurrent_writers_one_wins_the_other_conflicts(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE); the row-lock race needs "
            "PostgreSQL: set DATABASE_URL"
        )
    if not Unit.objects.filter(code="BA").exists():  # an earlier flush removed the cast
        make_cast()
    cast = load_cast()
    work = build_work(cast)
    task = work.assign(kind="arising", product=None)
    version = task.version
    locked = threading.Event()
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                services.task_transition(
                    actor=cast.user("staff_x"),
                    task=task,
                    action="start",
                    expected_version=version,
                    at=at(D(2026, 1, 6)),
                )
                locked.set()
                time.sleep(0.5)  # hold the row lock while the second writer arrives
            outcome["first"] = "ok"
        except Exception as error:  # pragma: no cover - reported below
            outcome["first"] = error
        finally:
            locked.set()
            connection.close()

    def second() -> None:
        locked.wait(5)
        started = time.monotonic()
        try:
            services.task_transition(
                actor=cast.user("head_x"),
                task=task,
                action="cancel",
                reason="Không cần nữa",
                expected_version=version,
                at=at(D(2026, 1, 6)),
            )
            outcome["second"] = "ok"
        except Exception as error:
            outcome["second"] = error
        finally:
            outcome["waited"] = time.monotonic() - started
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome["first"] == "ok"
    assert isinstance(outcome["second"], Conflict), outcome["second"]
    assert outcome["waited"] > 0.2  # it waited for the lock instead of reading stale data
    task.refresh_from_db()
    assert (task.state, task.version) == ("in_progress", version + 1)
