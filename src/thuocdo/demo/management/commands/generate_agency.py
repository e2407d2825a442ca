"""`manage generate_agency --people 10000`: a synthetic agency to measure with."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thuocdo.demo.synthetic import generate


class Command(BaseCommand):
    help = (
        "Tạo một cơ quan tổng hợp (N người, khoảng 20 nhiệm vụ mỗi người trong một tháng, kỳ "
        "đánh giá tháng ở bước quyết định) để đo hiệu năng. / A synthetic agency to measure with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=1000)
        parser.add_argument("--code", default="SYN", help="the agency's code (unique)")
        parser.add_argument("--year", type=int, default=2026)
        parser.add_argument("--month", type=int, default=3)
        parser.add_argument("--tasks", type=int, default=20, help="tasks per person")
        parser.add_argument("--seed", type=int, default=335)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        made = generate(
            options["people"],
            code=options["code"],
            year=options["year"],
            month=options["month"],
            seed=options["seed"],
            tasks_per_person=options["tasks"],
            report=lambda text: self.stdout.write(f"  … {text}"),
        )
        self.stdout.write(
            f"Đã tạo {made.agency.name}: {made.people} người, {made.units} đơn vị, "
            f"{made.tasks} nhiệm vụ, kỳ {made.period} ở bước quyết định "
            f"({time.monotonic() - started:.1f} s)."
        )
