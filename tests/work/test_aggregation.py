"""SQL aggregation of task facts against the engine's per-task path, and live_kpi."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from thuocdo.scoring import (
    KindFacts,
    LeaderFacts,
    PersonInputs,
    aggregate_tasks,
    load_preset,
    score_person,
)
from thuocdo.work import services
from thuocdo.work.models import TaskEvent
from thuocdo.work.selectors import DateRange, live_kpi, task_facts, task_lines

from .conftest import D, Work

JANUARY = DateRange.month(2026, 1)
DECREE = load_preset("decree-335-2025")


def worked_example(work: Work) -> None:
    """The decree's example as real tasks of staff_x in January 2026, plus noise."""
    report = work.assign(product="BC", deadline=D(2026, 1, 20), title="Báo cáo chính sách")
    work.act(
        work.act(report, "submit", on=D(2026, 1, 15)), "accept", by="head_x", on=D(2026, 1, 16)
    )

    memo = work.assign(product="CV", quantity="3", title="Công văn")
    memo = work.act(memo, "submit", on=D(2026, 1, 12))
    memo = work.act(memo, "return", by="head_x", on=D(2026, 1, 13), reason="Sai thể thức")
    memo = work.act(memo, "resubmit", on=D(2026, 1, 14))
    work.act(memo, "accept", by="head_x", on=D(2026, 1, 15))

    review = work.assign(product="TD", deadline=D(2026, 1, 10), title="Thẩm định")
    review = work.act(review, "submit", on=D(2026, 1, 12))  # late: delay 1
    review = work.act(review, "return", by="head_x", on=D(2026, 1, 13), reason="Thiếu ý kiến")
    exemption = services.exemption_request(
        actor=work.cast.user("staff_x"),
        event=TaskEvent.objects.get(task=review, action="return"),
        reason="Văn bản gốc do Bộ gửi sai",
    )
    services.exemption_decide(
        actor=work.cast.user("head_x"),
        exemption=exemption,
        approve=True,
        reason="Đã xác minh",
        expected_version=review.version,
    )
    review = work.act(review, "resubmit", on=D(2026, 1, 14))  # late again: delay 2
    work.act(review, "accept", by="head_x", on=D(2026, 1, 15))

    arising = work.assign(
        kind="arising", product="DX", deadline=D(2026, 1, 25), title="Việc phát sinh"
    )
    work.act(arising, "hand_back", on=D(2026, 1, 20), reason="Không đủ thời gian")

    # Noise that must not count for staff_x in January.
    work.act(work.assign(kind="other", product="BC"), "cancel", by="head_x", reason="Thôi")
    work.assign(kind="other", product="BC", deadline=D(2026, 2, 10))  # due in February
    other = work.assign("staff_x1", product="BC")
    work.act(work.act(other, "submit", by="staff_x1"), "accept", by="head_x")
    late_done = work.assign(product="CV", deadline=D(2026, 1, 30))
    work.act(
        work.act(late_done, "submit", on=D(2026, 2, 2)), "accept", by="head_x", on=D(2026, 2, 3)
    )  # completed in February: counts there


def test_the_worked_example_from_real_tasks_scores_76_10(work: Work) -> None:
    worked_example(work)
    result = live_kpi(person=work.cast.person("staff_x"), period=JANUARY, general_points=27)
    assert result.status == "scored"
    assert result.points == Decimal("76.10")
    assert result.rating == "good"
    assert result.exact == 27 + Fraction(70) * Fraction(101, 48) / 3
    assert result.breakdown is not None
    a, b, c = (result.breakdown.find(k) for k in ("a", "b", "c"))
    assert (a and a.ratio, b and b.ratio, c and c.ratio) == (
        Fraction(3, 4),
        Fraction(11, 16),
        Fraction(2, 3),
    )


def test_sql_aggregation_equals_the_engines_per_task_path(work: Work) -> None:
    worked_example(work)
    person = work.cast.person("staff_x")
    lines = task_lines(person, JANUARY)
    assert len(lines) == 4
    facts = task_facts([person.pk], JANUARY, DECREE)[person.pk]
    assert facts == aggregate_tasks(DECREE, lines)
    assert facts["planned"] == KindFacts(
        Fraction(9, 2), Fraction(9, 2), Fraction(33, 8), Fraction(4), Fraction(0), 3
    )
    by_lines = score_person(
        DECREE, PersonInputs(task_lines=tuple(lines), given_points={"general": Fraction(27)})
    )
    assert by_lines.exact == live_kpi(person=person, period=JANUARY, general_points=27).exact


def test_facts_for_many_people_take_one_query(work: Work, django_assert_num_queries: Any) -> None:
    worked_example(work)
    ids = [work.cast.person("staff_x").pk, work.cast.person("staff_x1").pk]
    with django_assert_num_queries(1):
        facts = task_facts(ids, JANUARY, DECREE)
    assert set(facts) == set(ids)
    assert facts[ids[1]]["planned"].w == 2


def test_extra_work_counts_in_numerators_only(work: Work) -> None:
    person = work.cast.person("staff_x")
    base = work.assign(kind="arising", product="TD")
    work.act(work.act(base, "submit"), "accept", by="head_x")
    extra = work.assign(kind="arising", product="BC", extra="outside_plan")
    work.act(work.act(extra, "submit"), "accept", by="head_x")
    facts = task_facts([person.pk], JANUARY, DECREE)[person.pk]["arising"]
    assert (facts.w, facts.done, facts.extra_done, facts.count) == (1, 3, 2, 2)
    assert facts == aggregate_tasks(DECREE, task_lines(person, JANUARY))["arising"]
    result = live_kpi(person=person, period=JANUARY, general_points=27)
    assert result.points == Decimal("97.00")  # a = b = c = 300 %, task points capped at 70


def test_work_not_yet_due_is_left_out_of_a_live_score(work: Work) -> None:
    person = work.cast.person("staff_x")
    work.assign(kind="arising", product="TD", deadline=D(2026, 1, 20))
    assert task_facts([person.pk], JANUARY, DECREE, as_of=D(2026, 1, 15)) == {}
    assert task_facts([person.pk], JANUARY, DECREE)[person.pk]["arising"].w == 1
    result = live_kpi(person=person, period=JANUARY, general_points=27, as_of=D(2026, 1, 15))
    assert result.status == "not_scored"


def test_a_floor_keeps_q_at_zero_after_five_failures(work: Work) -> None:
    person = work.cast.person("staff_x")
    task = work.assign(kind="arising", product="TD")
    task = work.act(task, "submit")
    for _ in range(5):
        task = work.act(task, "return", by="head_x", reason="Lỗi lớn")
        task = work.act(task, "resubmit")
    work.act(task, "accept", by="head_x")
    facts = task_facts([person.pk], JANUARY, DECREE)[person.pk]["arising"]
    assert (facts.done, facts.done_q) == (1, 0)
    assert facts == aggregate_tasks(DECREE, task_lines(person, JANUARY))["arising"]


@pytest.mark.parametrize(
    ("period", "days"), [(DateRange.quarter(2026, 1), 90), (DateRange.year(2024), 366)]
)
def test_date_ranges(period: DateRange, days: int) -> None:
    assert (period.end - period.start).days + 1 == days


def test_the_role_comes_from_the_main_assignment(work: Work) -> None:
    task = work.assign("deputy_x", by="head_x", kind="arising", product="TD")
    work.act(work.act(task, "submit", by="deputy_x"), "accept", by="head_x")
    one = Fraction(1)
    result = live_kpi(
        person=work.cast.person("deputy_x"),
        period=JANUARY,
        general_points=27,
        leader=LeaderFacts(d=one, dd=one, e=one),
    )
    assert result.role == "deputy"
    assert result.points == Decimal("97.00")
