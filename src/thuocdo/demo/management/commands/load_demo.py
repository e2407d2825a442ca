from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thuocdo.demo.build import load_demo


class Command(BaseCommand):
    help = "Nạp cơ quan mẫu (chạy lại không thay đổi gì). Loads the demo agency, idempotently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=335)
        parser.add_argument(
            "--no-work",
            action="store_true",
            help="chỉ nạp tổ chức, không nạp một năm công việc và đánh giá",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(
            seed=options["seed"],
            with_work=not options["no_work"],
            progress=lambda line: self.stdout.write(f"  … {line}"),
        )
        if result.created:
            self.stdout.write(f"Đã nạp cơ quan mẫu: {result.agency.name}.")
        else:
            self.stdout.write(f"Cơ quan mẫu đã có sẵn ({result.agency.name}).")
        if result.tasks:
            self.stdout.write(f"Đã nạp một năm công việc: {result.tasks} nhiệm vụ.")
        if result.periods:
            self.stdout.write(f"Đã nạp lịch sử đánh giá: {result.periods} kỳ.")
        if not (result.created or result.tasks or result.periods):
            self.stdout.write("Không thay đổi gì.")
