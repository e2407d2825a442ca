"""`restore FILE`: an archive made by `backup`, into a new and empty database; the rows of
every table checked against the archive, then the audit chain verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.core.backup import restore
from thuocdo.core.errors import ThuocDoError


class Command(BaseCommand):
    help = "Khôi phục bản sao lưu vào một cơ sở dữ liệu mới, trống. Restores a backup."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp do lệnh backup tạo")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = restore(Path(options["file"]))
        except ThuocDoError as error:
            raise CommandError(error.message_vi) from error
        if done.mismatched:
            wrong = ", ".join(
                f"{t}: {a} → {b}"
                for t, a, b in (
                    (table, pair[0], pair[1]) for table, pair in sorted(done.mismatched.items())
                )
            )
            raise CommandError(f"Số dòng khác với bản sao lưu: {wrong}.")
        self.stdout.write(f"Đã khôi phục {done.tables} bảng, {done.rows} dòng; khớp bản sao lưu.")
        call_command("verify_audit", stdout=self.stdout, stderr=self.stderr)
