from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from thuocdo.api.services import client_create
from thuocdo.core.errors import ThuocDoError
from thuocdo.core.origin import origin_scope
from thuocdo.org.models import Unit


def codes(raw: str) -> list[str]:
    return [code.strip() for code in raw.split(",") if code.strip()]


class Command(BaseCommand):
    help = "Cấp mã truy cập API cho một ứng dụng tích hợp (in ra một lần duy nhất)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="mã cơ quan, ví dụ BCSCL")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="org:read,catalogue:read,tasks:read,tasks:write")
        parser.add_argument(
            "--act-for-units",
            default="",
            help="mã các đơn vị (gồm đơn vị trực thuộc) mà ứng dụng được thay mặt cán bộ; "
            "mã cơ quan = cả cơ quan. Bỏ trống cùng --act-for-people: không thay mặt ai.",
        )
        parser.add_argument(
            "--act-for-people", default="", help="mã các cán bộ được thay mặt, cách nhau dấu phẩy"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Unit.objects.filter(parent__isnull=True, code=options["agency"]).first()
        if agency is None:
            raise CommandError(f"Không có cơ quan mã “{options['agency']}”.")
        scopes = codes(options["scopes"])
        try:
            with origin_scope("cli:api_client_create"):
                client, token = client_create(
                    actor=None,
                    agency=agency,
                    name=options["name"],
                    scopes=scopes,
                    act_for_units=codes(options["act_for_units"]),
                    act_for_people=codes(options["act_for_people"]),
                )
        except ThuocDoError as error:
            raise CommandError(error.message_vi) from error
        self.stdout.write(f"Ứng dụng: {client.name} ({', '.join(client.scopes)})")
        self.stdout.write(
            "Thay mặt: đơn vị "
            f"{', '.join(client.act_for_units) or '(không)'}; cán bộ "
            f"{', '.join(client.act_for_people) or '(không)'}"
        )
        self.stdout.write(f"Mã truy cập (chỉ hiện một lần): {token}")
