"""Agency A grown to about fifty officials with every edge a month's close meets: heads,
deputies with and without assigned fields, an acting head, an official transferred in the
middle of the month, planned, arising and extra work, late and returned products, an
approved exemption, a discipline and a flag override, reviewers who change scores and set
d/đ/e, a quota group with the 25% exception, and two officials tied at the quota line.

Built through the services (tasks in bulk through `tasks_record_history`), then taken to
the decision step of January 2026 with every unit decided.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from tests.conftest import PASSWORD, Cast
from tests.evaluations.conftest import (
    COLLECTIVE,
    DECISION,
    OPENED,
    REVIEW,
    SELF,
    Flow,
    open_period,
    scores,
)
from tests.work.conftest import Work, at, build_work
from thuocdo.core.models import User
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, QuotaGroup, UnitEvaluation
from thuocdo.org import services as org
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.work import services as work_services
from thuocdo.work.history import Step, Story, tasks_record_history
from thuocdo.work.models import Task, TaskEvent

D = dt.date
ROLE = Assignment.Role


@dataclass
class Member:
    name: str
    person: Person
    unit: Unit
    role: str
    general: str = "25"  # general criteria total
    reviewer: str = ""


@dataclass
class EdgeAgency:
    flow: Flow
    members: dict[str, Member] = field(default_factory=dict)


def _person(cast: Cast, code: str, name: str, unit: Unit, role: str, **kw: object) -> Person:
    person = org.person_create(
        actor=None,
        agency=cast.agency_a,
        code=code,
        full_name=name,
        category=Person.Category.CIVIL_SERVANT,
    )
    org.assignment_start(
        actor=None,
        person=person,
        unit=unit,
        role=role,
        start_date=D(2025, 1, 1),
        assigned_fields=kw.get("fields") or [],  # type: ignore[arg-type]
    )
    org.person_set_login(actor=None, person=person, username=code.lower(), password=PASSWORD)
    return person


def build_edge_agency(cast: Cast) -> EdgeAgency:
    work = build_work(cast)
    x2 = org.unit_create(
        actor=None, parent=cast.unit_x, code="X2", name="Phòng Hai", kind=Unit.Kind.OFFICE
    )
    Assignment.objects.filter(person=cast.person("deputy_x"), end_date__isnull=True).update(
        assigned_fields=["Phòng Một"]  # the deputy answers for office X1 only
    )
    units = {"X": cast.unit_x, "X1": cast.office_x1, "X2": x2, "Y": cast.unit_y}
    members: dict[str, Member] = {}
    for name in (
        "head_x",
        "deputy_x",
        "staff_x",
        "staff_x1",
        "head_y",
        "staff_y",
        "personnel_a",
        "auditor_a",
    ):
        assignment = cast.assignment(name)
        members[name] = Member(name, cast.person(name), assignment.unit, assignment.role)
    plan = [
        ("h_x1", "X1", ROLE.HEAD, {}),
        ("a_x2", "X2", ROLE.ACTING_HEAD, {}),
        ("d_y", "Y", ROLE.DEPUTY, {"fields": ["Không khớp đơn vị nào"]}),  # whole-unit fallback
        ("d_y2", "Y", ROLE.DEPUTY, {}),  # a second deputy of Y: not in d_y's charge
    ]
    for unit_code, count in (("X", 5), ("X1", 6), ("X2", 7), ("Y", 6)):
        plan += [(f"s_{unit_code.lower()}_{i}", unit_code, ROLE.STAFF, {}) for i in range(count)]
    for index, (name, unit_code, role, kw) in enumerate(plan, start=1):
        person = _person(
            cast,
            f"E{index:03d}",
            f"Trần Văn {name.replace('_', ' ').title()}",
            units[unit_code],
            role,
            **kw,
        )
        members[name] = Member(name, person, units[unit_code], role)
    # Moved from Y to X2 in the middle of January: rated by X2, where they are at the month's end.
    org.person_move(
        actor=None,
        person=members["s_y_5"].person,
        unit=x2,
        start_date=D(2026, 1, 15),
        reason="Điều động theo Quyết định số 12/QĐ ngày 10/01/2026",
    )
    members["s_y_5"].unit = x2
    _record_work(cast, work, members)
    flow = Flow(cast, work, open_period(cast))
    agency = EdgeAgency(flow, members)
    _to_decision(agency)
    return agency


def _leader_of(members: dict[str, Member], member: Member, cast: Cast) -> Member:
    """Who assigns and reviews: the unit's head (acting head), a head's superior."""
    unit = member.unit
    if member.role in (ROLE.HEAD, ROLE.ACTING_HEAD):
        parent = Unit.objects.get(pk=unit.parent_id)
        if parent.parent_id is None:
            return Member("leader_a", cast.person("leader_a"), parent, ROLE.HEAD)
        return next(m for m in members.values() if m.unit == parent and m.role == ROLE.HEAD)
    return next(
        m
        for m in members.values()
        if m.unit.pk == unit.pk and m.role in (ROLE.HEAD, ROLE.ACTING_HEAD)
    )


def _planned(work: Work, member: Member, boss: Member, owner_user: User, boss_user: User) -> Story:
    """A task of unit X's plan for January, accepted with part of its quantity."""
    story = Story(
        owner=member.person,
        unit=member.unit,
        assigner=boss.person,
        assigner_user=boss_user,
        kind=Task.Kind.PLANNED,
        title=f"Văn bản tham mưu theo kế hoạch: {member.person.full_name}",
        deadline=D(2026, 1, 22),
        assigned_at=at(D(2026, 1, 5)),
        quantity=Decimal(4),
        product_type=work.products["CV"],
        plan_item=work.item,
    )
    story.steps += [
        Step("submit", at(D(2026, 1, 21), 9), owner_user),
        Step("accept", at(D(2026, 1, 21), 16), boss_user, done_quantity=Decimal(3)),
    ]
    return story


def _record_work(cast: Cast, work: Work, members: dict[str, Member]) -> None:
    rnd = random.Random(335)
    stories = []
    products = list(work.products.values())
    for name, member in sorted(members.items()):
        boss = _leader_of(members, member, cast)
        member.reviewer = boss.name
        boss_user = boss.person.user
        owner_user = member.person.user
        assert boss_user is not None and owner_user is not None
        tied = name in ("s_x2_0", "s_x2_1")  # the same work, the same score: a tie
        count = 3 if tied else rnd.randint(2, 6)
        if member.unit.pk == cast.unit_x.pk and member.role == ROLE.STAFF:
            stories.append(_planned(work, member, boss, owner_user, boss_user))
        for i in range(count):
            product = products[1] if tied else rnd.choice(products)
            deadline = D(2026, 1, 10 + (i * 4) % 18)
            story = Story(
                owner=member.person,
                unit=member.unit,
                assigner=boss.person,
                assigner_user=boss_user,
                kind=Task.Kind.ARISING,
                title=f"Nhiệm vụ {i + 1} của {member.person.full_name}",
                deadline=deadline,
                assigned_at=at(D(2026, 1, 5)),
                quantity=Decimal(1 if tied else rnd.randint(1, 3)),
                product_type=product,
                extra=Task.Extra.OUTSIDE_PLAN if not tied and rnd.random() < 0.1 else "",
            )
            fate = (
                "ok"
                if tied
                else rnd.choices(["ok", "late", "returned", "handed_back"], [6, 2, 2, 1])[0]
            )
            submitted = deadline + dt.timedelta(days=2 if fate == "late" else -1)
            if fate == "handed_back":
                story.steps.append(
                    Step("hand_back", at(deadline, 9), owner_user, reason="Không kịp")
                )
            else:
                story.steps.append(Step("submit", at(submitted, 9), owner_user))
                if fate == "returned":
                    story.steps.append(
                        Step("return", at(submitted, 11), boss_user, reason="Sai số liệu")
                    )
                    story.steps.append(Step("resubmit", at(submitted, 15), owner_user))
                story.steps.append(Step("accept", at(submitted, 16), boss_user))
            stories.append(story)
    tasks_record_history(stories=stories)
    # One delay excused for an objective cause.
    event = TaskEvent.objects.filter(delays__gt=0).order_by("id").first()
    assert event is not None
    owner = event.task.owner.user
    assert owner is not None
    exemption = work_services.exemption_request(
        actor=owner, event=event, reason="Mất điện toàn khu vực hai ngày", at=at(D(2026, 1, 28))
    )
    boss = _leader_of(
        members, next(m for m in members.values() if m.person == event.task.owner), cast
    )
    assert boss.person.user is not None
    work_services.exemption_decide(
        actor=boss.person.user,
        exemption=exemption,
        approve=True,
        reason="Nguyên nhân khách quan có xác nhận",
        expected_version=Task.objects.get(pk=exemption.task_id).version,
        at=at(D(2026, 1, 29)),
    )


def _to_decision(agency: EdgeAgency) -> None:
    flow, members = agency.flow, agency.members
    cast = flow.cast
    by_person = {m.person.pk: m for m in members.values()}
    rnd = random.Random(22)  # X1 clear of its quota line, X2 tied at it (the test checks)
    flow.step("start_self_assessment", on=OPENED)
    # In the order of the officials' codes: the same data whatever ids the database gives.
    evaluations = Evaluation.objects.filter(period=flow.period).order_by("person__code")
    for ev in evaluations.select_related("person"):
        member = by_person[ev.person_id]
        tied = member.name in ("s_x2_0", "s_x2_1")
        total = "30" if tied else str(rnd.choice([18, 22.5, 25, 27.5, 30]))
        user = ev.person.user
        assert user is not None
        services.evaluation_self_assess(
            actor=user,
            evaluation=ev,
            expected_version=ev.version,
            scores=scores(total),
            comment="Hoàn thành các nhiệm vụ được giao",
            at=at(SELF),
        )
    flow.step("start_review", on=REVIEW)
    changes: dict[str, dict[str, object]] = {
        "s_x_0": {  # the reviewer lowers one score, with a reason
            "scores": {"g1_politics": "3.5"},
            "reasons": {"g1_politics": "Chưa tham gia đầy đủ sinh hoạt chuyên đề"},
        },
        "head_y": {"leader": {"e": {"value": "0.5", "reason": "Để xảy ra khiếu nại kéo dài"}}},
    }
    for ev in Evaluation.objects.filter(period=flow.period):
        member = by_person[ev.person_id]
        reviewer = members[member.reviewer].person.user if member.reviewer in members else None
        services.evaluation_review(
            actor=reviewer or cast.user("leader_a"),
            evaluation=ev,
            expected_version=ev.version,
            comment="Đồng ý với kết quả tự đánh giá",
            at=at(REVIEW),
            **changes.get(member.name, {}),  # type: ignore[arg-type]
        )
    flow.step("start_collective", on=COLLECTIVE)
    for unit in Unit.objects.filter(agency_id=cast.agency_a.pk, parent__isnull=False):
        services.minutes_record(
            actor=cast.user("personnel_a"),
            period=flow.refresh(),
            unit=unit,
            text="Tập thể nhất trí với kết quả tự đánh giá và nhận xét của lãnh đạo.",
            held_on=COLLECTIVE,
            attendees=[],
            total_members=5,
            at=at(COLLECTIVE),
        )
    for name, kind, value, ref in (
        ("s_y_0", "discipline", "reprimand", "Quyết định kỷ luật số 3/QĐ-KL"),
        ("d_y", "flag", "corruption_or_waste_in_charge", "Kết luận thanh tra số 7/KL-TTr"),
    ):
        services.override_add(
            actor=cast.user("personnel_a"),
            evaluation=Evaluation.objects.get(period=flow.period, person=members[name].person),
            kind=kind,
            value=value,
            document_ref=ref,
            at=at(COLLECTIVE),
        )
    flow.step("start_decision", on=DECISION)
    for ue in UnitEvaluation.objects.filter(period=flow.period).order_by("unit__path"):
        services.unit_evaluation_give_rating(
            actor=cast.user("leader_a"),
            unit_evaluation=ue,
            rating="good" if ue.unit.code == "Y" else "excellent",
            basis="Kết quả thực hiện kế hoạch của đơn vị",
            at=at(DECISION),
        )
        services.unit_evaluation_decide(
            actor=cast.user("leader_a"), unit_evaluation=ue, at=at(DECISION)
        )
    services.period_compile(actor=cast.user("personnel_a"), period=flow.refresh(), at=at(DECISION))
    services.quota_group_set_exception(
        actor=cast.user("leader_a"),
        group=QuotaGroup.objects.get(period=flow.period, code="unit:X1"),
        ratio="0.25",
        basis="Đơn vị hoàn thành xuất sắc nhiệm vụ năm trước",
        at=at(DECISION),
    )
