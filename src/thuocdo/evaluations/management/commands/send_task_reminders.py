"""`send_task_reminders`: the daily reminders — tasks due in 3 days, in 1 day or overdue,
complaints near or past their answer date — in the app and by e-mail. Run it once a day
from a timer; running it again the same day sends nothing new."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from thuocdo.core import clock
from thuocdo.core.origin import origin_scope
from thuocdo.evaluations.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Nhắc hạn nhiệm vụ, hạn tự đánh giá và đánh giá của kỳ, hạn trả lời khiếu nại "
        "(chạy mỗi ngày một lần)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with origin_scope("cli:send_task_reminders"):
            sent = send_reminders(today=clock.today(), at=clock.now())
        self.stdout.write(
            f"Đã nhắc {sent.tasks} nhiệm vụ, {sent.steps} lượt tự đánh giá, đánh giá và "
            f"{sent.complaints} lượt khiếu nại."
        )
