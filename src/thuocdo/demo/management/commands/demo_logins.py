from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thuocdo.demo.build import demo_logins
from thuocdo.demo.data import DEMO_PASSWORD


class Command(BaseCommand):
    help = "In địa chỉ và các tài khoản mẫu. Prints the URL and the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout
        out.write("")
        out.write(f"Thước đo đang chạy tại / is serving at: {options['url']}")
        out.write(f"Tài khoản mẫu / demo logins (mật khẩu / password: {DEMO_PASSWORD}):")
        for login in demo_logins():
            out.write(
                f"  {login.username:<11} {login.role_vi} — {login.person_name}, {login.where}"
            )
        out.write("")
