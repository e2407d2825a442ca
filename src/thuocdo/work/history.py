"""Recording finished work in bulk: a past period imported or seeded at once.

Each task's story (assignment, then its steps) is replayed in memory through the same
transition table and delay rule as `task_transition`, and who may take each step is
checked the same way; then tasks, events and audit entries are written with a few bulk
inserts in the caller's transaction. A story that breaks a rule refuses the whole batch
with a message naming the task (its position in the batch), so nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import build_entry, changed, record_many, snapshot
from thuocdo.core import clock
from thuocdo.core.bulk import build, insert_objects
from thuocdo.core.errors import Conflict, ThuocDoError, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.origin import current_origin, origin_scope
from thuocdo.core.text import clean_text, fold
from thuocdo.org.managers import manages_in
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.work import live, rules
from thuocdo.work.models import (
    CatalogueVersion,
    Exemption,
    PlanItem,
    ProductType,
    Task,
    TaskEvent,
)
from thuocdo.work.services import TASK_FIELDS
from thuocdo.work.transitions import ACTIONS, SUBMITTING_ACTIONS, target_state

KINDS = frozenset(Task.Kind.values)
EXTRAS = frozenset(Task.Extra.values)


@dataclass(frozen=True)
class Step:
    action: str
    at: dt.datetime
    actor: User
    reason: str = ""
    done_quantity: Decimal | None = None


@dataclass(frozen=True)
class Excuse:
    """An exemption for an objective cause, asked by the task's owner and decided by a
    leader who manages them (`services.exemption_request` then `exemption_decide`). It
    applies to the story's first event recording a major error (`failure`) or delays
    (`delay`), and is played after the story's steps."""

    subject: str  # Exemption.Subject
    requester: User
    requested_at: dt.datetime
    reason: str
    decider: User
    decided_at: dt.datetime
    decision_reason: str
    approve: bool = True


@dataclass
class Story:
    owner: Person
    unit: Unit
    assigner: Person
    assigner_user: User
    kind: str
    title: str
    deadline: dt.date
    assigned_at: dt.datetime
    quantity: Decimal
    product_type: ProductType | None = None
    plan_item: PlanItem | None = None
    extra: str = ""
    steps: list[Step] = field(default_factory=list)
    external_ref: str | None = None  # the source system's id (Excel import)
    excuses: list[Excuse] = field(default_factory=list)


def delays_of(story: Story) -> int:
    """The delays the story's submissions count (the replay's own rule), before playing it."""
    rule, deadline, counted = rules.delay_rule(), story.deadline, 0
    for step in story.steps:
        if step.action in SUBMITTING_ACTIONS:
            counted += rule.added(
                effective_deadline=deadline, submitted_on=_day(step.at), counted=counted
            )
    return counted


@dataclass
class Played:
    """A story played in memory: what to write once ids are known. Audit entries paired
    with an exemption are about it (the others about the task)."""

    task: Task
    events: list[TaskEvent]
    audits: list[tuple[AuditEntry, Exemption | None]]
    exemptions: list[tuple[Exemption, TaskEvent]]  # each with the event it excuses


def _day(moment: dt.datetime) -> dt.date:
    return clock.local_date(moment)


class _Replay:
    """Checks and plays stories without touching the database more than once per fact."""

    def __init__(self) -> None:
        self.leading: dict[int, list[tuple[str, dt.date, dt.date | None]]] = {}
        self.person_of_user: dict[int, int] = {}
        self.decided: dict[int, bool] = {}
        self.answers: dict[tuple[int, str, dt.date], bool] = {}
        self.delay_rule = rules.delay_rule()

    def person_id(self, user: User) -> int:
        if user.pk not in self.person_of_user:
            self.person_of_user[user.pk] = rules.person_of(user).pk
        return self.person_of_user[user.pk]

    def leads(self, person_id: int, unit: Unit, on: dt.date) -> bool:
        """`rules.leads`, answered from each person's leading assignments read once (and
        each answer kept: the stories of one file repeat the same few)."""
        key = (person_id, unit.path, on)
        answer = self.answers.get(key)
        if answer is None:
            answer = self.answers[key] = self._leads(person_id, unit, on)
        return answer

    def _leads(self, person_id: int, unit: Unit, on: dt.date) -> bool:
        if person_id not in self.leading:
            self.leading[person_id] = list(
                Assignment.objects.filter(
                    person_id=person_id, role__in=Assignment.LEADING_ROLES
                ).values_list("unit__path", "start_date", "end_date")
            )
        return any(
            unit.path.startswith(path) and start <= on and (end is None or end >= on)
            for path, start, end in self.leading[person_id]
        )

    def check_product(self, product: ProductType, agency_id: int | None) -> None:
        if product.version_id not in self.decided:
            version = CatalogueVersion.objects.select_related("catalogue").get(
                pk=product.version_id
            )
            self.decided[product.version_id] = (
                version.status == CatalogueVersion.Status.DECIDED
                and version.catalogue.agency_id == agency_id
            )
        if not self.decided[product.version_id]:
            raise ValidationFailed(
                "Chỉ dùng sản phẩm trong danh mục đã được quyết định của cơ quan.",
                "Only product types of the agency's decided catalogue can be used.",
                field="product_type",
            )

    def play(self, story: Story) -> Played:
        if story.kind not in KINDS or story.extra not in EXTRAS:
            raise ValidationFailed(
                "Loại nhiệm vụ không hợp lệ.", "Invalid task kind.", field="kind"
            )
        if (story.kind == Task.Kind.PLANNED) != (story.plan_item is not None):
            raise ValidationFailed(
                "Nhiệm vụ theo kế hoạch (và chỉ nó) gắn với một nội dung kế hoạch.",
                "Planned tasks, and only they, refer to a plan item.",
                field="plan_item",
            )
        assigned_on = _day(story.assigned_at)
        if story.deadline < assigned_on:
            raise ValidationFailed(
                "Hạn hoàn thành trước ngày giao.",
                "The deadline is before the assignment day.",
                field="deadline",
            )
        if story.assigner.pk == story.owner.pk or not self.leads(
            story.assigner.pk, story.unit, assigned_on
        ):
            raise ValidationFailed(
                "Người giao không phải lãnh đạo đơn vị của người nhận.",
                "The assigner does not lead the owner's unit.",
                field="assigner",
            )
        product = story.product_type
        coefficient, measure = Decimal(1), ""
        if product is not None:
            self.check_product(product, story.owner.agency_id)
            coefficient, measure = product.coefficient, product.unit_of_measure
        title = clean_text(story.title)
        task = build(
            Task,
            agency_id=story.owner.agency_id,
            unit=story.unit,
            kind=story.kind,
            extra=story.extra,
            title=title,
            search_title=fold(title),  # bulk_create skips save()
            assigner_id=story.assigner.pk,  # ids: no related-object checks per row
            owner_id=story.owner.pk,
            plan_item=story.plan_item,
            product_type=product,
            unit_of_measure=measure,
            quantity=story.quantity,
            coefficient=coefficient,
            deadline=story.deadline,
            effective_deadline=story.deadline,
            assigned_on=assigned_on,
            external_ref=story.external_ref,
        )
        events = [
            build(  # its task_id once the task has one
                TaskEvent,
                at=story.assigned_at,
                actor_id=story.assigner_user.pk,
                action="assign",
                to_state=task.state,
                task_version=1,
            )
        ]
        shot = snapshot(task, TASK_FIELDS)
        audits = [
            build_entry(
                actor=story.assigner_user,
                action="work.task.assign",
                agency_id=task.agency_id,
                after=shot,
                at=story.assigned_at,
            )
        ]
        for step in story.steps:  # each step's "before" is the previous one's "after"
            shot = self.step(task, step, shot, events, audits)
        played = Played(task, events, [(entry, None) for entry in audits], [])
        for excuse in story.excuses:
            shot = self.excuse(played, story, excuse, shot)
        return played

    def step(
        self,
        task: Task,
        step: Step,
        before: dict[str, Any],
        events: list[TaskEvent],
        audits: list[AuditEntry],
    ) -> dict[str, Any]:
        """Plays one step on `task` (whose snapshot is `before`); returns its new snapshot."""
        day = _day(step.at)
        new_state = target_state(task.state, step.action)
        spec = ACTIONS[step.action]
        person_id = self.person_id(step.actor)
        if spec.who == "owner":
            allowed = person_id == task.owner_id
        else:
            allowed = person_id != task.owner_id and (
                person_id == task.assigner_id or self.leads(person_id, task.unit, day)
            )
        if not allowed:
            raise ValidationFailed(
                f"Người thực hiện không được {spec.label_vi}.",
                f"The actor may not {spec.label_en}.",
                field="actor",
            )
        if spec.needs_reason and not step.reason:
            raise ValidationFailed(
                f"Cần nêu lý do khi {spec.label_vi}.",
                f"A reason is required to {spec.label_en}.",
                field="reason",
            )
        old_state, failure, delays = task.state, False, 0
        if step.action in SUBMITTING_ACTIONS:
            delays = self.delay_rule.added(
                effective_deadline=task.effective_deadline, submitted_on=day, counted=task.delays
            )
            task.delays += delays
        elif step.action == "return":
            failure = True
            task.failures += 1
        elif step.action == "accept":
            done = task.quantity if step.done_quantity is None else step.done_quantity
            if not Decimal(0) <= done <= task.quantity:
                raise ValidationFailed(
                    "Khối lượng hoàn thành ngoài khoảng cho phép.",
                    "The done quantity is out of range.",
                    field="done_quantity",
                )
            task.done_quantity, task.completed_on = done, day
        if new_state in (Task.State.CANCELLED, Task.State.HANDED_BACK):
            task.closed_reason = step.reason
        task.state = new_state
        task.version += 1
        events.append(
            build(
                TaskEvent,
                at=step.at,
                actor_id=step.actor.pk,
                action=step.action,
                from_state=old_state,
                to_state=new_state,
                reason=step.reason,
                failure=failure,
                delays=delays,
                task_version=task.version,
            )
        )
        after = snapshot(task, TASK_FIELDS)
        audits.append(
            build_entry(
                actor=step.actor,
                action=f"work.task.{step.action}",
                agency_id=task.agency_id,
                before=changed(after, before),
                after=changed(before, after),
                reason=step.reason,
                at=step.at,
            )
        )
        return after

    def excuse(
        self, played: Played, story: Story, excuse: Excuse, before: dict[str, Any]
    ) -> dict[str, Any]:
        """Plays an exemption as its two services would; returns the task's new snapshot."""
        task = played.task
        failure = excuse.subject == Exemption.Subject.FAILURE
        event = next(
            (e for e in played.events if (e.failure if failure else e.delays and not e.failure)),
            None,
        )
        if event is None:
            raise ValidationFailed(
                "Nhiệm vụ không có lần bị trả lại vì lỗi lớn nào để miễn trừ."
                if failure
                else "Nhiệm vụ không có lần chậm tiến độ nào để miễn trừ.",
                "The task records no major error to exempt."
                if failure
                else "The task records no delay to exempt.",
                field="exemption",
            )
        if any(e is event and x.status != Exemption.Status.REFUSED for x, e in played.exemptions):
            raise Conflict(
                "Đã có đề nghị miễn trừ cho lần này (đang chờ hoặc đã được chấp thuận).",
                "An exemption for this event is already pending or approved.",
                field="event",
            )
        last = played.events[-1].at
        if not last <= excuse.requested_at <= excuse.decided_at:
            raise ValidationFailed(
                "Miễn trừ được đề nghị sau các bước của nhiệm vụ và được xét sau khi đề nghị.",
                "An exemption is asked after the task's steps and decided after it is asked.",
                field="exemption",
            )
        if self.person_id(excuse.requester) != task.owner_id:
            raise ValidationFailed(
                "Chỉ người được giao nhiệm vụ đề nghị miễn trừ.",
                "Only the task's owner requests an exemption.",
                field="exemption",
            )
        decided_on = _day(excuse.decided_at)
        if not manages_in(
            self.person_id(excuse.decider), owner_id=task.owner_id, unit=story.unit, on=decided_on
        ):
            raise ValidationFailed(
                "Người xét miễn trừ không phải lãnh đạo quản lý người được giao nhiệm vụ.",
                "The exemption's decider does not manage the task's owner.",
                field="exemption",
            )
        reason, decision = clean_text(excuse.reason), clean_text(excuse.decision_reason)
        if not reason or not decision:
            raise ValidationFailed(
                "Thiếu nguyên nhân khách quan hoặc lý do xét miễn trừ.",
                "The objective cause or the reason for the decision is missing.",
                field="exemption",
            )
        status = Exemption.Status.APPROVED if excuse.approve else Exemption.Status.REFUSED
        exemption = build(
            Exemption,
            subject=Exemption.Subject.FAILURE if failure else Exemption.Subject.DELAY,
            reason=reason,
            requested_by=excuse.requester,
            requested_at=excuse.requested_at,
            status=status,
            decided_by=excuse.decider,
            decided_at=excuse.decided_at,
            decision_reason=decision,
        )
        if excuse.approve and failure:
            task.exempt_failures += 1
        elif excuse.approve:
            task.exempt_delays += event.delays
        task.version += 1
        action = "exemption_approve" if excuse.approve else "exemption_refuse"
        played.events.append(
            build(
                TaskEvent,
                at=excuse.decided_at,
                actor_id=excuse.decider.pk,
                action=action,
                from_state=task.state,
                to_state=task.state,
                reason=decision,
                task_version=task.version,
            )
        )
        played.exemptions.append((exemption, event))
        after = snapshot(task, TASK_FIELDS)
        asked = build_entry(
            actor=excuse.requester,
            action="work.exemption.request",
            agency_id=task.agency_id,
            reason=reason,
            at=excuse.requested_at,
        )
        by_decider = partial(
            build_entry,
            actor=excuse.decider,
            agency_id=task.agency_id,
            reason=decision,
            at=excuse.decided_at,
        )
        decided = by_decider(
            action=f"work.exemption.{'approve' if excuse.approve else 'refuse'}",
            before={"status": Exemption.Status.PENDING.value},
            after={"status": status.value},
        )
        changed_task = by_decider(
            action=f"work.task.{action}",
            before=changed(after, before),
            after=changed(before, after),
        )
        played.audits += [(asked, exemption), (decided, exemption), (changed_task, None)]
        return after


@transaction.atomic
def tasks_record_history(*, stories: Sequence[Story], batch_size: int = 2000) -> int:
    """Replays and writes many finished (or partly finished) tasks; returns how many."""
    with origin_scope(current_origin()):  # one origin for the batch, even outside a request
        return _record_history(stories, batch_size)


def _record_history(stories: Sequence[Story], batch_size: int) -> int:
    replay = _Replay()
    played: list[Played] = []
    for index, story in enumerate(stories):
        try:
            played.append(replay.play(story))
        except ThuocDoError as error:
            raise ValidationFailed(
                f"Nhiệm vụ thứ {index + 1} (“{story.title}”): {error.message_vi}",
                f"Task {index + 1} ({story.title!r}): {error.message_en}",
                field=error.field,
            ) from error
    insert_objects([p.task for p in played], batch=batch_size, ids=True)
    for p in played:
        for event in p.events:
            event.task_id = p.task.pk
    exempting = any(p.exemptions for p in played)  # exemptions point at their events
    insert_objects([e for p in played for e in p.events], batch=batch_size, ids=exempting)
    for p in played:
        for exemption, event in p.exemptions:
            exemption.task_id, exemption.event_id = p.task.pk, event.pk
    insert_objects([x for p in played for x, _ in p.exemptions], batch=batch_size, ids=True)
    for p in played:
        for entry, about in p.audits:
            _about(entry, p.task, about)
    record_many([entry for p in played for entry, _ in p.audits], batch_size=batch_size)
    # stamps after the audit, as every other task write (docs/locking.md)
    live.touch(p.task.owner_id for p in played)
    return len(played)


def _about(entry: AuditEntry, task: Task, exemption: Exemption | None) -> None:
    """Points an entry at what it is about, now that ids are known (as `record` would)."""
    if exemption is None:
        entry.object_type, entry.object_id = "work.task", str(task.pk)
        entry.object_repr = task.title[:300]
        return
    entry.object_type, entry.object_id = "work.exemption", str(exemption.pk)
    entry.object_repr = str(exemption)
    if entry.action == "work.exemption.request":  # as the request recorded it: pending
        entry.after = {"task": task.pk, "event": exemption.event_id, "subject": exemption.subject}
        decided, exemption.status = exemption.status, Exemption.Status.PENDING
        entry.object_repr, exemption.status = str(exemption), decided
