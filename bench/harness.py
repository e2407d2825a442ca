"""What the database benches share: a throw-away test database next to DATABASE_URL's
(an SQLite file when unset) with the shipped frameworks loaded, and timing a piece of work
inside a transaction that is then rolled back, so every run starts from the same rows."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))


class _Rollback(Exception):
    pass


def setup_django(tmp: Path, name: str) -> str:
    """Creates the bench's database (`test_bench_<name>_<pid>` on PostgreSQL) and returns
    where it is, for the table's heading."""
    os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_TEST_NAME"] = f"test_bench_{name}_{os.getpid()}"
    else:
        os.environ["DATABASE_TEST_NAME"] = str(tmp / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    call_command("load_presets", verbosity=0)
    return f"{connection.vendor} {connection.settings_dict['NAME']}"


def teardown_django() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def rolled_back(work: Callable[[], Any]) -> float:
    """Seconds `work` takes inside a transaction that is then rolled back."""
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            work()
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds
