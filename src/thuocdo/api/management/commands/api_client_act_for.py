from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.api.management.commands.api_client_create import codes
from thuocdo.api.models import IntegrationClient
from thuocdo.api.services import client_set_act_for
from thuocdo.core.errors import ThuocDoError
from thuocdo.core.origin import origin_scope


class Command(BaseCommand):
    help = (
        "Đặt lại danh sách đơn vị / cán bộ mà một ứng dụng tích hợp được thay mặt "
        "(bỏ trống cả hai: không thay mặt ai)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prefix", required=True, help="phần đầu của mã truy cập: td_<prefix>_…"
        )
        parser.add_argument("--units", default="", help="mã đơn vị, cách nhau dấu phẩy")
        parser.add_argument("--people", default="", help="mã cán bộ, cách nhau dấu phẩy")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        client = (
            IntegrationClient.objects.select_related("agency")
            .filter(token_prefix=options["prefix"])
            .first()
        )
        if client is None:
            raise CommandError(f"Không có ứng dụng với mã truy cập td_{options['prefix']}_….")
        try:
            with origin_scope("cli:api_client_act_for"):
                client_set_act_for(
                    actor=None,
                    client=client,
                    act_for_units=codes(options["units"]),
                    act_for_people=codes(options["people"]),
                    reason=options["reason"],
                )
        except ThuocDoError as error:
            raise CommandError(error.message_vi) from error
        self.stdout.write(
            f"{client.name}: thay mặt đơn vị {', '.join(client.act_for_units) or '(không)'}; "
            f"cán bộ {', '.join(client.act_for_people) or '(không)'}"
        )
