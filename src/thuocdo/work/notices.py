"""What a task's owner is told: assigned, returned, accepted, an extension or an exemption
decided (by the services, as they happen), and the deadline in 3 days, in 1 day and passed
(by `task_reminders`, once a day). Imports and the demo write history through
`work.history`, which tells nobody: backdated work is not news."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from thuocdo.org.notices import Notice, once, send
from thuocdo.work.models import Task
from thuocdo.work.selectors import OWNER_PENDING

# Days before the deadline at which the owner is reminded, widest first.
REMIND_DAYS = (3, 1)
CHUNK = 500


def _link(task: Task) -> str:
    return reverse("web:work_task", args=[task.pk])


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _with_reason(text: str, reason: str) -> str:
    return f"{text} Lý do: {reason}" if reason else text


def _with_reason_en(text: str, reason: str) -> str:
    return f"{text} Reason: {reason}" if reason else text


def task_notice(task: Task, kind: str, *, reason: str = "", approved: bool = False) -> Notice:
    """The owner's notice of one change to their task (`kind`: assigned, returned,
    accepted, extended, exemption)."""
    title, due = task.title, _d(task.effective_deadline)
    if kind == "assigned":
        who = task.assigner.full_name
        vi = f"{who} giao cho bạn nhiệm vụ “{title}”, hạn hoàn thành {due}."
        en = f"{who} assigned you the task “{title}”, due {due}."
    elif kind == "returned":
        vi = _with_reason(f"Nhiệm vụ “{title}” bị trả lại vì lỗi lớn về nội dung.", reason)
        en = _with_reason_en(f"The task “{title}” was returned for a major error.", reason)
    elif kind == "accepted":
        vi = f"Nhiệm vụ “{title}” đã được nghiệm thu."
        en = f"The task “{title}” was accepted."
    elif kind == "extended":
        vi = _with_reason(f"Nhiệm vụ “{title}” được gia hạn đến {due}.", reason)
        en = _with_reason_en(f"The deadline of the task “{title}” was extended to {due}.", reason)
    elif kind == "exemption":
        word_vi, word_en = (
            ("được chấp thuận", "approved") if approved else ("bị từ chối", "refused")
        )
        vi = _with_reason(f"Đề nghị miễn trừ của nhiệm vụ “{title}” {word_vi}.", reason)
        en = _with_reason_en(f"The exemption request for the task “{title}” was {word_en}.", reason)
    else:
        raise ValueError(kind)
    return Notice(recipient_id=task.owner_id, text=vi, text_en=en, link=_link(task))


def notify_task(
    task: Task, kind: str, *, at: dt.datetime, reason: str = "", approved: bool = False
) -> None:
    send([task_notice(task, kind, reason=reason, approved=approved)], at=at)


def _reminder(task: Task, today: dt.date) -> tuple[str, Notice] | None:
    """The reminder a pending task is due today, keyed by task, threshold and deadline (an
    extension moves the deadline, so the new one is reminded afresh), or None."""
    left = (task.effective_deadline - today).days
    title, due = task.title, _d(task.effective_deadline)
    if left < 0:
        threshold = "overdue"
        vi = f"Nhiệm vụ “{title}” đã quá hạn (hạn {due}); hãy nộp sản phẩm hoặc giải trình."
        en = f"The task “{title}” is overdue (due {due}); submit it or explain the delay."
    elif left <= REMIND_DAYS[-1]:
        threshold = f"{REMIND_DAYS[-1]}d"
        when_vi, when_en = ("hôm nay", "today") if left == 0 else ("ngày mai", "tomorrow")
        vi = f"Nhiệm vụ “{title}” đến hạn {when_vi} ({due})."
        en = f"The task “{title}” is due {when_en} ({due})."
    elif left <= REMIND_DAYS[0]:
        threshold = f"{REMIND_DAYS[0]}d"
        vi = f"Nhiệm vụ “{title}” đến hạn sau {left} ngày ({due})."
        en = f"The task “{title}” is due in {left} days ({due})."
    else:
        return None
    key = f"task:{task.pk}:{threshold}:{task.effective_deadline.isoformat()}"
    return key, Notice(recipient_id=task.owner_id, text=vi, text_en=en, link=_link(task))


def task_reminders(*, today: dt.date, at: dt.datetime, agency_ids: Iterable[int] = ()) -> int:
    """Reminds owners of pending tasks due within 3 days, within 1 day, or overdue — each
    task once per threshold and deadline. A task assigned today is not reminded yet: its
    owner has just been told. Returns the number of reminders sent."""
    tasks = Task.objects.filter(
        state__in=OWNER_PENDING,
        effective_deadline__lte=today + dt.timedelta(days=REMIND_DAYS[0]),
        assigned_on__lt=today,
    ).only("pk", "title", "owner_id", "effective_deadline")
    if agency_ids:
        tasks = tasks.filter(agency_id__in=list(agency_ids))
    sent = 0
    batch: list[tuple[str, Notice]] = []
    for task in tasks.order_by("pk").iterator(chunk_size=CHUNK):
        due = _reminder(task, today)
        if due is not None:
            batch.append(due)
        if len(batch) >= CHUNK:
            sent += _send_new(batch, at)
            batch = []
    return sent + _send_new(batch, at)


def _send_new(batch: list[tuple[str, Notice]], at: dt.datetime) -> int:
    fresh = once([key for key, _ in batch], at=at)
    notices = [notice for key, notice in batch if key in fresh]
    send(notices, at=at)
    return len(notices)
