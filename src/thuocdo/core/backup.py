"""Backup and restore of an install: its database, in one archive. Every uploaded and
generated file lives in the database, so that is everything; the secret key is not in it
(it only signs sessions: after a restore on a new machine people sign in again).

PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore` in one
transaction; SQLite with its online backup. The archive's `manifest.json` records the
product, the database kind, the last migration of each app and the row count of every
table, and a restore checks the counts it finds against it. A restore goes into an empty
database only: it never merges into or overwrites data.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from thuocdo.core import clock
from thuocdo.core.errors import ValidationFailed

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE = "database.sqlite3"


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    mismatched: dict[str, tuple[int, int]]  # table → (in the archive, found)


def table_counts() -> dict[str, int]:
    """Rows per table of every installed model (auto-created many-to-many tables too)."""
    tables = sorted(
        {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
        & set(connection.introspection.table_names())
    )
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations() -> dict[str, str]:
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for the configured PostgreSQL database."""
    db = settings.DATABASES["default"]
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ValidationFailed(
            f"Lệnh {command[0]} không thành công: {done.stderr.strip()[-600:]}",
            f"{command[0]} failed: {done.stderr.strip()[-600:]}",
        )


def backup(target: Path) -> dict[str, Any]:
    """Writes the archive (mode 600: it holds everything) and returns its manifest."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "product": "thuocdo",
        "created_at": clock.now().isoformat(timespec="seconds"),
        "database": connection.vendor,
        "migrations": _migrations(),
        "rows": table_counts(),
    }
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        if connection.vendor == "postgresql":
            args, env = _pg_env()
            dump = folder / PG_DUMP
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(dump), *args], env)  # fmt: skip
        elif connection.vendor == "sqlite":
            source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            copy = sqlite3.connect(str(folder / SQLITE))
            with copy:
                source.backup(copy)  # consistent while the site runs
            source.close()
            copy.close()
        else:
            raise ValidationFailed(
                f"Chưa hỗ trợ sao lưu cơ sở dữ liệu {connection.vendor}.",
                f"Backing up a {connection.vendor} database is not supported.",
            )
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            for item in sorted(folder.iterdir()):
                tar.add(item, arcname=item.name)
    return manifest


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.load(io.TextIOWrapper(member, encoding="utf-8"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise ValidationFailed(
            f"Tệp {archive.name} không phải bản sao lưu của Thước đo ({error}).",
            f"{archive.name} is not a Thước đo backup ({error}).",
        ) from error
    if manifest.get("product") != "thuocdo" or manifest.get("format") != FORMAT:
        raise ValidationFailed(
            f"Tệp {archive.name} không phải bản sao lưu định dạng {FORMAT} của Thước đo.",
            f"{archive.name} is not a format {FORMAT} Thước đo backup.",
        )
    return manifest


def _refuse_unless_empty() -> None:
    ours = set(connection.introspection.table_names())
    if ours:
        raise ValidationFailed(
            f"Cơ sở dữ liệu đích không trống ({len(ours)} bảng): chỉ khôi phục vào một cơ sở "
            "dữ liệu mới, trống; không ghi đè dữ liệu đang có.",
            f"The target database is not empty ({len(ours)} tables): restore into a new, "
            "empty database only; existing data is never overwritten.",
        )


def restore(archive: Path) -> Restored:
    """Restores the archive into the configured (empty) database, then compares every
    table's rows with the manifest."""
    manifest = read_manifest(archive)
    if manifest["database"] != connection.vendor:
        raise ValidationFailed(
            f"Bản sao lưu của cơ sở dữ liệu {manifest['database']} không khôi phục được vào "
            f"{connection.vendor}.",
            f"A {manifest['database']} backup cannot be restored into {connection.vendor}.",
        )
    _refuse_unless_empty()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, filter="data")
        if connection.vendor == "postgresql":
            args, env = _pg_env()
            _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", *args, str(folder / PG_DUMP)], env)  # fmt: skip
        else:
            connection.close()
            source = sqlite3.connect(str(folder / SQLITE))
            target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            with target:
                source.backup(target)
            source.close()
            target.close()
    connection.close()  # read the restored tables afresh
    found = table_counts()
    expected: dict[str, int] = manifest["rows"]
    mismatched = {
        table: (count, found.get(table, -1))
        for table, count in expected.items()
        if found.get(table, -1) != count
    }
    return Restored(tables=len(found), rows=sum(found.values()), mismatched=mismatched)
