"""Property tests (hypothesis) of the engine, the quota and the head rule."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.scoring import (
    RATINGS,
    LeaderFacts,
    PersonInputs,
    QuotaMember,
    TaskLine,
    apply_head_rule,
    load_preset,
    resolve_quota,
    score_person,
)

DECREE = load_preset("decree-335-2025")
BAN = load_preset("ban-cscl-2025")
FAST = settings(max_examples=150, deadline=None)

# a coefficient and a quantity are > 0 (a zero one is refused: test_engine_edges)
quarters = st.integers(min_value=1, max_value=40).map(lambda n: Fraction(n, 4))


@st.composite
def task_lines(draw: Any) -> TaskLine:
    quantity = draw(st.integers(min_value=1, max_value=8))
    failures = draw(st.integers(min_value=0, max_value=5))
    delays = draw(st.integers(min_value=0, max_value=5))
    return TaskLine(
        kind=draw(st.sampled_from(["planned", "arising", "other"])),
        quantity=Fraction(quantity),
        coefficient=draw(quarters),
        done=Fraction(draw(st.integers(min_value=0, max_value=quantity))),
        failures=failures,
        exempt_failures=draw(st.integers(min_value=0, max_value=failures)),
        delays=delays,
        exempt_delays=draw(st.integers(min_value=0, max_value=delays)),
        extra=draw(st.sampled_from([None, None, None, "taken_over", "outside_plan"])),
    )


lines_st = st.lists(task_lines(), min_size=0, max_size=12)
general_st = st.integers(min_value=0, max_value=60).map(lambda n: Fraction(n, 2))
role_st = st.sampled_from(["staff", "deputy", "head"])
level_st = st.sampled_from([Fraction(1), Fraction(1, 2)])


def inputs(
    lines: list[TaskLine],
    general: Fraction,
    role: str = "staff",
    levels: tuple[Fraction, Fraction, Fraction] = (Fraction(1),) * 3,
) -> PersonInputs:
    leader = LeaderFacts(*levels) if role != "staff" else None
    return PersonInputs(
        role=role, task_lines=tuple(lines), given_points={"general": general}, leader=leader
    )


@FAST
@given(
    lines_st,
    general_st,
    role_st,
    st.tuples(level_st, level_st, level_st),
    st.sampled_from([DECREE, BAN]),
)
def test_points_stay_within_0_and_100(
    lines: list[TaskLine], general: Fraction, role: str, levels: Any, fw: Any
) -> None:
    r = score_person(fw, inputs(lines, general, role, levels), explain=False)
    if r.status == "scored":
        assert r.exact is not None
        assert 0 <= r.exact <= 100
        assert r.points is not None
        assert Decimal(0) <= r.points <= Decimal(100)
    else:
        assert sum((ln.quantity * ln.coefficient for ln in lines if not ln.extra), Fraction(0)) == 0


@FAST
@given(lines_st, general_st, st.data())
def test_completing_more_never_lowers_points(
    lines: list[TaskLine], general: Fraction, data: Any
) -> None:
    open_ = [i for i, ln in enumerate(lines) if ln.done < ln.quantity]
    if not open_:
        return
    i = data.draw(st.sampled_from(open_))
    more = list(lines)
    more[i] = replace(lines[i], done=lines[i].done + 1)
    for fw in (DECREE, BAN):
        before = score_person(fw, inputs(lines, general), explain=False)
        after = score_person(fw, inputs(more, general), explain=False)
        if before.exact is not None and after.exact is not None:
            assert after.exact >= before.exact


@FAST
@given(lines_st.filter(bool), general_st, st.data(), st.sampled_from(["failures", "delays"]))
def test_an_extra_failure_or_delay_never_raises_points(
    lines: list[TaskLine], general: Fraction, data: Any, what: str
) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    worse = list(lines)
    worse[i] = replace(lines[i], **{what: getattr(lines[i], what) + 1})
    for fw in (DECREE, BAN):
        before = score_person(fw, inputs(lines, general), explain=False)
        after = score_person(fw, inputs(worse, general), explain=False)
        if before.exact is not None:
            assert after.exact is not None
            assert after.exact <= before.exact


@FAST
@given(lines_st, general_st, st.randoms(use_true_random=False))
def test_task_order_is_irrelevant(lines: list[TaskLine], general: Fraction, rnd: Any) -> None:
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    for fw in (DECREE, BAN):
        a = score_person(fw, inputs(lines, general), explain=False)
        b = score_person(fw, inputs(shuffled, general), explain=False)
        assert (a.status, a.exact, a.rating) == (b.status, b.exact, b.rating)


@FAST
@given(lines_st, general_st)
def test_the_aggregated_form_gives_the_per_task_result(
    lines: list[TaskLine], general: Fraction
) -> None:
    from thuocdo.scoring import aggregate_tasks

    per_task = score_person(DECREE, inputs(lines, general))
    aggregated = score_person(
        DECREE, replace(inputs([], general), tasks=aggregate_tasks(DECREE, lines)), explain=False
    )
    assert (per_task.status, per_task.exact) == (aggregated.status, aggregated.exact)


points_st = st.integers(min_value=9000, max_value=10000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(points_st, max_size=12),
    st.integers(min_value=0, max_value=30),
    st.sampled_from([None, Fraction(1, 4), Fraction(22, 100)]),
)
def test_after_quota_resolution_the_quota_holds_with_the_fewest_demotions(
    excellent: list[Decimal], good: int, exception: Fraction | None
) -> None:
    members = [QuotaMember(f"e{i}", p, "excellent") for i, p in enumerate(excellent)]
    members += [QuotaMember(f"g{i}", Decimal(80), "good") for i in range(good)]
    q = resolve_quota(DECREE, members, exception_ratio=exception)
    ratio = exception or Fraction(1, 5)
    k = q.demotion_count
    e, g = len(excellent), good
    assert e - k <= ratio * (g + k)  # holds on the final counts
    if k:
        assert not e - (k - 1) <= ratio * (g + k - 1)  # one fewer would not do
    demoted = [d.points for d in q.demotions]
    kept = sorted(excellent)[k:]
    assert all(p <= min(kept, default=Decimal(101)) for p in demoted)  # lowest points first
    for tie in q.ties:
        assert tie.choose < len(tie.candidates)
        assert tie.points not in demoted or len(demoted) == 0 or max(demoted) < tie.points


@FAST
@given(
    lines_st,
    general_st,
    st.tuples(level_st, level_st, level_st),
    st.sampled_from(RATINGS),
    st.sampled_from(["head", "acting_head"]),
)
def test_with_the_rule_on_a_head_is_never_rated_above_their_unit(
    lines: list[TaskLine], general: Fraction, levels: Any, unit_rating: str, role: str
) -> None:
    r = score_person(DECREE, inputs(lines, general, role, levels), explain=False)
    final = apply_head_rule(DECREE, r, unit_rating)
    if final.rating is not None:
        assert RATINGS.index(final.rating) >= RATINGS.index(unit_rating)
