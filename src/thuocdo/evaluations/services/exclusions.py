"""Who is in a period: the personnel office leaves people out of it (Decree 335 Art. 11 and
19 — leave, arrival during the period, secondment, under six months' work in the year) and
brings them back before their decision.

An excluded evaluation keeps what was entered and is marked `excluded`: no step waits for
it, the close does not score it and no quota group counts it. A monthly exclusion for leave
also records the month of leave, so the year's roll-up counts it as the rules say. Every
exclusion and lift is audited and told to the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction

from thuocdo.audit.services import record
from thuocdo.core.errors import Conflict, NotFound, ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.models import Evaluation, Exclusion, LeaveMonth, Period, QuotaGroup
from thuocdo.evaluations.services.common import (
    E,
    S,
    _day,
    _evaluation_link,
    _lock_evaluation,
    _notify,
    _now,
    _require_office,
)

R = Exclusion.Reason
# The step an evaluation must have reached to take part again in each period state
NEEDED_STEP: dict[str, str] = {
    S.SELF_ASSESSMENT: E.DRAFT,
    S.REVIEW: E.SELF_ASSESSED,
    S.COLLECTIVE_COMMENTS: E.REVIEWED,
    S.DECISION: E.REVIEWED,
}


def _label(reason: str, lang: str) -> str:
    from django.utils import translation

    with translation.override(lang):
        return str(R(reason).label)


def _check_reason(period: Period, reason: str, since: dt.date | None) -> None:
    if reason not in R.values:
        raise ValidationFailed(
            "Lý do không đánh giá không hợp lệ.", "Unknown reason for leaving out.", field="reason"
        )
    if reason == R.UNDER_SIX_MONTHS and period.kind != Period.Kind.YEAR:
        raise ValidationFailed(
            "“Chưa đủ 6 tháng công tác” chỉ áp dụng cho kỳ đánh giá năm (Điều 19); kỳ tháng "
            "hoặc quý hãy chọn lý do nghỉ hoặc mới tiếp nhận.",
            "“Under six months' work” applies to the year's evaluation only (Art. 19).",
            field="reason",
        )
    if reason == R.ARRIVED:
        if since is None:
            raise ValidationFailed(
                "Mới tiếp nhận: cần ngày bắt đầu công tác tại cơ quan.",
                "Arrived during the period: the arrival date is needed.",
                field="since",
            )
        if not period.start < since <= period.end:
            raise ValidationFailed(
                f"Ngày tiếp nhận {since:%d/%m/%Y} không nằm trong kỳ "
                f"({period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}) sau ngày đầu kỳ.",
                f"The arrival date {since.isoformat()} is not within the period after its "
                "first day.",
                field="since",
            )
    elif since is not None and since > period.end:
        raise ValidationFailed(
            f"Ngày bắt đầu {since:%d/%m/%Y} sau ngày cuối kỳ.",
            f"The start date {since.isoformat()} is after the period's end.",
            field="since",
        )


def _decided_groups(ev: Evaluation) -> list[str]:
    return [str(g) for g in ev.quota_groups.filter(decided_at__isnull=False)]


@transaction.atomic
def evaluations_exclude(
    *,
    actor: User,
    versions: Mapping[int, int],
    reason: str,
    note: str = "",
    since: dt.date | None = None,
    at: dt.datetime | None = None,
) -> list[Evaluation]:
    """Leaves the chosen evaluations (`versions`: id → the version the page showed) out of
    their period with one reason. All or nothing: one refusal names the person and saves
    none."""
    now = _now(at)
    note = clean_text(note or "")
    if not versions:
        raise ValidationFailed("Chưa chọn người nào.", "Nobody was selected.", field="evaluations")
    chosen = list(
        Evaluation.objects.filter(pk__in=list(versions))
        .select_related("person")
        .order_by("person__search_name", "pk")
    )
    if len(chosen) != len(versions):
        raise NotFound(
            "Không tìm thấy một số phiếu đã chọn; hãy tải lại trang.",
            "Some selected evaluations were not found; reload the page.",
        )
    if len({ev.period_id for ev in chosen}) != 1:
        raise ValidationFailed(
            "Các phiếu đã chọn thuộc nhiều kỳ khác nhau.",
            "The selected evaluations belong to different periods.",
            field="evaluations",
        )
    done = []
    for ev in chosen:
        try:
            done.append(_exclude_one(actor, ev, versions[ev.pk], reason, note, since, now))
        except ThuocDoError as error:
            raise type(error)(
                f"{ev.person.full_name}: {error.message_vi} Chưa lưu thay đổi nào.",
                f"{ev.person.full_name}: {error.message_en} Nothing was saved.",
                field=error.field,
            ) from error
    return done


def _exclude_one(
    actor: User,
    evaluation: Evaluation,
    version: int,
    reason: str,
    note: str,
    since: dt.date | None,
    now: dt.datetime,
) -> Evaluation:
    ev = _lock_evaluation(evaluation, version)
    period = ev.period
    _require_office(actor, period.agency, _day(now))
    tr.refuse_unless(period, tr.EXCLUSION_STATES, "để người khỏi kỳ đánh giá", "leave people out")
    if ev.state == E.EXCLUDED:
        raise Conflict(
            "Người này đã không thuộc diện đánh giá kỳ này.",
            "Already left out of this period.",
            field="state",
        )
    if ev.state == E.DECIDED:
        raise Conflict(
            "Phiếu đã được quyết định: không để ra ngoài kỳ được nữa.",
            "The evaluation is decided: it can no longer be left out.",
            field="state",
        )
    decided = _decided_groups(ev)
    if decided:
        raise Conflict(
            f"Nhóm “{decided[0]}” đã được quyết định.",
            f"The quota group {decided[0]} is decided.",
            field="state",
        )
    _check_reason(period, reason, since)
    wrote_leave = False
    leave_status = Exclusion.LEAVE_REASONS.get(reason)
    if leave_status and period.kind == Period.Kind.MONTH:
        _leave, wrote_leave = LeaveMonth.objects.get_or_create(
            person_id=ev.person_id,
            year=period.year,
            month=period.number,
            defaults={"status": leave_status, "note": note},
        )
    Exclusion.objects.create(
        evaluation=ev,
        reason=reason,
        since=since,
        note=note,
        state_before=ev.state,
        wrote_leave_month=wrote_leave,
        recorded_by=actor,
        recorded_at=now,
    )
    points = str(ev.points) if ev.points is not None else None
    before = {"state": ev.state, "points": points, "rating": ev.rating}
    # out of its groups (all open: a decided one refused above)
    QuotaGroup.members.through.objects.filter(evaluation_id=ev.pk).delete()
    ev.state = E.EXCLUDED
    # the proposal was the close's, not anyone's entry: it is made again if brought back
    ev.proposed, ev.points, ev.rating = None, None, ""
    ev.compiled_version, ev.compiled_token = None, ""
    ev.version += 1
    ev.save(
        update_fields=["state", "proposed", "points", "rating", "compiled_version",
                       "compiled_token", "version", "updated_at"]
    )  # fmt: skip
    record(
        actor=actor,
        action="evaluations.evaluation.exclude",
        target=ev,
        object_repr=f"{ev.person.full_name} — {period.name('vi')}",
        agency_id=ev.agency_id,
        before=before,
        after={
            "state": ev.state,
            "exclusion_reason": reason,
            "since": since.isoformat() if since else None,
            "note": note,
            "leave_month": wrote_leave,
        },
    )
    why_vi, why_en = _label(reason, "vi"), _label(reason, "en")
    _notify(
        ev.person,
        f"Bạn không thuộc diện đánh giá {period.name('vi')}: {why_vi.lower()}.",
        _evaluation_link(ev.pk),
        now,
        f"You are not evaluated in {period.name('en')}: {why_en.lower()}.",
    )
    return ev


@transaction.atomic
def evaluation_include(
    *,
    actor: User,
    evaluation: Evaluation,
    expected_version: int,
    at: dt.datetime | None = None,
) -> Evaluation:
    """Brings an excluded person back into the period at the step they had reached, while
    that step is still open in the period and their group is undecided."""
    now = _now(at)
    ev = _lock_evaluation(evaluation, expected_version)
    period = ev.period
    _require_office(actor, period.agency, _day(now))
    tr.refuse_unless(period, tr.EXCLUSION_STATES, "đưa người trở lại", "bring people back")
    exclusion = Exclusion.objects.filter(evaluation=ev).first()
    if ev.state != E.EXCLUDED or exclusion is None:
        raise Conflict(
            "Người này đang thuộc diện đánh giá kỳ này.",
            "This person is already in the period.",
            field="state",
        )
    back = exclusion.state_before
    needed = NEEDED_STEP[period.state]
    if Evaluation.STEPS.index(back) < Evaluation.STEPS.index(needed):
        raise Conflict(
            f"Kỳ đã sang bước “{period.get_state_display()}” mà phiếu mới ở bước "
            f"“{E(back).label}”: hãy mở lại kỳ về bước trước rồi đưa người này trở lại.",
            f"The period is at “{period.get_state_display()}” and the evaluation only reached "
            f"“{back}”: reopen the period to an earlier step first.",
            field="state",
        )
    if period.state == S.DECISION:
        _rejoin_unit_group(ev)
    if exclusion.wrote_leave_month:
        LeaveMonth.objects.filter(
            person_id=ev.person_id, year=period.year, month=period.number
        ).delete()
    exclusion.delete()
    ev.state = back
    ev.version += 1
    ev.save(update_fields=["state", "version", "updated_at"])
    record(
        actor=actor,
        action="evaluations.evaluation.include",
        target=ev,
        object_repr=f"{ev.person.full_name} — {period.name('vi')}",
        agency_id=ev.agency_id,
        before={"state": E.EXCLUDED, "exclusion_reason": exclusion.reason},
        after={"state": back},
    )
    _notify(
        ev.person,
        f"Bạn được đưa trở lại diện đánh giá {period.name('vi')}.",
        _evaluation_link(ev.pk),
        now,
        f"You are evaluated in {period.name('en')} again.",
    )
    return ev


def _rejoin_unit_group(ev: Evaluation) -> None:
    """At the decision step the person goes back into their unit's quota group, which
    must still be open (the close scores them with the group)."""
    group = QuotaGroup.objects.filter(period=ev.period, unit=ev.unit, kind="unit").first()
    if group is not None and group.decided_at is not None:
        raise Conflict(
            f"Nhóm “{group}” đã được quyết định: không đưa người trở lại được nữa.",
            f"The quota group {group} is decided: nobody can be brought back.",
            field="state",
        )
    if group is None:
        group = QuotaGroup.objects.create(
            period=ev.period,
            kind=QuotaGroup.Kind.UNIT,
            code=f"unit:{ev.unit.code}",
            name=ev.unit.name,
            unit=ev.unit,
        )
    group.members.add(ev)
