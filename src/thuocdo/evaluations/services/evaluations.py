"""Writes on one official's evaluation: add it, self-assess (or enter it on their behalf),
review one or several, the unit's minutes, the Party committee's comments, the overrides
that lower a rating, and the months of leave the year roll-up reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction

from thuocdo.audit.services import record
from thuocdo.core.errors import AccessDenied, Conflict, NotFound, ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import check_scale, compute_person, general_nodes, person_facts
from thuocdo.evaluations.models import (
    CriterionScore,
    Evaluation,
    LeaveMonth,
    Minutes,
    Override,
    PartyComment,
    Period,
)
from thuocdo.evaluations.selectors import facts_to_json
from thuocdo.evaluations.services.common import (
    E,
    S,
    _bump,
    _day,
    _evaluation_link,
    _lock_evaluation,
    _lock_period,
    _notify,
    _now,
    _person,
    _require_office,
    _text,
    is_authority,
    is_direct_manager,
    leads_unit,
)
from thuocdo.frameworks import criteria_sets
from thuocdo.frameworks.selectors import engine_framework, framework_for
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.selectors import current
from thuocdo.scoring.model import DISCIPLINE_LEVELS
from thuocdo.work import rules


@transaction.atomic
def evaluation_create(
    *, actor: User, period: Period, person: Person, at: dt.datetime | None = None
) -> Evaluation:
    """The office adds one evaluation (someone who joined during the period)."""
    now = _now(at)
    period = _lock_period(period)
    _require_office(actor, period.agency, _day(now))
    tr.refuse_unless(
        period, frozenset({S.SELF_ASSESSMENT, S.REVIEW}), "thêm phiếu đánh giá", "add an evaluation"
    )
    home = (
        Assignment.objects.filter(current(period.end), person=person, is_concurrent=False)
        .filter(unit__agency_id=period.agency_id)
        .first()
    )
    if home is None:
        raise ValidationFailed(
            f"{person} không công tác tại cơ quan vào cuối kỳ.",
            f"{person} does not work in the agency at the end of the period.",
            field="person",
        )
    if Evaluation.objects.filter(period=period, person=person).exists():
        raise Conflict(
            f"{person} đã có phiếu đánh giá kỳ này.",
            f"{person} already has an evaluation in this period.",
            field="person",
        )
    base, _fw = framework_for(period.agency, period.framework_key, period.end)
    place = (home.unit_id, home.job_position_id)
    version = criteria_sets.versions_in_use(base, [place], actor)[place]
    ev = Evaluation.objects.create(
        period=period,
        person=person,
        agency_id=period.agency_id,
        unit_id=home.unit_id,
        role=home.role,
        assigned_fields=list(home.assigned_fields or []),
        job_position_id=home.job_position_id,
        framework=version,
    )
    record(
        actor=actor,
        action="evaluations.evaluation.create",
        target=ev,
        agency_id=period.agency_id,
        after={"person": person.pk, "unit": home.unit_id, "role": home.role},
    )
    return ev


# --- self-assessment and review ----------------------------------------------------------------


@transaction.atomic
def evaluation_self_assess(
    *,
    actor: User,
    evaluation: Evaluation,
    expected_version: int,
    scores: Mapping[str, Any],
    evidence: Mapping[str, str] | None = None,
    comment: str = "",
    evidence_text: str = "",
    on_behalf_reason: str = "",
    at: dt.datetime | None = None,
) -> Evaluation:
    """The official scores every general criterion (with evidence) and comments. Task
    points are not typed: they come from the recorded work (see `selectors`/preview).

    For an official who cannot (leave, illness, secondment), the personnel office or the
    direct manager enters it on their behalf with a reason; the official is told, sees it
    marked as such, and may enter their own while the step lasts."""
    now = _now(at)
    ev = _lock_evaluation(evaluation, expected_version)
    person = _person(actor)
    own = person is not None and person.pk == ev.person_id
    if not own:
        _require_entry_for(actor, person, ev, _day(now))
        on_behalf_reason = _text(
            on_behalf_reason, "on_behalf_reason", "lý do nhập thay", "reason for entering it"
        )
    require_self_assessable(ev)
    evidence = dict(evidence or {})
    values: dict[str, Fraction] = {}
    if ev.period.kind != Period.Kind.YEAR:
        fw = engine_framework(ev.framework)
        nodes = {n.key: n for n in general_nodes(fw, ev.role)}
        unknown = set(scores) - set(nodes)
        if unknown:
            key = sorted(unknown)[0]
            raise ValidationFailed(
                f"Tiêu chí “{key}” không có trong khung.",
                f"Criterion {key!r} is not in the framework.",
                field=f"scores.{key}",
            )
        for key, node in nodes.items():
            if key not in scores or scores[key] in (None, ""):
                raise ValidationFailed(
                    f"Chưa chấm tiêu chí “{node.label_vi}”.",
                    f"“{node.label_en}” is not scored.",
                    field=f"scores.{key}",
                )
            values[key] = check_scale(node, scores[key], f"scores.{key}")
    kept = {r.key: r for r in ev.scores.all()}
    before = {key: str(r.self_score) for key, r in kept.items()}
    # Two statements for every criterion, not a savepoint and two queries each: no other
    # write of these rows can run meanwhile, the evaluation's row lock is held (above).
    made: list[CriterionScore] = []
    changed_rows: list[CriterionScore] = []
    for key, value in values.items():
        row = kept.get(key) or CriterionScore(evaluation=ev, key=key)
        row.self_score = Decimal(value.numerator) / Decimal(value.denominator)
        row.evidence = clean_text(evidence.get(key, ""))
        (changed_rows if row.pk else made).append(row)
    CriterionScore.objects.bulk_create(made)
    CriterionScore.objects.bulk_update(changed_rows, ["self_score", "evidence"])
    ev.self_comment = clean_text(comment)
    ev.self_evidence = clean_text(evidence_text)
    ev.self_assessed_at = now
    ev.state = E.SELF_ASSESSED
    ev.self_entered_by = None if own else actor
    ev.self_on_behalf_reason = "" if own else on_behalf_reason
    _bump(
        ev,
        "self_comment",
        "self_evidence",
        "self_assessed_at",
        "state",
        "self_entered_by",
        "self_on_behalf_reason",
    )
    after: dict[str, Any] = {
        "scores": {k: str(v) for k, v in values.items()},
        "comment": ev.self_comment,
    }
    if not own:
        after["on_behalf_of"] = ev.person.full_name
        name, name_en = ev.period.name("vi"), ev.period.name("en")
        by = person.full_name if person else actor.get_username()
        _notify(
            ev.person,
            f"{by} đã nhập tự đánh giá {name} thay bạn (lý do: {on_behalf_reason}). Bạn có "
            "thể xem và tự đánh giá lại cho đến khi chuyển sang bước cấp trên đánh giá.",
            _evaluation_link(ev.pk),
            now,
            f"{by} entered your self-assessment for {name_en} on your behalf (reason: "
            f"{on_behalf_reason}). You may see it and enter your own until the review step.",
        )
    record(
        actor=actor,
        action="evaluations.evaluation.self_assess",
        target=ev,
        agency_id=ev.agency_id,
        before={"scores": before} if before else None,
        after=after,
        reason=on_behalf_reason if not own else "",
    )
    return ev


def may_enter_for(actor: User, person: Person | None, ev: Evaluation, on: dt.date) -> bool:
    """Who may enter a self-assessment on an official's behalf: the agency's personnel
    office or the official's direct manager — never for oneself."""
    if person is not None and person.pk == ev.person_id:
        return False
    return rules.is_personnel(actor, ev.period.agency, on) or is_direct_manager(person, ev, on)


def _require_entry_for(actor: User, person: Person | None, ev: Evaluation, on: dt.date) -> None:
    if not may_enter_for(actor, person, ev, on):
        raise entry_for_refused()


# The refusals of a self-assessment and a review, named once: the services raise them and
# the Excel import's preview (imports/evaluations.py) reports them for the same cases.


def entry_for_refused() -> AccessDenied:
    return AccessDenied(
        "Chỉ người được đánh giá tự đánh giá; bộ phận tổ chức cán bộ hoặc cấp trên trực "
        "tiếp chỉ nhập thay khi người đó không thể tự làm, có nêu lý do.",
        "Only the official self-assesses; the personnel office or the direct manager "
        "may enter it on their behalf, with a reason.",
    )


def review_refused() -> AccessDenied:
    return AccessDenied(
        "Chỉ cấp trên trực tiếp của người được đánh giá mới nhận xét, đánh giá.",
        "Only the official's direct manager reviews the evaluation.",
    )


def require_self_assessable(ev: Evaluation) -> None:
    """The period is at self-assessment and the evaluation not reviewed yet."""
    tr.refuse_unless(ev.period, tr.SELF_ASSESS_STATES, "tự đánh giá", "self-assess")
    if ev.state not in (E.DRAFT, E.SELF_ASSESSED):
        raise Conflict(
            "Phiếu đã được cấp trên đánh giá: không tự đánh giá lại.",
            "The evaluation is already reviewed.",
            field="state",
        )


def require_reviewable(ev: Evaluation) -> None:
    """The period is at review and the official has self-assessed."""
    tr.refuse_unless(ev.period, tr.REVIEW_STATES, "nhận xét, đánh giá", "review")
    if ev.state not in (E.SELF_ASSESSED, E.REVIEWED):
        raise Conflict(
            "Người được đánh giá chưa tự đánh giá.",
            "The official has not self-assessed yet.",
            field="state",
        )


def change_needs_reason(node: Any, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"Thay đổi điểm tự đánh giá tiêu chí “{node.label_vi}” phải nêu lý do.",
        f"Changing the self-assessed score of “{node.label_en}” needs a reason.",
        field=field,
    )


@transaction.atomic
def evaluation_review(
    *,
    actor: User,
    evaluation: Evaluation,
    expected_version: int,
    scores: Mapping[str, Any] | None = None,
    reasons: Mapping[str, str] | None = None,
    comment: str = "",
    leader: Mapping[str, Mapping[str, Any]] | None = None,
    at: dt.datetime | None = None,
) -> Evaluation:
    """The direct manager confirms or changes each general criterion (a change needs a
    reason) and, for a leader, may set d, đ or e (100% or 50%, with a reason) or record
    prolonged complaints about internal conflict (e). Task facts are snapshotted."""
    now = _now(at)
    ev = _lock_evaluation(evaluation, expected_version)
    reviewer = _person(actor)
    if not is_direct_manager(reviewer, ev, _day(now)):
        raise review_refused()
    require_reviewable(ev)
    scores = dict(scores or {})
    reasons = dict(reasons or {})
    fw = engine_framework(ev.framework)
    nodes = (
        {n.key: n for n in general_nodes(fw, ev.role)} if ev.period.kind != Period.Kind.YEAR else {}
    )
    rows = {r.key: r for r in ev.scores.all()}
    changes: dict[str, Any] = {}
    for key, value in scores.items():
        node = nodes.get(key)
        if node is None or key not in rows:
            raise ValidationFailed(
                f"Tiêu chí “{key}” không có trong phiếu.",
                f"Criterion {key!r} is not on this evaluation.",
                field=f"scores.{key}",
            )
        number = check_scale(node, value, f"scores.{key}")
        row = rows[key]
        decimal_value = Decimal(number.numerator) / Decimal(number.denominator)
        reason = clean_text(reasons.get(key, ""))
        if row.self_score is not None and decimal_value != row.self_score and not reason:
            raise change_needs_reason(node, f"reasons.{key}")
        changes[key] = {"from": str(row.self_score), "to": str(decimal_value), "reason": reason}
        row.reviewer_score = decimal_value
        row.reason = reason if decimal_value != row.self_score else ""
        row.save(update_fields=["reviewer_score", "reason"])
    stored = dict(ev.leader or {})
    for comp, spec in (leader or {}).items():
        if comp not in ("d", "dd", "e") or not ev.is_leader:
            raise ValidationFailed(
                f"Thành phần “{comp}” chỉ dành cho lãnh đạo (d, dd, e).",
                f"Component {comp!r} is for leaders only (d, dd, e).",
                field=f"leader.{comp}",
            )
        reason = clean_text(str(spec.get("reason", "")))
        entry: dict[str, Any] = dict(stored.get(comp, {}))
        if "value" in spec:
            value = spec["value"]
            if value not in (None, "") and Fraction(str(value)) not in fw.settings.leader_levels:
                raise ValidationFailed(
                    "d, đ, e chỉ nhận mức 100% hoặc 50%.",
                    "d, đ, e take 100% or 50% only.",
                    field=f"leader.{comp}.value",
                )
            entry["value"] = None if value in (None, "") else str(value)
        if comp == "e" and "internal_conflict" in spec:
            entry["internal_conflict"] = bool(spec["internal_conflict"])
        if not reason:
            raise ValidationFailed(
                "Điều chỉnh d, đ, e phải nêu lý do.",
                "Setting d, đ or e needs a reason.",
                field=f"leader.{comp}.reason",
            )
        entry["reason"] = reason
        stored[comp] = entry
        changes[f"leader.{comp}"] = entry
    ev.leader = stored
    ev.reviewer = reviewer
    ev.review_comment = clean_text(comment)
    ev.reviewed_at = now
    ev.state = E.REVIEWED
    if ev.period.kind != Period.Kind.YEAR:
        facts = person_facts(ev, fw)
        ev.facts_at_review = facts_to_json(facts)
        ev.save(update_fields=["leader"])
        result, data = compute_person(ev, facts=facts)  # refuses what the engine refuses
        ev.proposed = data
        ev.points = result.points
        ev.rating = result.rating or ""
    _bump(
        ev,
        "leader",
        "reviewer",
        "review_comment",
        "reviewed_at",
        "state",
        "facts_at_review",
        "proposed",
        "points",
        "rating",
    )
    record(
        actor=actor,
        action="evaluations.evaluation.review",
        target=ev,
        agency_id=ev.agency_id,
        after={"changes": changes, "comment": ev.review_comment, "points": str(ev.points)},
    )
    return ev


@transaction.atomic
def evaluations_accept_reviews(
    *,
    actor: User,
    versions: Mapping[int, int],
    comment: str,
    scores: Mapping[str, Any] | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> list[Evaluation]:
    """The direct manager reviews several people in one go (`versions`: evaluation id →
    the version the page showed): their self-assessments accepted as the review, or, with
    `scores`, the same score given on those general criteria to everyone chosen, for one
    `reason` (the other criteria keep each person's own score). Each evaluation is reviewed
    exactly as one by one — its facts snapshotted, its proposal explained, its own audit
    entry — and the batch is all or nothing: one refusal names the person and saves none."""
    now = _now(at)
    comment = _text(comment, "comment", "nhận xét", "comment")
    common = {key: value for key, value in (scores or {}).items() if value not in (None, "")}
    if common:
        reason = _text(reason, "reason", "lý do chấm chung", "reason for the common score")
    if not versions:
        raise ValidationFailed(
            "Chưa chọn người nào để đánh giá.", "Nobody was selected.", field="evaluations"
        )
    rows = {
        ev.pk: ev
        for ev in Evaluation.objects.filter(pk__in=list(versions)).select_related("person")
    }
    missing = sorted(set(versions) - set(rows))
    if missing:
        raise NotFound(
            f"Không tìm thấy {len(missing)} phiếu đã chọn (có thể đã bị xóa khi mở lại kỳ).",
            f"{len(missing)} selected evaluation(s) were not found.",
        )
    done = []
    for pk, ev in sorted(rows.items(), key=lambda item: item[1].person.search_name):
        try:
            done.append(
                evaluation_review(
                    actor=actor,
                    evaluation=ev,
                    expected_version=versions[pk],
                    comment=comment,
                    scores=common,
                    reasons=dict.fromkeys(common, reason),
                    at=now,
                )
            )
        except ThuocDoError as error:
            raise type(error)(
                f"{ev.person.full_name}: {error.message_vi} Chưa lưu phiếu nào.",
                f"{ev.person.full_name}: {error.message_en} Nothing was saved.",
                field=error.field,
            ) from error
    record(
        actor=actor,
        action="evaluations.evaluation.review_many",
        target=done[0].period,
        agency_id=done[0].agency_id,
        after={
            "evaluations": [ev.pk for ev in done],
            "comment": comment,
            **(
                {"scores": {k: str(v) for k, v in common.items()}, "reason": reason}
                if common
                else {}
            ),
        },
    )
    return done


# --- collective comments, Party committee, overrides -----------------------------------------


@transaction.atomic
def minutes_record(
    *,
    actor: User,
    period: Period,
    unit: Unit,
    text: str,
    held_on: dt.date,
    attendees: Iterable[int],
    total_members: int,
    approved: bool = True,
    at: dt.datetime | None = None,
) -> Minutes:
    """The minutes of the unit's meeting, approved at the meeting. A leader of the unit or
    the office records them; recording again replaces them until the decision step."""
    now = _now(at)
    period = _lock_period(period)
    day = _day(now)
    if not (leads_unit(_person(actor), unit, day) or rules.is_personnel(actor, period.agency, day)):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ ghi biên bản.",
            "Only the unit's leaders or the personnel office record the minutes.",
        )
    if unit.agency_id != period.agency_id:
        raise ValidationFailed(
            "Đơn vị thuộc cơ quan khác.", "The unit is in another agency.", field="unit"
        )
    tr.refuse_unless(period, tr.COLLECTIVE_STATES, "ghi biên bản", "record minutes")
    text = _text(text, "text", "nội dung biên bản", "minutes text")
    present = sorted({int(p) for p in attendees})
    if total_members < len(present) or total_members < 1:
        raise ValidationFailed(
            "Tổng số thành viên phải ≥ số người dự họp.",
            "Total members must be at least the number present.",
            field="total_members",
        )
    minutes, created = Minutes.objects.update_or_create(
        period=period,
        unit=unit,
        defaults={
            "text": text,
            "held_on": held_on,
            "attendees": present,
            "total_members": total_members,
            "approved": approved,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    record(
        actor=actor,
        action="evaluations.minutes.record",
        target=minutes,
        object_repr=f"{unit.name} — {period.name('vi')}",
        agency_id=period.agency_id,
        after={
            "unit": unit.pk,
            "held_on": held_on.isoformat(),
            "present": len(present),
            "total": total_members,
            "approved": approved,
            "replaced": not created,
        },
    )
    return minutes


@transaction.atomic
def party_comment_record(
    *,
    actor: User,
    evaluation: Evaluation,
    committee: str,
    text: str,
    document_ref: str = "",
    at: dt.datetime | None = None,
) -> PartyComment:
    """The Party committee's comments on a leader, recorded by the office."""
    now = _now(at)
    ev = _lock_evaluation(evaluation)
    _require_office(actor, ev.period.agency, _day(now))
    if not ev.period.party_committee_step:
        raise Conflict(
            "Cơ quan không dùng bước lấy ý kiến cấp ủy trong kỳ này.",
            "The agency does not use the Party committee step in this period.",
            field="party_committee_step",
        )
    if not ev.is_leader:
        raise ValidationFailed(
            "Ý kiến cấp ủy chỉ dành cho lãnh đạo, quản lý.",
            "The Party committee comments on leaders only.",
            field="evaluation",
        )
    tr.refuse_unless(
        ev.period, tr.COLLECTIVE_STATES, "ghi ý kiến cấp ủy", "record the Party comments"
    )
    comment, _created = PartyComment.objects.update_or_create(
        evaluation=ev,
        defaults={
            "committee": _text(committee, "committee", "tên cấp ủy", "committee"),
            "text": _text(text, "text", "nội dung ý kiến", "comment text"),
            "document_ref": clean_text(document_ref),
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    record(
        actor=actor,
        action="evaluations.party_comment.record",
        target=ev,
        agency_id=ev.agency_id,
        after={"committee": comment.committee, "document_ref": comment.document_ref},
    )
    return comment


OVERRIDE_FLAGS = ("political_degradation", "corruption_or_waste_in_charge")


@transaction.atomic
def override_add(
    *,
    actor: User,
    evaluation: Evaluation,
    kind: str,
    value: str,
    document_ref: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Override:
    """Record a discipline decision or a competent authority's conclusion, with its
    document; the engine applies the framework's overrides at compile and decision."""
    now = _now(at)
    ev = _lock_evaluation(evaluation)
    day = _day(now)
    if not (
        rules.is_personnel(actor, ev.period.agency, day)
        or is_authority(actor, ev.period.agency, day)
    ):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ hoặc cấp có thẩm quyền ghi căn cứ hạ xếp loại.",
            "Only the personnel office or the authority records overrides.",
        )
    tr.refuse_unless(ev.period, tr.OVERRIDE_STATES, "ghi căn cứ hạ xếp loại", "record an override")
    if ev.state == E.DECIDED:
        raise Conflict(
            "Phiếu đã được quyết định: chỉ thay đổi qua mở lại kỳ.",
            "The evaluation is decided: it changes only through reopen.",
            field="state",
        )
    valid = DISCIPLINE_LEVELS if kind == Override.Kind.DISCIPLINE else OVERRIDE_FLAGS
    if kind not in Override.Kind.values or value not in valid:
        raise ValidationFailed(
            f"Căn cứ “{kind}: {value}” không hợp lệ.",
            f"Unknown override {kind}: {value}.",
            field="value",
        )
    override = Override.objects.create(
        evaluation=ev,
        kind=kind,
        value=value,
        document_ref=_text(
            document_ref, "document_ref", "số, ký hiệu văn bản", "document reference"
        ),
        reason=clean_text(reason),
        recorded_by=actor,
        recorded_at=now,
    )
    _bump(ev)
    record(
        actor=actor,
        action="evaluations.override.add",
        target=ev,
        agency_id=ev.agency_id,
        after={"kind": kind, "value": value, "document_ref": override.document_ref},
        reason=override.reason,
    )
    return override


# --- leave (year roll-up) --------------------------------------------------------------------


@transaction.atomic
def leave_month_set(
    *,
    actor: User,
    person: Person,
    year: int,
    month: int,
    status: str | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> LeaveMonth | None:
    """The office records a month of leave (None clears it)."""
    now = _now(at)
    _require_office(actor, person.agency, _day(now))
    if not 1 <= month <= 12:
        raise ValidationFailed("Tháng từ 1 đến 12.", "Month is 1–12.", field="month")
    existing = LeaveMonth.objects.filter(person=person, year=year, month=month).first()
    before = {"status": existing.status} if existing else None
    if status is None:
        if existing is not None:
            existing.delete()
        leave = None
    else:
        if status not in LeaveMonth.Status.values:
            raise ValidationFailed(
                "Loại nghỉ không hợp lệ.", "Unknown leave status.", field="status"
            )
        leave, _created = LeaveMonth.objects.update_or_create(
            person=person,
            year=year,
            month=month,
            defaults={"status": status, "note": clean_text(note)},
        )
    record(
        actor=actor,
        action="evaluations.leave.set",
        target=person,
        agency_id=person.agency_id,
        before=before,
        after={"year": year, "month": month, "status": status},
    )
    return leave
