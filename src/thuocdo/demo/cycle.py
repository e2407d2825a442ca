"""The demo agency's evaluation history, taken through the evaluation services.

Every month of the year before last month is opened, self-assessed, reviewed, commented
on by each unit, decided (quota demotions included) and published; last month is in
review with part of the reviews done (the demo heads still have a queue); this month is
open. One official complains about the last published result and is answered. Every
step is backdated with `at=` and never later than now, so the audit trail reads as the
office's calendar.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from thuocdo.core.models import User
from thuocdo.demo.work import Month, at, months_of_year
from thuocdo.evaluations import services
from thuocdo.evaluations.compute import general_nodes
from thuocdo.evaluations.models import (
    Complaint,
    Evaluation,
    Period,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.evaluations.progress import nearest_manager
from thuocdo.evaluations.selectors import decision_sheet
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Person, Unit
from thuocdo.org.notices import silenced

E = Evaluation.State
# How an official usually scores their general criteria (share of the maximum) and how
# many are like that: most are solid, some excellent, a few weaker.
DISPOSITIONS = ((0.2, Fraction(97, 100)), (0.6, Fraction(85, 100)), (0.2, Fraction(75, 100)))
UNIT_RATINGS = ("excellent", "good", "good", "excellent", "good", "completed")
SELF_COMMENTS = (
    "Hoàn thành đầy đủ, đúng tiến độ các nhiệm vụ được giao trong tháng.",
    "Hoàn thành các nhiệm vụ được giao; một số sản phẩm còn phải chỉnh sửa.",
    "Chủ động tham mưu, phối hợp tốt với các đơn vị liên quan.",
)
REVIEW_COMMENTS = (
    "Đồng ý với kết quả tự đánh giá.",
    "Thống nhất với tự đánh giá; cần chủ động hơn trong phối hợp.",
)
MINUTES_TEXT = (
    "Tập thể đơn vị thảo luận, nhất trí với kết quả tự đánh giá của từng cá nhân và nhận xét, "
    "đánh giá của lãnh đạo đơn vị."
)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Calendar:
    """The days of one month's evaluation: opened near the month's end, the rest in the
    first working days of the next month."""

    opened: dt.date
    self_from: dt.date
    review_from: dt.date
    collective: dt.date
    decision: dt.date
    publish: dt.date
    complaint: dt.date

    @classmethod
    def of(cls, month: Month) -> Calendar:
        first_next = (month.day(28) + dt.timedelta(days=5)).replace(day=1)
        self_from = services.add_working_days(first_next - dt.timedelta(days=1), 1)
        return cls(
            opened=_weekday_on_or_before(month.day(24)),
            self_from=self_from,
            review_from=services.add_working_days(self_from, 3),
            collective=services.add_working_days(self_from, 5),
            decision=services.add_working_days(self_from, 6),
            publish=services.add_working_days(self_from, 7),
            complaint=services.add_working_days(self_from, 9),
        )

    def deadlines(self) -> dict[str, dt.date]:
        return {
            "self_assessment_until": services.add_working_days(self.self_from, 2),
            "review_until": services.add_working_days(self.self_from, 4),
            "collective_until": self.collective,
            "decision_until": services.add_working_days(self.self_from, 8),
        }


class EvaluationHistory:
    def __init__(
        self,
        agency: Unit,
        *,
        seed: int,
        today: dt.date,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.agency = agency
        self.rng = random.Random(seed * 7 + 1)
        self.today = today
        self.progress = progress or (lambda _message: None)
        self.office = User.objects.get(username="tochuc")
        self.authority = User.objects.get(username="lanhdao")
        self.users = {
            p.pk: p.user
            for p in Person.objects.filter(agency=agency).select_related("user")
            if p.user is not None
        }
        self.share = {pk: self._disposition() for pk in sorted(self.users)}
        self.reviewers: dict[tuple[int, str, dt.date], Person] = {}

    def _disposition(self) -> Fraction:
        roll, total = self.rng.random(), 0.0
        for weight, share in DISPOSITIONS:
            total += weight
            if roll < total:
                return share
        return DISPOSITIONS[-1][1]

    # --- people ----------------------------------------------------------------------------
    def reviewer(self, ev: Evaluation, day: dt.date) -> Person:
        """The official's direct manager that day (the same for a unit and role)."""
        key = (ev.unit_id, ev.role, day)
        if key not in self.reviewers:
            found = nearest_manager(ev, day)
            assert found is not None, f"no manager for evaluation {ev.pk}"
            self.reviewers[key] = found
        return self.reviewers[key]

    def scores(self, ev: Evaluation) -> dict[str, str]:
        """General scores near the person's usual level, on each criterion's scale."""
        out = {}
        for node in general_nodes(engine_framework(ev.framework), ev.role):
            assert node.scale is not None
            top, step = node.scale.max, node.scale.step
            share = self.share.get(ev.person_id, Fraction(9, 10))
            wobble = Fraction(self.rng.choice([-1, 0, 0, 0, 1]), 20)
            value = max(Fraction(0), min(Fraction(top), Fraction(top) * (share + wobble)))
            value = (value / step).__floor__() * step
            out[node.key] = str(Decimal(value.numerator) / Decimal(value.denominator))
        return out

    # --- one period --------------------------------------------------------------------------
    def step(self, period: Period, action: str, day: dt.date, by: User | None = None) -> Period:
        period.refresh_from_db()
        return services.period_transition(
            actor=by or self.office,
            period=period,
            action=action,
            expected_version=period.version,
            at=at(day, 8),
        )

    def evaluations(self, period: Period) -> list[Evaluation]:
        return list(
            period.evaluations.select_related("unit", "unit__parent", "framework").order_by(
                "unit__path", "pk"
            )
        )

    def self_assess(self, period: Period, cal: Calendar) -> None:
        last = min(services.add_working_days(cal.self_from, 2), self.today)
        for index, ev in enumerate(self.evaluations(period)):
            day = min(services.add_working_days(cal.self_from, index % 3), last)
            services.evaluation_self_assess(
                actor=self.users[ev.person_id],
                evaluation=ev,
                expected_version=ev.version,
                scores=self.scores(ev),
                comment=self.rng.choice(SELF_COMMENTS),
                at=at(day, 9 + index % 8),
            )

    def review(self, period: Period, day: dt.date, *, skip: Iterable[int] = ()) -> int:
        """Reviews everyone except the people managed by `skip` (demo heads keep a queue)."""
        left_out, done = set(skip), 0
        for index, ev in enumerate(self.evaluations(period)):
            reviewer = self.reviewer(ev, day)
            if reviewer.pk in left_out:
                continue
            services.evaluation_review(
                actor=self.users[reviewer.pk],
                evaluation=ev,
                expected_version=ev.version,
                comment=self.rng.choice(REVIEW_COMMENTS),
                at=at(day, 10 + index % 7),
            )
            done += 1
        return done

    def minutes(self, period: Period, day: dt.date) -> None:
        units = Unit.objects.filter(
            pk__in=period.evaluations.values_list("unit_id", flat=True)
        ).order_by("path")
        for unit in units:
            members = list(period.evaluations.filter(unit=unit).values_list("person_id", flat=True))
            present = [pk for pk in members if self.rng.random() > 0.08] or members
            services.minutes_record(
                actor=self.office,
                period=period,
                unit=unit,
                text=MINUTES_TEXT,
                held_on=day,
                attendees=present,
                total_members=len(members),
                at=at(day, 14),
            )

    def rate_units(self, period: Period, day: dt.date) -> None:
        unit_evaluations = period.unit_evaluations.select_related("unit").order_by("-unit__path")
        for index, ue in enumerate(unit_evaluations):
            rating = UNIT_RATINGS[(index + period.number) % len(UNIT_RATINGS)]
            services.unit_evaluation_give_rating(
                actor=self.authority,
                unit_evaluation=ue,
                rating=rating,
                basis="Kết quả thực hiện kế hoạch công tác và chỉ tiêu của đơn vị trong tháng.",
                at=at(day, 9),
            )
            services.unit_evaluation_decide(
                actor=self.authority,
                unit_evaluation=UnitEvaluation.objects.get(pk=ue.pk),
                at=at(day, 9),
            )

    def decide(self, period: Period, day: dt.date) -> None:
        outcome = services.period_decide_all(actor=self.authority, period=period, at=at(day, 10))
        for skipped in outcome.skipped:
            group = period.quota_groups.get(code=skipped.group)
            services.group_decide(
                actor=self.authority, group=group, demote=self.demotions(group), at=at(day, 11)
            )

    @staticmethod
    def demotions(group: QuotaGroup) -> list[int]:
        """The engine's definite demotions plus, at a tie on the line, the first tied
        (the authority's choice, as the group page would record it)."""
        quota = decision_sheet(group)["quota"]
        chosen = [int(d["person_id"]) for d in quota["demotions"]]
        for tie in quota["ties"]:
            chosen += [int(pk) for pk in sorted(tie["candidates"])[: tie["choose"]]]
        return chosen

    def close(self, period: Period, cal: Calendar) -> None:
        self.step(period, "start_self_assessment", cal.self_from)
        self.self_assess(period, cal)
        self.step(period, "start_review", cal.review_from)
        self.review(period, cal.review_from)
        self.step(period, "start_collective", cal.collective)
        self.minutes(period, cal.collective)
        self.step(period, "start_decision", cal.decision)
        self.rate_units(period, cal.decision)
        # The office compiles again once the units are decided: a head is never rated
        # above the unit, so the groups' proposals read the units' ratings.
        services.period_compile(actor=self.office, period=period, at=at(cal.decision, 9))
        self.decide(period, cal.decision)
        self.step(period, "publish", cal.publish, by=self.authority)

    def open(self, month: Month, cal: Calendar, on: dt.date) -> Period:
        return services.period_create(
            actor=self.office,
            agency=self.agency,
            kind=Period.Kind.MONTH,
            year=month.year,
            number=month.number,
            deadlines=cal.deadlines(),
            at=at(on, 8),
        )

    def complain(self, period: Period, cal: Calendar) -> Complaint:
        """An official demoted by the quota (or, failing that, one rated good) contests."""
        evs = period.evaluations.filter(state=E.DECIDED).select_related("person")
        demoted = [ev for ev in evs if ev.result and ev.result.get("rating_changes")]
        ev = (demoted or [e for e in evs if e.rating == "good"] or list(evs))[0]
        with silenced():  # answered at once below: the head has nothing left to do
            complaint = services.complaint_file(
                actor=self.users[ev.person_id],
                evaluation=ev,
                text="Tôi đề nghị xem xét lại xếp loại: các sản phẩm trong tháng đều hoàn "
                "thành đúng hạn, có sản phẩm được Lãnh đạo Ban biểu dương.",
                at=at(cal.complaint, 9),
            )
        answered_on = services.add_working_days(cal.complaint, 3)
        return services.complaint_answer(
            actor=self.authority,
            complaint=complaint,
            answer="Giữ nguyên xếp loại: số người Hoàn thành xuất sắc nhiệm vụ của đơn vị đã "
            "đủ 20% theo khoản 5 Điều 20 Nghị định 335/2025/NĐ-CP; điểm của đồng chí thấp "
            "hơn những người được giữ mức xuất sắc.",
            outcome=Complaint.Outcome.KEPT,
            at=at(answered_on, 15),
        )

    def build(self) -> int:
        months = months_of_year(self.today)
        current, earlier = months[-1], months[:-1]
        periods = 0
        for index, month in enumerate(earlier):
            cal = Calendar.of(month)
            period = self.open(month, cal, cal.opened)
            if index < len(earlier) - 1:
                self.close(period, cal)
                if index == len(earlier) - 2:
                    self.complain(period, cal)
            else:
                self.in_review(period, cal)
            periods += 1
            period.refresh_from_db()
            self.progress(f"{period.name('vi')}: {period.get_state_display()}")
        self.open(current, Calendar.of(current), current.day(1))
        return periods + 1

    def in_review(self, period: Period, cal: Calendar) -> None:
        """Last month: self-assessed and in review; the demo department's heads still have
        their people to review."""
        start = min(cal.self_from, self.today)
        self.step(period, "start_self_assessment", start)
        self.self_assess(period, Calendar(**{**cal.__dict__, "self_from": start}))
        review_from = min(cal.review_from, self.today)
        self.step(period, "start_review", review_from)
        keep = Person.objects.filter(user__username__in=["truongvu", "phovu"])
        self.review(period, review_from, skip=keep.values_list("pk", flat=True))
