"""The period workflow: every allowed (state, action) pair and who may take it, in one table.

Who:
- `office`: the personnel office of the agency (RoleGrant personnel) — runs the calendar;
- `authority`: the head (or acting head) of the agency — decides and publishes.

Reopen moves a period back to an earlier step (REOPEN_TARGETS). Before anything is
decided (up to `decision`) the office or the authority may reopen; once decided
(`published`, `locked`) only the authority may, because it undoes its own decision.
A reason is always required. `docs/evaluations.md` shows this table; a test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.evaluations.models import Period

Who = Literal["office", "authority", "office_or_authority"]
S = Period.State

ORDER: tuple[str, ...] = (
    S.OPEN,
    S.SELF_ASSESSMENT,
    S.REVIEW,
    S.COLLECTIVE_COMMENTS,
    S.DECISION,
    S.PUBLISHED,
    S.LOCKED,
)


@dataclass(frozen=True)
class Action:
    code: str
    label_vi: str
    label_en: str
    who: Who
    needs_reason: bool = False


ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action("start_self_assessment", "bắt đầu tự đánh giá", "start self-assessment", "office"),
        Action("start_review", "chuyển cấp trên đánh giá", "start the review", "office"),
        Action("start_collective", "lấy ý kiến tập thể", "start collective comments", "office"),
        Action("start_decision", "trình cấp có thẩm quyền", "submit for decision", "office"),
        Action("publish", "thông báo kết quả", "publish", "authority"),
        Action("lock", "khóa kỳ đánh giá", "lock", "office"),
    )
}

# (state, action) → new state. The only place where the period workflow is written down.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.OPEN, "start_self_assessment"): S.SELF_ASSESSMENT,
    (S.SELF_ASSESSMENT, "start_review"): S.REVIEW,
    (S.REVIEW, "start_collective"): S.COLLECTIVE_COMMENTS,
    (S.COLLECTIVE_COMMENTS, "start_decision"): S.DECISION,
    (S.DECISION, "publish"): S.PUBLISHED,
    (S.PUBLISHED, "lock"): S.LOCKED,
}

REOPEN = Action("reopen", "mở lại", "reopen", "office_or_authority", needs_reason=True)
# state → the earlier states a reopen may go back to. `open` is never a target: the
# evaluations exist from self-assessment on.
REOPEN_TARGETS: dict[str, tuple[str, ...]] = {
    S.REVIEW: (S.SELF_ASSESSMENT,),
    S.COLLECTIVE_COMMENTS: (S.SELF_ASSESSMENT, S.REVIEW),
    S.DECISION: (S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS),
    S.PUBLISHED: (S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION),
    S.LOCKED: (S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION),
}
DECIDED_STATES = frozenset({S.PUBLISHED, S.LOCKED})  # reopen from here: authority only

# What each step of an evaluation may do, by period state.
SELF_ASSESS_STATES = frozenset({S.SELF_ASSESSMENT})
REVIEW_STATES = frozenset({S.REVIEW})
COLLECTIVE_STATES = frozenset({S.COLLECTIVE_COMMENTS})
DECISION_STATES = frozenset({S.DECISION})
UNIT_KPI_STATES = frozenset({S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION})
OVERRIDE_STATES = frozenset({S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION})
# who is in the period: from when evaluations exist until the decision
EXCLUSION_STATES = frozenset({S.SELF_ASSESSMENT, S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION})


def state_label(state: str) -> str:
    return str(Period.State(state).label)


def target_state(state: str, action: str) -> str:
    """The new state, or a Conflict naming the current state and the refused action."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationFailed(
            f"Thao tác “{action}” không tồn tại.", f"Unknown action {action!r}.", field="action"
        )
    new_state = TRANSITIONS.get((state, action))
    if new_state is None:
        allowed = [a for (s, a) in TRANSITIONS if s == state]
        allowed_vi = ", ".join(f"“{ACTIONS[a].label_vi}”" for a in allowed) or "không có"
        allowed_en = ", ".join(ACTIONS[a].label_en for a in allowed) or "none"
        raise Conflict(
            f"Không thể “{spec.label_vi}” khi kỳ đánh giá đang ở bước “{state_label(state)}”. "
            f"Thao tác được phép: {allowed_vi}.",
            f"Cannot {spec.label_en} a period in state {state}. Allowed: {allowed_en}.",
            field="action",
        )
    return new_state


def reopen_target(state: str, to_state: str) -> str:
    allowed = REOPEN_TARGETS.get(state, ())
    if to_state not in allowed:
        allowed_vi = ", ".join(f"“{state_label(s)}”" for s in allowed) or "không có"
        raise Conflict(
            f"Không thể mở lại kỳ đang ở bước “{state_label(state)}” về bước "
            f"“{state_label(to_state) if to_state in ORDER else to_state}”. "
            f"Bước được phép: {allowed_vi}.",
            f"Cannot reopen a period in state {state} to {to_state}. "
            f"Allowed: {', '.join(allowed) or 'none'}.",
            field="to_state",
        )
    return to_state


def refuse_unless(period: Period, states: frozenset[str], what_vi: str, what_en: str) -> None:
    """A step on an evaluation is allowed only at its period step; after decision: reopen."""
    if period.state not in states:
        allowed_vi = ", ".join(f"“{state_label(s)}”" for s in ORDER if s in states)
        raise Conflict(
            f"Không thể {what_vi} khi kỳ “{period}” đang ở bước “{state_label(period.state)}” "
            f"(chỉ ở bước {allowed_vi}). Kết quả đã quyết định chỉ thay đổi qua mở lại kỳ.",
            f"Cannot {what_en} while the period {period} is in state {period.state}; "
            f"a decided result changes only through reopen.",
            field="state",
        )


def markdown_table() -> str:
    """The transition table as Markdown, for docs/evaluations.md."""
    lines = ["| state | action | new state | who |", "|---|---|---|---|"]
    for (state, action), new_state in TRANSITIONS.items():
        spec = ACTIONS[action]
        lines.append(f"| `{state}` | `{action}` ({spec.label_vi}) | `{new_state}` | {spec.who} |")
    for state, targets in REOPEN_TARGETS.items():
        who = "authority" if state in DECIDED_STATES else "office or authority"
        lines.append(
            f"| `{state}` | `reopen` (mở lại, lý do bắt buộc) | "
            + ", ".join(f"`{t}`" for t in targets)
            + f" | {who} |"
        )
    return "\n".join(lines)
