"""The task workflow: every allowed (state, action) pair and who may take it, in one table.

Who:
- `owner`: the person the task is assigned to;
- `reviewer`: the assigner, or a head / acting head / deputy of the owner's unit or of a
  unit above it — but never the owner: nobody reviews their own work.

Anything not in `TRANSITIONS` is refused with a message naming the state and the action.
`docs/work.md` shows this table; a test keeps the two identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.work.models import Task

Who = Literal["owner", "reviewer"]
S = Task.State


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
        Action("start", "bắt đầu thực hiện", "start", "owner"),
        Action("submit", "nộp sản phẩm", "submit", "owner"),
        Action("resubmit", "nộp lại sản phẩm", "resubmit", "owner"),
        Action("hand_back", "trả lại nhiệm vụ", "hand back", "owner", needs_reason=True),
        Action("return", "trả lại vì lỗi lớn", "return for a major error", "reviewer", True),
        Action("accept", "nghiệm thu", "accept", "reviewer"),
        Action("cancel", "huỷ nhiệm vụ", "cancel", "reviewer", needs_reason=True),
    )
}

# (state, action) → new state. The only place where the workflow is written down.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.ASSIGNED, "start"): S.IN_PROGRESS,
    (S.ASSIGNED, "submit"): S.SUBMITTED,
    (S.IN_PROGRESS, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "accept"): S.ACCEPTED,
    (S.SUBMITTED, "return"): S.RETURNED,
    (S.RETURNED, "resubmit"): S.RESUBMITTED,
    (S.RESUBMITTED, "accept"): S.ACCEPTED,
    (S.RESUBMITTED, "return"): S.RETURNED,
    (S.ASSIGNED, "hand_back"): S.HANDED_BACK,
    (S.IN_PROGRESS, "hand_back"): S.HANDED_BACK,
    (S.RETURNED, "hand_back"): S.HANDED_BACK,
    (S.ASSIGNED, "cancel"): S.CANCELLED,
    (S.IN_PROGRESS, "cancel"): S.CANCELLED,
    (S.SUBMITTED, "cancel"): S.CANCELLED,
    (S.RETURNED, "cancel"): S.CANCELLED,
    (S.RESUBMITTED, "cancel"): S.CANCELLED,
}

OPEN_STATES = frozenset(
    {S.ASSIGNED, S.IN_PROGRESS, S.SUBMITTED, S.RETURNED, S.RESUBMITTED}
)  # extensions, edits and cancellation apply only here
SUBMITTING_ACTIONS = frozenset({"submit", "resubmit"})  # where delays are counted


def state_label(state: str) -> str:
    return str(Task.State(state).label)


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
            f"Không thể “{spec.label_vi}” khi nhiệm vụ đang ở trạng thái "
            f"“{state_label(state)}”. Thao tác được phép: {allowed_vi}.",
            f"Cannot {spec.label_en} a task in state {state}. Allowed: {allowed_en}.",
            field="action",
        )
    return new_state


def markdown_table() -> str:
    """The transition table as Markdown, for docs/work.md."""
    lines = [
        "| state | action | new state | who | reason required |",
        "|---|---|---|---|---|",
    ]
    for (state, action), new_state in TRANSITIONS.items():
        spec = ACTIONS[action]
        lines.append(
            f"| `{state}` | `{action}` ({spec.label_vi}) | `{new_state}` | {spec.who} "
            f"| {'yes' if spec.needs_reason else 'no'} |"
        )
    return "\n".join(lines)
