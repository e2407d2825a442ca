"""`import_excel KIND FILE --agency CODE [--dry-run]`: the page's import, from a shell.

Exit codes: 0 imported (or nothing to change), 1 usage (no such agency, file not found),
2 the file was refused (the table of errors is on stderr; nothing was written)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.core.origin import origin_scope
from thuocdo.imports.errors import ImportRefused, RowError
from thuocdo.imports.framework import apply, plan
from thuocdo.imports.registry import KINDS
from thuocdo.imports.workbook import vn_number
from thuocdo.org.models import Unit

REFUSED = 2  # exit code of a refused file

LABELS = {
    "create": "Thêm mới",
    "update": "Cập nhật",
    "start": "Bắt đầu phân công",
    "move": "Chuyển công tác",
    "unchanged": "Không đổi",
}


def error_table(errors: list[RowError]) -> str:
    header = ("Dòng", "Cột", "Giá trị", "Quy tắc")
    rows = [(str(e.row or "—"), e.column or "—", e.value, e.rule_vi) for e in errors]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        lines.append(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Nhập tệp Excel (cùng mẫu với trang Nhập, xuất Excel): kiểm tra hết rồi ghi tất cả."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="loại dữ liệu")
        parser.add_argument("file", help="tệp .xlsx")
        parser.add_argument("--agency", required=True, help="mã cơ quan")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Unit.objects.filter(parent__isnull=True, code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Không có cơ quan mã “{options['agency']}”.")
        kind = KINDS[options["kind"]]
        path = options["file"]
        started = time.monotonic()
        with origin_scope("cli:import_excel"):
            self.stdout.write(f"Đang kiểm tra {path}…")
            try:
                with open(path, "rb") as handle:
                    result = plan(
                        kind,
                        handle,
                        agency,
                        file_name=str(path).rsplit("/", 1)[-1],
                        progress=lambda n: self.stdout.write(f"Đã đọc {vn_number(n)} dòng"),
                        actor=None,  # the command line acts for nobody: checked now, too
                    )
            except OSError as error:
                raise CommandError(f"Không mở được tệp {path}: {error.strerror}.") from error
            if not result.ok:
                self.stderr.write(error_table(result.errors))
                raise CommandError(
                    f"Tệp có {len(result.errors)} lỗi; chưa ghi dữ liệu nào.", returncode=REFUSED
                )
            self._summary(result.counts)
            if options["dry_run"]:
                self.stdout.write("Chạy thử (--dry-run): chưa ghi dữ liệu nào.")
                return
            if not result.has_changes:
                self.stdout.write("Không có gì thay đổi.")
                return
            last = [0]

            def progress(done: int, total: int) -> None:
                step = max(1, total // 20)  # every 5 %
                if done - last[0] >= step or done == total:
                    last[0] = done
                    self.stdout.write(f"Đã xử lý {vn_number(done)}/{vn_number(total)} thay đổi")

            try:
                apply(result, actor=None, progress=progress)
            except ImportRefused as error:
                self.stderr.write(error_table(error.errors))
                raise CommandError(
                    "Một dòng bị từ chối; chưa ghi dữ liệu nào.", returncode=REFUSED
                ) from error
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Đã nhập xong trong {elapsed:.1f} giây."))

    def _summary(self, counts: dict[str, int]) -> None:
        self.stdout.write(
            "; ".join(f"{LABELS[name]}: {vn_number(count)}" for name, count in counts.items())
        )
