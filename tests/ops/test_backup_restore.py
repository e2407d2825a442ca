"""Issue 17, point 3: `backup` then `restore` into an empty database gives back every row
of every table, the audit chain intact; a restore never writes into a database with data.

The commands run as an operator runs them: separate processes on their own databases (a
file on SQLite; two fresh databases on the PostgreSQL server of DATABASE_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import thuocdo

SRC = Path(thuocdo.__file__).resolve().parents[1]
COUNTS = (
    "import json, django; django.setup(); from thuocdo.core.backup import table_counts; "
    "print(json.dumps(table_counts()))"
)


def manage(url: str, var: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "VAR_DIR": str(var),
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "thuocdo.manage", *args]
    if args and args[0] == "--counts":
        command = [sys.executable, "-c", COUNTS]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def round_trip(source: str, target: str, tmp: Path) -> None:
    var = tmp / "var"
    manage(source, var, "migrate", "-v0")
    manage(source, var, "load_presets")
    manage(source, var, "load_demo", "--no-work")
    archive = tmp / "ban-sao-luu.tar.gz"
    made = manage(source, var, "backup", str(archive))
    assert "Đã sao lưu" in made.stdout
    assert archive.stat().st_mode & 0o077 == 0  # only its owner reads it
    before = json.loads(manage(source, var, "--counts").stdout)
    assert before["org_person"] > 140 and before["audit_auditentry"] > 0

    restored = manage(target, var, "restore", str(archive))
    assert "khớp bản sao lưu" in restored.stdout, restored.stdout
    assert "Nhật ký nguyên vẹn" in restored.stdout, restored.stdout
    after = json.loads(manage(target, var, "--counts").stdout)
    assert after == before
    # the restored install works: its migrations are all there and it answers a check
    assert "No planned migration operations" in manage(target, var, "migrate", "--plan").stdout

    again = manage(target, var, "restore", str(archive), check=False)
    assert again.returncode != 0 and "không trống" in again.stderr
    assert json.loads(manage(target, var, "--counts").stdout) == before  # nothing written

    junk = tmp / "khong-phai.tar.gz"
    junk.write_bytes(b"not a backup")
    refused = manage(target, var, "restore", str(junk), check=False)
    assert refused.returncode != 0 and "không phải bản sao lưu" in refused.stderr


def test_sqlite_backup_restores_every_row_into_an_empty_database(tmp_path: Path) -> None:
    round_trip(
        f"sqlite:///{tmp_path / 'nguon.sqlite3'}",
        f"sqlite:///{tmp_path / 'dich.sqlite3'}",
        tmp_path,
    )


@pytest.fixture
def two_databases() -> Iterator[tuple[str, str]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the PostgreSQL round trip needs DATABASE_URL=postgres://… (CI sets it)")
    names = [f"thuocdo_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    base = url.rsplit("/", 1)[0]
    # the server's maintenance database, as Django's test runner uses: DATABASE_URL may name
    # a database that is only created for the test run
    admin = ["psql", f"{base}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    for name in names:
        subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)


def test_postgresql_backup_restores_every_row_into_an_empty_database(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = two_databases
    round_trip(source, target, tmp_path)
