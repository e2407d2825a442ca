"""Writes of the evaluation workflow. Each runs in one transaction with its audit entry.

Who does what (checked here, because it is part of the workflow; `thuocdo.access`
mirrors it for pages):
- the official self-assesses their own evaluation and files complaints;
- the direct manager (a head, acting head or deputy of the official's unit or above;
  for a deputy the unit's head or above; for a head a leader of a unit above) reviews;
- the personnel office runs the calendar, compiles, records overrides, Party committee
  comments and quota groups; the unit's leaders or the office record the minutes;
- the authority (head or acting head of the agency) decides units and quota groups,
  publishes, answers complaints and reopens decided periods.

Writes on an evaluation take `expected_version`; a stale one raises Conflict. A decided
evaluation changes only through reopen (or a complaint answer, recorded as such).
`at` exists for imports and tests; interactive callers leave it to the clock.

The writes live by concern in `periods`, `evaluations` (one official's evaluation),
`exclusions` (who is in a period), `units`, `decisions` and `complaints`, with their shared
helpers in `common`. This package re-exports them, so callers keep importing
`thuocdo.evaluations.services`.
"""

from __future__ import annotations

from thuocdo.evaluations.services.common import (
    E,
    S,
    add_working_days,
    is_authority,
    is_direct_manager,
    leads_unit,
)
from thuocdo.evaluations.services.complaints import (
    COMPLAINT_ANSWER_WORKING_DAYS,
    complaint_answer,
    complaint_file,
    notification_read,
)
from thuocdo.evaluations.services.decisions import (
    _ordered,
    _propose,
    group_decide,
    period_decide_all,
    quota_group_create,
    quota_group_set_exception,
)
from thuocdo.evaluations.services.evaluations import (
    OVERRIDE_FLAGS,
    evaluation_create,
    evaluation_review,
    evaluation_self_assess,
    evaluations_accept_reviews,
    leave_month_set,
    may_enter_for,
    minutes_record,
    override_add,
    party_comment_record,
)
from thuocdo.evaluations.services.exclusions import evaluation_include, evaluations_exclude
from thuocdo.evaluations.services.periods import (
    HEAVY_STEPS,
    YEAR_DEADLINE,
    _compile,
    period_compile,
    period_create,
    period_job_queue,
    period_reopen,
    period_set_deadlines,
    period_step_queue,
    period_target,
    period_transition,
)
from thuocdo.evaluations.services.units import (
    unit_evaluation_decide,
    unit_evaluation_give_rating,
    unit_kpi_set,
)

# `_ordered`, `_propose` and `_compile` too: tests/evaluations/test_close.py and
# evaluations/close.py name them through this package.
__all__ = [
    "COMPLAINT_ANSWER_WORKING_DAYS",
    "HEAVY_STEPS",
    "OVERRIDE_FLAGS",
    "YEAR_DEADLINE",
    "E",
    "S",
    "_compile",
    "_ordered",
    "_propose",
    "add_working_days",
    "complaint_answer",
    "complaint_file",
    "evaluation_create",
    "evaluation_include",
    "evaluation_review",
    "evaluation_self_assess",
    "evaluations_accept_reviews",
    "evaluations_exclude",
    "group_decide",
    "is_authority",
    "is_direct_manager",
    "leads_unit",
    "leave_month_set",
    "may_enter_for",
    "minutes_record",
    "notification_read",
    "override_add",
    "party_comment_record",
    "period_compile",
    "period_create",
    "period_decide_all",
    "period_job_queue",
    "period_reopen",
    "period_set_deadlines",
    "period_step_queue",
    "period_target",
    "period_transition",
    "quota_group_create",
    "quota_group_set_exception",
    "unit_evaluation_decide",
    "unit_evaluation_give_rating",
    "unit_kpi_set",
]
