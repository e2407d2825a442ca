"""`refresh_live`: warms the kept live points of every agency (or one), for a nightly
timer and after a start. `--queue` hands the work to the job workers instead."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.core import clock
from thuocdo.core.origin import origin_scope
from thuocdo.org.models import Unit
from thuocdo.work import board
from thuocdo.work.jobs import start_live_refresh


class Command(BaseCommand):
    help = (
        "Tính lại điểm nhiệm vụ tạm tính đã cũ của các cơ quan "
        "(chạy hằng đêm và sau khi khởi động)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", help="mã cơ quan (mặc định: mọi cơ quan)")
        parser.add_argument(
            "--queue", action="store_true", help="xếp việc cho tiến trình xử lý thay vì chạy ngay"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agencies = Unit.objects.filter(parent__isnull=True).order_by("code")
        if options["agency"]:
            agencies = agencies.filter(code=options["agency"])
            if not agencies.exists():
                raise CommandError(f"Không có cơ quan mã “{options['agency']}”.")
        with origin_scope("cli:refresh_live"):
            for agency in agencies:
                if options["queue"]:
                    job = start_live_refresh(agency=agency)
                    self.stdout.write(f"{agency.code}: đã xếp việc #{job.pk}")
                    continue
                stale, _rows = board.refresh(agency.pk, today=clock.today())
                self.stdout.write(f"{agency.code}: đã tính lại {stale} lượt người × tháng")
