"""`python -m thuocdo.manage verify_audit`: exit 0 when every audit chain is intact, 1 and
the first broken entry (id, time, what differs) otherwise. Meant for cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.audit.verify import verify_audit


class Command(BaseCommand):
    help = "Kiểm tra chuỗi mã băm của nhật ký; báo mục đầu tiên bị phá vỡ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="CHUỖI:SỐ_MỤC:MÃ_BĂM",
            help="Một đầu chuỗi do lần chạy trước in ra (lặp lại được): mục đó phải còn nguyên.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors: dict[int, dict[int, str]] = {}
        for text in options["anchor"]:
            try:
                key, length, digest = text.split(":")
                anchors.setdefault(int(key), {})[int(length)] = digest.strip().lower()
            except ValueError:
                raise CommandError(
                    f"Mốc “{text}” không hợp lệ: cần dạng CHUỖI:SỐ_MỤC:MÃ_BĂM.", returncode=2
                ) from None
        report = verify_audit(anchors=anchors)
        if report.broken is not None:
            raise CommandError(f"Nhật ký đã bị can thiệp. {report.broken}", returncode=1)
        self.stdout.write(f"Nhật ký nguyên vẹn: {report.entries} mục trong {report.chains} chuỗi.")
        # Each chain's end, for a log kept off this database: a later run that finds an
        # earlier end missing from the chain shows a rewrite done by the tables' owner.
        for key, length, last_hash in report.heads:
            self.stdout.write(f"chuỗi {key}: {length} mục, mã băm cuối {last_hash}")
            self.stdout.write(f"  mốc: --anchor {key}:{length}:{last_hash}")
