"""`send_webhooks`: sends the webhook deliveries whose attempt is due. The job queue sends
them on its own; run this from a timer (every minute) as the safety net, or by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thuocdo.api.webhook_sender import send_due
from thuocdo.core.origin import origin_scope


class Command(BaseCommand):
    help = "Gửi các webhook đến hạn gửi (lần đầu hoặc thử lại); chạy định kỳ mỗi phút."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="gửi tối đa bấy nhiêu lần")

    def handle(self, *args: Any, **options: Any) -> None:
        with origin_scope("cli:send_webhooks"):
            sent = send_due(limit=max(1, options["limit"]))
        self.stdout.write(f"Đã gửi được {sent} webhook.")
