"""`api_webhook_create`: subscribes an integration client to events; prints the signing
secret once (docs/webhooks.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.api.management.commands.api_client_create import codes
from thuocdo.api.models import IntegrationClient
from thuocdo.api.webhooks import KINDS, webhook_create
from thuocdo.core.errors import ThuocDoError
from thuocdo.core.origin import origin_scope


class Command(BaseCommand):
    help = (
        "Đăng ký webhook cho một ứng dụng tích hợp: địa chỉ nhận và các sự kiện; in khóa ký "
        "(chỉ hiện một lần duy nhất)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prefix", required=True, help="phần đầu mã truy cập của ứng dụng: td_<prefix>_…"
        )
        parser.add_argument("--url", required=True, help="địa chỉ nhận, http:// hoặc https://")
        parser.add_argument(
            "--events",
            default=",".join(KINDS),
            help=f"các sự kiện, cách nhau dấu phẩy; mặc định tất cả: {', '.join(KINDS)}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = (
            IntegrationClient.objects.select_related("agency")
            .filter(token_prefix=options["prefix"])
            .first()
        )
        if client is None:
            raise CommandError(f"Không có ứng dụng với mã truy cập td_{options['prefix']}_….")
        try:
            with origin_scope("cli:api_webhook_create"):
                subscription, secret = webhook_create(
                    actor=None, client=client, url=options["url"], events=codes(options["events"])
                )
        except ThuocDoError as error:
            raise CommandError(error.message_vi) from error
        self.stdout.write(f"Webhook #{subscription.pk} của {client.name}: {subscription.url}")
        self.stdout.write(f"Sự kiện: {', '.join(subscription.events)}")
        self.stdout.write(f"Khóa ký (chỉ hiện một lần): {secret}")
