"""A realistic year of work for the demo agency, written through the work services.

Every task is assigned, started, submitted, returned or accepted by the people who
would do it, backdated with `at=`, so each step has its event and audit entry. The
mix is deterministic: mostly on time and accepted, some late, some returned for a major
error, a few exemptions for an objective cause, a few handed back; the current month
is still open.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.org import managers
from thuocdo.org import services as org_services
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.work import services
from thuocdo.work.history import Excuse, Step, Story, delays_of, tasks_record_history
from thuocdo.work.models import PlanItem, ProductType

# code, name, unit of measure, coefficient, complexity group (illustrative, not the Ban's)
PRODUCTS = (
    ("DA", "Đề án, chiến lược, chính sách lớn", "đề án", "5", 5),
    ("BCCD", "Báo cáo chuyên đề, nghiên cứu", "báo cáo", "3", 4),
    ("HN", "Tổ chức hội nghị, hội thảo, toạ đàm", "cuộc", "2.5", 4),
    ("TT", "Tờ trình, dự thảo văn bản", "văn bản", "1.5", 3),
    ("KS", "Khảo sát, làm việc với địa phương", "đợt", "2", 3),
    ("BCDK", "Báo cáo định kỳ", "báo cáo", "1", 2),
    ("GY", "Ý kiến góp ý, thẩm định văn bản", "văn bản", "1", 2),
    ("CV", "Công văn, văn bản hành chính", "văn bản", "0.5", 1),
    ("TH", "Tổng hợp, xử lý thông tin", "bản tổng hợp", "0.5", 1),
)
TITLES = {
    "DA": ["Xây dựng đề án {f}", "Dự thảo chiến lược phát triển {f}"],
    "BCCD": ["Báo cáo chuyên đề về {f}", "Nghiên cứu, đề xuất chính sách {f}"],
    "HN": ["Tổ chức toạ đàm về {f}", "Hội thảo khoa học: {f}"],
    "TT": ["Dự thảo tờ trình về {f}", "Dự thảo văn bản hướng dẫn {f}"],
    "KS": ["Khảo sát tình hình {f} tại địa phương", "Làm việc với tỉnh về {f}"],
    "BCDK": ["Báo cáo tháng về {f}", "Báo cáo tình hình thực hiện nhiệm vụ {f}"],
    "GY": ["Góp ý dự thảo văn bản về {f}", "Thẩm định đề án {f}"],
    "CV": ["Công văn trả lời về {f}", "Công văn đôn đốc về {f}"],
    "TH": ["Tổng hợp ý kiến về {f}", "Tổng hợp thông tin báo chí về {f}"],
}
FIELDS = (
    "kinh tế vĩ mô",
    "thu hút đầu tư",
    "chuyển đổi số",
    "an sinh xã hội",
    "phát triển nông thôn",
    "khoa học, công nghệ",
    "hội nhập quốc tế",
    "tài nguyên nước",
    "đô thị hoá",
    "nguồn nhân lực",
    "doanh nghiệp nhà nước",
    "kinh tế tư nhân",
)
OBJECTIVE_CAUSES = (
    "Chờ ý kiến của bộ, ngành liên quan quá thời hạn (có văn bản kèm theo).",
    "Thay đổi chỉ đạo của Lãnh đạo Ban giữa chừng.",
    "Địa phương lùi lịch làm việc do thiên tai.",
)


@dataclass(frozen=True)
class Planned:
    story: Story
    exempt: bool


@dataclass(frozen=True)
class Month:
    year: int
    number: int

    def day(self, day: int) -> dt.date:
        return dt.date(self.year, self.number, min(day, 28))


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """The moment a demo step happened: `hour` o'clock of `day`, but never later than now
    (a step of today at 15:00 loaded at 04:00 happened at 04:00, not in the future)."""
    moment = clock.at(day, hour)
    return min(moment, clock.now()) if day == clock.today() else moment


def months_of_year(today: dt.date) -> list[Month]:
    """January up to the current month of `today`'s year."""
    return [Month(today.year, number) for number in range(1, today.month + 1)]


class WorkHistory:
    def __init__(
        self,
        agency: Unit,
        *,
        seed: int,
        today: dt.date,
        tasks_per_month: int = 20,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.agency = agency
        self.rng = random.Random(seed)
        self.today = today
        self.tasks_per_month = tasks_per_month
        self.progress = progress or (lambda _message: None)
        self.users: dict[int, User] = {}

    # --- people -------------------------------------------------------------------------
    def logins_for_everyone(self) -> None:
        """Every official has an account (demo password only for the six demo logins)."""
        for person in Person.objects.filter(agency=self.agency, user__isnull=True):
            org_services.person_set_login(
                actor=None, person=person, username=person.code.lower(), password=None
            )
        self.users = {
            p.pk: p.user
            for p in Person.objects.filter(agency=self.agency).select_related("user")
            if p.user is not None
        }

    def user(self, person: Person) -> User:
        return self.users[person.pk]

    def reviewer_of(self, assignment: Assignment) -> Person:
        """Who assigns and reviews: the nearest leader who manages the official
        (`org.managers`) — for a head, the leader of the unit above, never their own
        deputy. Within a unit, leaders are taken in the order of their role's code."""
        unit = assignment.unit
        roles = ["head", "acting_head", "deputy"]
        while True:
            leaders = sorted(
                (
                    a
                    for a in Assignment.objects.filter(
                        unit=unit, end_date__isnull=True, role__in=roles
                    ).select_related("person")
                    if a.person_id != assignment.person_id
                    and managers.manages(
                        [(unit.pk, unit.path, a.role)],
                        unit_id=assignment.unit_id,
                        unit_path=assignment.unit.path,
                        role=assignment.role,
                    )
                ),
                key=lambda a: (a.role, a.pk),
            )
            if leaders:
                return leaders[0].person
            assert unit.parent is not None
            unit = unit.parent

    # --- catalogue and plans ---------------------------------------------------------------
    def catalogue(self) -> dict[str, ProductType]:
        leader = Person.objects.get(user__username="lanhdao")
        proposer = Person.objects.get(user__username="truongvu")
        personnel = Person.objects.get(user__username="tochuc")
        catalogue = services.catalogue_create(
            actor=self.user(personnel), agency=self.agency, name="Danh mục sản phẩm chung của Ban"
        )
        version = services.catalogue_version_propose(
            actor=self.user(proposer),
            catalogue=catalogue,
            note="Đề xuất theo Điều 13 Nghị định 335/2025/NĐ-CP",
        )
        for order, (code, name, measure, coefficient, group) in enumerate(PRODUCTS):
            services.product_type_add(
                actor=self.user(proposer),
                version=version,
                code=code,
                name=name,
                unit_of_measure=measure,
                coefficient=Decimal(coefficient),
                complexity_group=group,
                sort_order=order,
            )
        services.catalogue_version_standardise(
            actor=self.user(personnel), version=version, note="Đã chuẩn hoá đơn vị sản phẩm chuẩn"
        )
        services.catalogue_version_decide(
            actor=self.user(leader), version=version, note="Quyết định ban hành danh mục năm 2026"
        )
        return {p.code: p for p in ProductType.objects.filter(version=version)}

    def plans(self, products: dict[str, ProductType]) -> dict[int, dict[int, list[PlanItem]]]:
        """Each unit's plan for the year: two monthly items per month."""
        items: dict[int, dict[int, list[PlanItem]]] = {}
        for unit in Unit.objects.filter(agency=self.agency, parent__isnull=False):
            head = (
                Assignment.objects.filter(unit=unit, end_date__isnull=True, role="head")
                .select_related("person")
                .first()
            )
            if head is None:
                continue
            plan = services.plan_create(
                actor=self.user(head.person),
                unit=unit,
                year=self.today.year,
                title=f"Kế hoạch công tác năm {self.today.year}",
            )
            items[unit.pk] = {}
            for month in range(1, 13):
                for code in self.rng.sample(["BCCD", "TT", "BCDK", "GY"], 2):
                    item = services.plan_item_add(
                        actor=self.user(head.person),
                        plan=plan,
                        frequency="month",
                        period_number=month,
                        product_type=products[code],
                        title=f"{products[code].name} tháng {month}",
                        target_quantity=self.rng.randint(2, 6),
                    )
                    items[unit.pk].setdefault(month, []).append(item)
        return items

    # --- tasks -------------------------------------------------------------------------
    def task_specs(self, month: Month) -> Iterator[tuple[str, str, int]]:
        """(kind, product code, quantity) for one person-month."""
        count = self.rng.randint(self.tasks_per_month - 4, self.tasks_per_month + 4)
        for _ in range(count):
            roll = self.rng.random()
            kind = "planned" if roll < 0.6 else "arising" if roll < 0.9 else "other"
            code = self.rng.choices(
                [p[0] for p in PRODUCTS], weights=[1, 4, 2, 6, 2, 8, 8, 12, 10]
            )[0]
            yield kind, code, self.rng.choice([1, 1, 1, 2, 3])

    def stories(
        self,
        assignment: Assignment,
        month: Month,
        products: dict[str, ProductType],
        plan_items: dict[int, dict[int, list[PlanItem]]],
    ) -> Iterator[Planned]:
        """One person-month of tasks, each with the steps its story has reached by today."""
        owner = assignment.person
        reviewer = self.reviewer_of(assignment)
        for kind, code, quantity in self.task_specs(month):
            assigned_on = month.day(self.rng.randint(1, 20))
            if assigned_on > self.today:
                continue
            deadline = assigned_on + dt.timedelta(days=self.rng.randint(3, 12))
            items = plan_items.get(assignment.unit_id, {}).get(month.number, [])
            plan_item = self.rng.choice(items) if kind == "planned" and items else None
            if kind == "planned" and plan_item is None:
                kind = "arising"
            story = Story(
                owner=owner,
                unit=assignment.unit,
                assigner=reviewer,
                assigner_user=self.user(reviewer),
                kind=kind,
                title=self.rng.choice(TITLES[code]).format(f=self.rng.choice(FIELDS)),
                deadline=deadline,
                assigned_at=at(assigned_on),
                quantity=Decimal(quantity),
                product_type=products[code],
                plan_item=plan_item,
                extra="outside_plan" if kind != "planned" and self.rng.random() < 0.05 else "",
            )
            exempt = self.play(story, self.user(owner), self.user(reviewer), assigned_on, deadline)
            yield Planned(story, exempt)

    def play(
        self, story: Story, owner: User, reviewer: User, assigned_on: dt.date, deadline: dt.date
    ) -> bool:
        """Adds the steps the task has reached by today; True when a delay gets exempted."""
        rng, today = self.rng, self.today

        def step(user: User, action: str, day: dt.date, **kw: Any) -> bool:
            if day > today:
                return False
            story.steps.append(Step(action=action, at=at(day, 15), actor=user, **kw))
            return True

        start = assigned_on + dt.timedelta(days=rng.randint(0, 2))
        if not step(owner, "start", start):
            return False
        if rng.random() < 0.02:
            step(
                owner,
                "hand_back",
                start,
                reason="Không đủ điều kiện thực hiện do trùng lịch công tác.",
            )
            return False
        late = rng.random() < 0.12
        submit_on = max(
            start,
            deadline + dt.timedelta(days=rng.randint(1, 6))
            if late
            else deadline - dt.timedelta(days=rng.randint(0, 3)),
        )
        if not step(owner, "submit", submit_on):
            return False
        exempt = late and rng.random() < 0.2
        review_on = submit_on + dt.timedelta(days=rng.randint(0, 2))
        if rng.random() < 0.1:
            if not step(
                reviewer,
                "return",
                review_on,
                reason="Sản phẩm còn lỗi lớn về nội dung, số liệu chưa thống nhất.",
            ):
                return exempt
            fix_on = review_on + dt.timedelta(days=rng.randint(1, 3))
            if not step(owner, "resubmit", fix_on):
                return exempt
            review_on = fix_on + dt.timedelta(days=1)
        done = story.quantity if rng.random() < 0.93 else max(Decimal(0), story.quantity - 1)
        step(reviewer, "accept", review_on, done_quantity=done)
        return exempt

    def excuse(self, story: Story) -> None:
        """The owner shows an objective cause for the first delay; the reviewer confirms,
        on the day the task was accepted (or today): played with the story."""
        accepted = [step.at for step in story.steps if step.action == "accept"]
        day = clock.local_date(accepted[0]) if accepted else self.today
        story.excuses.append(
            Excuse(
                subject="delay",
                requester=self.user(story.owner),
                requested_at=at(day, 16),
                reason=self.rng.choice(OBJECTIVE_CAUSES),
                decider=story.assigner_user,
                decided_at=at(day, 17),
                decision_reason="Xác nhận nguyên nhân khách quan.",
            )
        )

    def build(self, people_limit: int | None = None) -> int:
        self.logins_for_everyone()
        products = self.catalogue()
        plan_items = self.plans(products)
        staff = list(
            Assignment.objects.filter(
                unit__agency=self.agency, end_date__isnull=True, is_concurrent=False
            )
            # The agency's deputies have work too (they are evaluated; its head is not).
            .filter(Q(unit__parent__isnull=False) | Q(role=Assignment.Role.DEPUTY))
            .select_related("person", "unit", "unit__parent")
            .order_by("person__code")
        )[:people_limit]
        total = 0
        for index, assignment in enumerate(staff, start=1):
            planned = [
                item
                for month in months_of_year(self.today)
                if month.day(1) >= assignment.start_date.replace(day=1)
                for item in self.stories(assignment, month, products, plan_items)
            ]
            for item in planned:  # only a task counted late has a delay to excuse
                if item.exempt and delays_of(item.story):
                    self.excuse(item.story)
            stories = [item.story for item in planned]
            tasks_record_history(stories=stories)
            total += len(stories)
            if index % 12 == 0 or index == len(staff):
                self.progress(f"{index}/{len(staff)} người, {total} nhiệm vụ")
        return total
