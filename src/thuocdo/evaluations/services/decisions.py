"""Deciding ratings: the proposal of each evaluation, the quota groups and their exceptions,
the decision of one group or of every group at once, and the publication that tells
each official their result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import translation

from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.bulk import update_rows
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.numbers import vn_number, vn_percent
from thuocdo.core.text import clean_text
from thuocdo.evaluations import close
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import (
    ROLE_RANK,
    compute_person,
    compute_year,
    engine_role,
    person_facts,
)
from thuocdo.evaluations.models import (
    RATING_CHOICES,
    Evaluation,
    Notification,
    Period,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.evaluations.selectors import facts_to_json, group_members
from thuocdo.evaluations.services.common import (
    E,
    S,
    _bump,
    _day,
    _evaluation_link,
    _lock_period,
    _now,
    _rating_en,
    _rating_label,
    _require_authority,
    _require_office,
    _text,
)
from thuocdo.frameworks.selectors import engine_framework, framework_for
from thuocdo.org.models import Assignment

# --- proposals and decisions -----------------------------------------------------------------


def _ordered(evs: Iterable[Evaluation]) -> list[Evaluation]:
    """Staff before their leaders, deeper units first: d reads the staff's points."""
    return sorted(evs, key=lambda e: (-e.unit.depth, ROLE_RANK.get(e.role, 0), e.pk))


def _unit_rating(ev: Evaluation) -> str | None:
    ue = UnitEvaluation.objects.filter(period=ev.period, unit=ev.unit).first()
    return ue.rating if ue is not None and ue.state == UnitEvaluation.State.DECIDED else None


def _propose(ev: Evaluation, *, freeze: bool) -> dict[str, Any]:
    """The current result (head rule applied when the unit is decided); `freeze` keeps the
    task facts as decided."""
    unit_rating = _unit_rating(ev)
    if ev.period.kind == Period.Kind.YEAR:
        data = compute_year(ev, unit_rating=unit_rating)
    else:
        fw = engine_framework(ev.framework)
        facts = person_facts(ev, fw)
        _result, data = compute_person(ev, facts=facts, unit_rating=unit_rating)
        if freeze:
            ev.facts_at_decision = facts_to_json(facts)
    ev.proposed = data
    ev.points = Decimal(data["points"]) if data.get("points") else None
    ev.rating = data.get("rating") or ""
    return data


@transaction.atomic
def quota_group_create(
    *,
    actor: User,
    period: Period,
    code: str,
    name: str,
    evaluations: Iterable[Evaluation],
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """A group of officials with similar duties (Art. 20(5)), configured by the office."""
    now = _now(at)
    row = _lock_period(period)
    _require_office(actor, row.agency, _day(now))
    tr.refuse_unless(
        row,
        frozenset({S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION}),
        "lập nhóm áp tỷ lệ",
        "create a quota group",
    )
    scopes = framework_for(row.agency, row.framework_key, row.end)[1].quota.scopes
    if "duty_group" not in scopes:
        raise ValidationFailed(
            "Khung đánh giá của kỳ không áp tỷ lệ theo nhóm có chức trách, nhiệm vụ tương đồng "
            f"(quota.scopes: {', '.join(scopes) or '—'}).",
            "The period's framework does not apply the quota per group of similar duties.",
            field="code",
        )
    code = _text(code, "code", "mã nhóm", "group code")
    if code.startswith("unit:") or QuotaGroup.objects.filter(period=row, code=code).exists():
        raise Conflict(f"Mã nhóm “{code}” đã dùng.", f"Group code {code!r} is taken.", field="code")
    members = list(evaluations)
    if any(m.period_id != row.pk for m in members) or not members:
        raise ValidationFailed(
            "Nhóm gồm các phiếu đánh giá của kỳ này.",
            "A group holds evaluations of this period.",
            field="evaluations",
        )
    if any(m.state == E.DECIDED for m in members):
        raise Conflict(
            "Có phiếu đã được quyết định.", "Some evaluations are decided.", field="evaluations"
        )
    group = QuotaGroup.objects.create(
        period=row,
        kind=QuotaGroup.Kind.DUTY_GROUP,
        code=code,
        name=_text(name, "name", "tên nhóm", "name"),
    )
    group.members.set(members)
    record(
        actor=actor,
        action="evaluations.quota_group.create",
        target=group,
        agency_id=row.agency_id,
        after={"code": code, "members": [m.pk for m in members]},
    )
    return group


@transaction.atomic
def quota_group_set_exception(
    *,
    actor: User,
    group: QuotaGroup,
    ratio: Decimal | str | None,
    basis: str = "",
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """The authority allows a unit with outstanding results more than 20% (up to 25%)."""
    now = _now(at)
    group = (
        QuotaGroup.objects.select_for_update(of=("self",))
        .select_related("period__agency")
        .get(pk=group.pk)
    )
    _require_authority(actor, group.period.agency, _day(now))
    tr.refuse_unless(
        group.period, tr.DECISION_STATES, "cho phép tỷ lệ ngoại lệ", "set an exception"
    )
    if group.decided_at is not None:
        raise Conflict("Nhóm đã được quyết định.", "The group is decided.", field="group")
    value = Decimal(str(ratio)) if ratio not in (None, "") else None
    if value is not None:
        member = group.members.select_related("framework").first()
        if member is not None:
            rule = engine_framework(member.framework).quota
            if not rule.ratio <= Fraction(value) <= rule.max_exception_ratio:
                raise ValidationFailed(
                    f"Tỷ lệ ngoại lệ phải trong khoảng {float(rule.ratio):.0%}–"
                    f"{float(rule.max_exception_ratio):.0%}.",
                    f"The exception must be within {float(rule.ratio):.0%}–"
                    f"{float(rule.max_exception_ratio):.0%}.",
                    field="ratio",
                )
        basis = _text(basis, "basis", "căn cứ cho phép", "basis")
    group.exception_ratio = value
    group.exception_basis = clean_text(basis)
    group.save(update_fields=["exception_ratio", "exception_basis"])
    record(
        actor=actor,
        action="evaluations.quota_group.exception",
        target=group,
        agency_id=group.period.agency_id,
        after={"ratio": str(value) if value is not None else None},
        reason=group.exception_basis,
    )
    return group


def _quota_refusal(
    group: QuotaGroup, limited: int, base: int, allowed: Fraction, ratio: Fraction
) -> Conflict:
    return Conflict(
        f"Quyết định vi phạm tỷ lệ tại nhóm “{group.name}”: {limited} người "
        f"“Hoàn thành xuất sắc nhiệm vụ” > {vn_percent(ratio)} × {base} người “Hoàn thành tốt "
        f"nhiệm vụ” = {vn_number(allowed, trim=True)}. Không lưu quyết định.",
        f"The decision breaks the quota in group {group.name}: {limited} excellent > "
        f"{float(ratio):.0%} × {base} good = {float(allowed):g}. Nothing was saved.",
        field="demote",
    )


@transaction.atomic
def group_decide(
    *,
    actor: User,
    group: QuotaGroup,
    demote: Iterable[int] | None = None,
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """The authority decides every undecided member of a quota group.

    Each member is recomputed from the recorded work (task facts frozen now), with its
    overrides and, for a head, the unit's decided rating (Art. 20(6)). `demote` lists the
    evaluations moved from excellent to good; None takes the engine's definite proposals,
    and a tie then has to be settled by naming whom to demote. A result that breaks the
    quota on the final counts (members decided earlier included) is refused whole.
    """
    now = _now(at)
    group = (
        QuotaGroup.objects.select_for_update(of=("self",))
        .select_related("period__agency")
        .get(pk=group.pk)
    )
    period = _lock_period(group.period)
    _require_authority(actor, period.agency, _day(now))
    tr.refuse_unless(period, tr.DECISION_STATES, "quyết định xếp loại", "decide ratings")
    if group.decided_at is not None:
        raise Conflict("Nhóm đã được quyết định.", "The group is already decided.", field="group")
    members = _ordered(group_members(group).select_related("period"))  # period row locked
    if not members:
        raise ValidationFailed("Nhóm không có ai.", "The group is empty.", field="group")
    for ev in members:
        if ev.state == E.DECIDED:
            continue
        if (
            ev.role in (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)
            and _unit_rating(ev) is None
        ) and engine_role(ev) in engine_framework(ev.framework).rating.head_roles:
            raise Conflict(
                f"Chưa quyết định đánh giá đơn vị “{ev.unit}”: chưa thể xếp loại người "
                f"đứng đầu {ev.person} (không cao hơn đơn vị).",
                f"Decide the unit {ev.unit} first: its head {ev.person} cannot be rated above it.",
                field="unit_evaluation",
            )
        _propose(ev, freeze=True)
    fw = engine_framework(members[0].framework)
    quota = close.group_quota(fw, group, members)
    rule = fw.quota
    undecided = {ev.pk: ev for ev in members if ev.state != E.DECIDED}
    if demote is None:
        chosen = {int(d.person_id) for d in quota.demotions}
    else:
        chosen = {int(pk) for pk in demote}
    names = {ev.pk: ev.person.full_name for ev in members}
    for pk in sorted(chosen):
        member = undecided.get(pk)
        if member is None or member.rating != rule.limited_rating:
            # the person by name, never an internal id; one outside the group is looked up
            name = names.get(pk) or next(
                iter(Evaluation.objects.filter(pk=pk).values_list("person__full_name", flat=True)),
                "—",
            )
            if pk not in names:
                why = ("không thuộc nhóm", "not a member of the group")
            elif member is None:
                why = ("đã được quyết định", "already decided")
            else:
                with translation.override("vi"):
                    why = (
                        f"xếp loại hiện là “{_rating_label(member.rating)}”, không phải "
                        f"“{_rating_label(rule.limited_rating)}”",
                        f"rated “{_rating_en(member.rating)}”, not "
                        f"“{_rating_en(rule.limited_rating)}”",
                    )
            raise ValidationFailed(
                f"Không thể hạ {name}: {why[0]}.",
                f"{name} cannot be demoted: {why[1]}.",
                field="demote",
            )
    limited = sum(1 for ev in members if ev.rating == rule.limited_rating and ev.pk not in chosen)
    base = sum(1 for ev in members if ev.rating == rule.base_rating) + (
        len(chosen) if rule.demote_to == rule.base_rating else 0
    )
    used_ratio = quota.ratio
    allowed = used_ratio * base
    if limited > allowed:
        if quota.ties and demote is None:
            tie = quota.ties[0]
            tied = ", ".join(names[int(c)] for c in tie.candidates)
            raise Conflict(
                f"Nhóm “{group.name}”: {len(tie.candidates)} người bằng "
                f"{vn_number(tie.points)} điểm ở ngưỡng hạ ({tied}); cấp có thẩm quyền chọn "
                f"{tie.choose} người để hạ.",
                f"Group {group.name}: {len(tie.candidates)} tied at {tie.points} points "
                f"({tied}); the authority must choose {tie.choose} to demote.",
                field="demote",
            )
        raise _quota_refusal(group, limited, base, allowed, used_ratio)
    for ev in undecided.values():
        data = dict(ev.proposed or {})
        if ev.pk in chosen:
            ev.rating = close.demote(data, group, rule.demote_to)
        ev.result = data
        ev.state = E.DECIDED
        ev.decided_by = actor
        ev.decided_at = now
        _bump(
            ev,
            "proposed",
            "result",
            "points",
            "rating",
            "state",
            "decided_by",
            "decided_at",
            "facts_at_decision",
        )
        record(
            actor=actor,
            action="evaluations.evaluation.decide",
            target=ev,
            agency_id=ev.agency_id,
            after={
                "points": str(ev.points),
                "rating": ev.rating,
                "group": group.code,
                "demoted": ev.pk in chosen,
            },
        )
    group.decision = {
        **quota.as_dict(),
        "chosen_demotions": sorted(chosen),
        "final": {rule.limited_rating: limited, rule.base_rating: base},
    }
    group.decided_by = actor
    group.decided_at = now
    group.save(update_fields=["decision", "decided_by", "decided_at"])
    record(
        actor=actor,
        action="evaluations.quota_group.decide",
        target=group,
        agency_id=period.agency_id,
        after=group.decision,
    )
    return group


@transaction.atomic
def period_decide_all(
    *,
    actor: User,
    period: Period,
    at: dt.datetime | None = None,
    progress: close.Progress | None = None,
) -> close.Decided:
    """The authority decides at once every quota group of the period that needs no choice
    of theirs: the engine's proposed demotions are taken. Groups with a tie at the quota
    line, or with a head whose unit is not decided, are left for a decision one by one."""
    now = _now(at)
    row = _lock_period(period)
    _require_authority(actor, row.agency, _day(now))
    tr.refuse_unless(row, tr.DECISION_STATES, "quyết định xếp loại", "decide ratings")
    outcome = close.decide_period(actor=actor, period=row, now=now, progress=progress)
    record(
        actor=actor,
        action="evaluations.period.decide_all",
        target=row,
        agency_id=row.agency_id,
        after={
            "groups": outcome.groups,
            "evaluations": outcome.evaluations,
            "left": [item.group for item in outcome.skipped],
        },
    )
    return outcome


# --- publish ----------------------------------------------------------------------------------


def _publish(period: Period, now: dt.datetime) -> int:
    """Every official is told their result and the last day to complain: one update and
    one insert of notifications per batch, whatever the headcount."""
    until = _day(now) + dt.timedelta(days=period.complaint_days)
    rows = list(
        period.evaluations.filter(state=E.DECIDED)
        .order_by("pk")
        .values_list("pk", "person_id", "points", "rating", "version")
    )
    update_rows(
        Evaluation,
        ["notified_at", "complaint_until", "version", "updated_at"],
        [(pk, now, until, version + 1, clock.now()) for pk, _p, _pts, _r, version in rows],
    )
    name, name_en = period.name("vi"), period.name("en")
    with translation.override("vi"):
        ratings = {code: _rating_label(code) for code in dict(RATING_CHOICES)}
    Notification.objects.bulk_create(
        (
            Notification(
                recipient_id=person_id,
                text=f"Kết quả đánh giá {name}: "
                + (f"{vn_number(points)} điểm, " if points is not None else "")
                + f"{ratings.get(rating, '—')}. "
                + f"Có thể khiếu nại đến hết ngày {until:%d/%m/%Y}.",
                text_en=f"Your result for {name_en}: "
                + (f"{points} points, " if points is not None else "")
                + f"{_rating_en(rating)}. You may complain until {until:%d/%m/%Y}.",
                link=_evaluation_link(pk),
                created_at=now,
            )
            for pk, person_id, points, rating, _version in rows
        ),
        batch_size=2000,
    )
    return len(rows)
