"""After publication: an official's complaint, the authority's answer checked against the
quota of the groups, and reading one's notifications.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.db import transaction
from django.utils import translation

from thuocdo.audit.services import record
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations import notices
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.models import Complaint, Evaluation, Notification, QuotaGroup
from thuocdo.evaluations.services.common import (
    S,
    _bump,
    _day,
    _evaluation_link,
    _lock_evaluation,
    _notify,
    _now,
    _person,
    _rating_en,
    _rating_label,
    _require_authority,
    _text,
    add_working_days,
)
from thuocdo.evaluations.services.decisions import _quota_refusal
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.scoring import RATINGS

COMPLAINT_ANSWER_WORKING_DAYS = 7  # Art. 22


@transaction.atomic
def complaint_file(
    *, actor: User, evaluation: Evaluation, text: str, at: dt.datetime | None = None
) -> Complaint:
    """The official contests the decided result within the window; the answer is due in
    7 working days (Art. 22). The decision-maker is told, with the date."""
    now = _now(at)
    day = _day(now)
    ev = _lock_evaluation(evaluation)
    person = _person(actor)
    if person is None or person.pk != ev.person_id:
        raise AccessDenied(
            "Chỉ người được đánh giá mới khiếu nại kết quả của mình.",
            "Only the official evaluated may complain about their result.",
        )
    tr.refuse_unless(ev.period, frozenset({S.PUBLISHED}), "khiếu nại", "file a complaint")
    if ev.complaint_until is None or day > ev.complaint_until:
        raise Conflict(
            f"Đã hết thời hạn khiếu nại (đến {ev.complaint_until:%d/%m/%Y}).",
            f"The complaint window closed on {ev.complaint_until}.",
            field="complaint_until",
        )
    if ev.complaints.filter(state=Complaint.State.OPEN).exists():
        raise Conflict(
            "Đã có khiếu nại đang giải quyết.", "A complaint is already open.", field="evaluation"
        )
    complaint = Complaint.objects.create(
        evaluation=ev,
        filed_by=person,
        text=_text(text, "text", "nội dung khiếu nại", "complaint text"),
        filed_at=now,
        answer_due=add_working_days(day, COMPLAINT_ANSWER_WORKING_DAYS),
    )
    record(
        actor=actor,
        action="evaluations.complaint.file",
        target=complaint,
        object_repr=f"Khiếu nại #{complaint.pk}",
        agency_id=ev.agency_id,
        after={"evaluation": ev.pk, "answer_due": complaint.answer_due.isoformat()},
    )
    notices.complaint_filed(complaint, at=now)
    return complaint


@transaction.atomic
def complaint_answer(
    *,
    actor: User,
    complaint: Complaint,
    answer: str,
    outcome: str,
    new_rating: str = "",
    at: dt.datetime | None = None,
) -> Complaint:
    """The authority answers with reasons: keep the rating or change it. A change is
    checked against the quota of every group the evaluation is in."""
    now = _now(at)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    ev = _lock_evaluation(complaint.evaluation)
    _require_authority(actor, ev.period.agency, _day(now))
    tr.refuse_unless(ev.period, frozenset({S.PUBLISHED}), "trả lời khiếu nại", "answer a complaint")
    if complaint.state != Complaint.State.OPEN:
        raise Conflict(
            "Khiếu nại đã được trả lời.", "The complaint is already answered.", field="state"
        )
    answer = _text(answer, "answer", "nội dung trả lời, lý do", "answer with reasons")
    if outcome not in Complaint.Outcome.values:
        raise ValidationFailed(
            "Kết quả giải quyết không hợp lệ.", "Unknown outcome.", field="outcome"
        )
    before_rating = ev.rating
    if outcome == Complaint.Outcome.CHANGED:
        if new_rating not in RATINGS or new_rating == ev.rating:
            raise ValidationFailed(
                "Cần xếp loại mới khác xếp loại đã quyết định.",
                "A new rating different from the decided one is needed.",
                field="new_rating",
            )
        for group in ev.quota_groups.all():
            _check_group_with(group, ev, new_rating)
        data = dict(ev.result or {})
        data["rating_changes"] = [
            *data.get("rating_changes", []),
            {
                "rule": f"complaint:{complaint.pk}",
                "from": ev.rating,
                "to": new_rating,
                "reason_vi": answer,
                "reason_en": answer,
            },
        ]
        data["rating"] = new_rating
        ev.result = data
        ev.rating = new_rating
        _bump(ev, "result", "rating")
    complaint.state = Complaint.State.ANSWERED
    complaint.answer = answer
    complaint.outcome = outcome
    complaint.new_rating = new_rating if outcome == Complaint.Outcome.CHANGED else ""
    complaint.answered_by = actor
    complaint.answered_at = now
    complaint.save()
    name, name_en = ev.period.name("vi"), ev.period.name("en")
    kept = outcome == Complaint.Outcome.KEPT
    with translation.override("vi"):
        text = f"Khiếu nại về kết quả {name} đã được trả lời: " + (
            "giữ nguyên xếp loại." if kept else f"xếp loại mới {_rating_label(new_rating)}."
        )
    text_en = f"Your complaint about {name_en} was answered: " + (
        "the rating is kept." if kept else f"new rating: {_rating_en(new_rating)}."
    )
    _notify(ev.person, text, _evaluation_link(ev.pk), now, text_en)
    record(
        actor=actor,
        action="evaluations.complaint.answer",
        target=complaint,
        object_repr=f"Khiếu nại #{complaint.pk}",
        agency_id=ev.agency_id,
        before={"rating": before_rating},
        after={"outcome": outcome, "rating": ev.rating, "late": _day(now) > complaint.answer_due},
        reason=answer,
    )
    return complaint


def _check_group_with(group: QuotaGroup, changed_ev: Evaluation, new_rating: str) -> None:
    fw = engine_framework(changed_ev.framework)
    rule = fw.quota
    ratings = [new_rating if ev.pk == changed_ev.pk else ev.rating for ev in group.members.all()]
    limited = ratings.count(rule.limited_rating)
    base = ratings.count(rule.base_rating)
    ratio = Fraction(group.exception_ratio) if group.exception_ratio is not None else rule.ratio
    if limited > ratio * base:
        raise _quota_refusal(group, limited, base, ratio * base, ratio)


@transaction.atomic
def notification_read(
    *, actor: User, notification: Notification, at: dt.datetime | None = None
) -> Notification:
    person = _person(actor)
    if person is None or person.pk != notification.recipient_id:
        raise AccessDenied("Thông báo này không gửi cho bạn.", "This notification is not yours.")
    if notification.read_at is None:
        notification.read_at = _now(at)
        notification.save(update_fields=["read_at"])
    return notification
