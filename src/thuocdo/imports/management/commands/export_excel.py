"""`export_excel KIND FILE --agency CODE [--template]`: the current data (or an empty
template) in the layout `import_excel` reads back. A period's own evaluation template is
made per period and unit on the unit's progress page, not here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.imports.registry import KINDS
from thuocdo.imports.workbook import write_workbook
from thuocdo.org.models import Unit


class Command(BaseCommand):
    help = "Xuất dữ liệu hiện có (hoặc mẫu trống) ra tệp Excel."

    def add_arguments(self, parser: CommandParser) -> None:
        exportable = sorted(
            c for c, kind in KINDS.items() if not getattr(kind, "period_sheet", False)
        )
        parser.add_argument("kind", choices=exportable, help="loại dữ liệu")
        parser.add_argument("file", help="tệp .xlsx sẽ ghi")
        parser.add_argument("--agency", required=True, help="mã cơ quan")
        parser.add_argument("--template", action="store_true", help="chỉ mẫu trống")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Unit.objects.filter(parent__isnull=True, code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Không có cơ quan mã “{options['agency']}”.")
        kind = KINDS[options["kind"]]
        rows = () if options["template"] else kind.export_rows(agency)
        Path(options["file"]).write_bytes(write_workbook(kind, agency, rows))
        self.stdout.write(self.style.SUCCESS(f"Đã ghi {options['file']}."))
