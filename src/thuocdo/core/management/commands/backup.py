"""`backup FILE`: the whole install (its database) in one archive; see docs/operations.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.core.backup import backup
from thuocdo.core.errors import ThuocDoError


class Command(BaseCommand):
    help = "Sao lưu toàn bộ dữ liệu vào một tệp (.tar.gz). Backs the whole install up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="tệp sao lưu sẽ ghi, ví dụ /backup/thuocdo-2026-12-03.tar.gz"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"])
        try:
            manifest = backup(target)
        except ThuocDoError as error:
            raise CommandError(error.message_vi) from error
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"Đã sao lưu {len(manifest['rows'])} bảng, {rows} dòng "
            f"({manifest['database']}) vào {target}."
        )
