"""Webhooks: events told to integration clients' receivers (docs/webhooks.md).

Events come from the audit trail: `on_audit` is registered with
`thuocdo.audit.services.on_recorded` (ApiConfig.ready), so every service that writes an
audited change also writes the deliveries of its event, in its own transaction, without
knowing of webhooks. A rolled-back change leaves no delivery; a committed one is handed
to the job queue once the transaction commits (`webhook_sender`).

An event reaches a subscription only when the subscription and its client are active,
the client belongs to the agency of the change and holds the scope that reads the
object (`tasks:read` for task events, `evaluations:read` for period and result events).
Payloads are small: what happened, to which object, and the API path to read it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import QuerySet

from thuocdo.access import access_configured_agency
from thuocdo.api.models import IntegrationClient, WebhookDelivery, WebhookSubscription
from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import Conflict, NotFound, ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations import transitions as period_flow
from thuocdo.evaluations.models import Period
from thuocdo.org.models import Unit
from thuocdo.work.models import Task

Event = WebhookSubscription.Event
SECRET_PREFIX = "whsec_"
API_BASE = "/api/v1"


@dataclass(frozen=True)
class EventKind:
    name: str
    scope: str  # the client scope that reads the event's object
    object_type: str  # "task" or "period"


TASK = IntegrationClient.Scope.TASKS_READ.value
EVALUATIONS = IntegrationClient.Scope.EVALUATIONS_READ.value
KINDS: dict[str, EventKind] = {
    Event.TASK_ASSIGNED: EventKind(Event.TASK_ASSIGNED, TASK, "task"),
    Event.TASK_ACCEPTED: EventKind(Event.TASK_ACCEPTED, TASK, "task"),
    Event.TASK_RETURNED: EventKind(Event.TASK_RETURNED, TASK, "task"),
    Event.PERIOD_STATE_CHANGED: EventKind(Event.PERIOD_STATE_CHANGED, EVALUATIONS, "period"),
    Event.RESULTS_PUBLISHED: EventKind(Event.RESULTS_PUBLISHED, EVALUATIONS, "period"),
}

# Audit action → the events it tells. Every step of the period workflow (each action of
# its table, and reopen) changes the period's state; publishing also publishes results.
ACTION_EVENTS: dict[str, tuple[str, ...]] = {
    "work.task.assign": (Event.TASK_ASSIGNED,),
    "work.task.accept": (Event.TASK_ACCEPTED,),
    "work.task.return": (Event.TASK_RETURNED,),
    **{
        f"evaluations.period.{code}": (Event.PERIOD_STATE_CHANGED,)
        for code in [*period_flow.ACTIONS, period_flow.REOPEN.code]
    },
    "evaluations.period.publish": (Event.PERIOD_STATE_CHANGED, Event.RESULTS_PUBLISHED),
}


# --- events from the audit trail -------------------------------------------------------------


def on_audit(entries: Sequence[AuditEntry]) -> None:
    """The audit listener: the deliveries of the events these entries tell, written in the
    writer's transaction, sent once it commits. Nothing to tell costs no query."""
    told = [entry for entry in entries if entry.action in ACTION_EVENTS and entry.agency_id]
    if not told:
        return
    agency_ids = {entry.agency_id for entry in told}
    subscriptions = list(
        WebhookSubscription.objects.filter(
            is_active=True, client__is_active=True, client__agency_id__in=agency_ids
        ).select_related("client__agency")
    )
    if not subscriptions:
        return
    details = _details(told)
    deliveries: list[WebhookDelivery] = []
    now = clock.now()
    for entry in told:
        for event in ACTION_EVENTS[entry.action]:
            kind = KINDS[event]
            receivers = [
                sub
                for sub in subscriptions
                if sub.client.agency_id == entry.agency_id
                and event in sub.events
                and kind.scope in (sub.client.scopes or [])
            ]
            if not receivers:
                continue
            payload = _payload(entry, kind, receivers[0].client.agency.code, details)
            event_id = uuid.UUID(payload["id"])
            deliveries.extend(
                WebhookDelivery(
                    subscription=sub,
                    event=event,
                    event_id=event_id,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
                for sub in receivers
            )
    if not deliveries:
        return
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    uids = [str(delivery.uid) for delivery in deliveries]

    def send() -> None:
        from thuocdo.api.webhook_sender import enqueue  # the task module imports the models

        enqueue(uids)

    transaction.on_commit(send)


def _details(entries: Sequence[AuditEntry]) -> dict[tuple[str, int], dict[str, Any]]:
    """What each payload says of its object beyond the entry: one query per kind."""
    ids: dict[str, set[int]] = {"task": set(), "period": set()}
    for entry in entries:
        kind = KINDS[ACTION_EVENTS[entry.action][0]]
        if entry.object_id.isdigit():
            ids[kind.object_type].add(int(entry.object_id))
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for chunk in _chunks(sorted(ids["task"])):  # an import tells thousands at once
        for pk, ref, state in Task.objects.filter(pk__in=chunk).values_list(
            "pk", "external_ref", "state"
        ):
            found["task", pk] = {"external_ref": ref, "state": state}
    for chunk in _chunks(sorted(ids["period"])):
        for pk, kind_, year, number, state in Period.objects.filter(pk__in=chunk).values_list(
            "pk", "kind", "year", "number", "state"
        ):
            found["period", pk] = {"kind": kind_, "year": year, "number": number, "state": state}
    return found


def _chunks(ids: list[int], size: int = 1000) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _payload(
    entry: AuditEntry,
    kind: EventKind,
    agency_code: str,
    details: dict[tuple[str, int], dict[str, Any]],
) -> dict[str, Any]:
    """The event as its receivers read it: no names, no scores, a path to read the rest."""
    pk = int(entry.object_id) if entry.object_id.isdigit() else None
    after = entry.after if isinstance(entry.after, dict) else {}
    before = entry.before if isinstance(entry.before, dict) else {}
    known = dict(details.get((kind.object_type, pk or 0), {}))
    obj: dict[str, Any] = {"type": kind.object_type, "id": pk}
    if kind.object_type == "task":
        obj["external_ref"] = known.get("external_ref")
        obj["state"] = after.get("state", known.get("state"))
        link = f"{API_BASE}/tasks/{pk}"
    else:
        obj.update(
            kind=known.get("kind"),
            year=known.get("year"),
            number=known.get("number"),
            state=after.get("state", known.get("state")),
        )
        if kind.name == Event.PERIOD_STATE_CHANGED:
            obj["previous_state"] = before.get("state")
        link = f"{API_BASE}/periods/{pk}"
    payload = {
        "event": kind.name,
        "id": str(uuid.uuid4()),
        "occurred_at": clock.local(entry.at or clock.now()).isoformat(),
        "agency": agency_code,
        "object": obj,
        "link": link,
    }
    if kind.name == Event.RESULTS_PUBLISHED:
        payload["results_link"] = f"{link}/evaluations"
    return payload


# --- managing subscriptions --------------------------------------------------------------------


def _clean_url(url: str) -> str:
    cleaned = (url or "").strip()
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(cleaned) > 500:
        raise ValidationFailed(
            "Địa chỉ nhận webhook phải là một URL http:// hoặc https:// đầy đủ (tối đa 500 ký tự).",
            "The webhook URL must be a full http:// or https:// URL (at most 500 characters).",
            field="url",
        )
    return cleaned


def _clean_events(events: Sequence[str]) -> list[str]:
    chosen = sorted({event.strip() for event in events if event.strip()})
    unknown = [event for event in chosen if event not in KINDS]
    if unknown or not chosen:
        raise ValidationFailed(
            f"Sự kiện không hợp lệ: {', '.join(unknown) or '(trống)'}. "
            f"Chọn trong: {', '.join(KINDS)}.",
            f"Invalid events: {', '.join(unknown) or '(none)'}. Choose from: {', '.join(KINDS)}.",
            field="events",
        )
    return chosen


def _check_scopes(client: IntegrationClient, events: Sequence[str]) -> None:
    """A client is told only what it may read: refuse events it would never receive."""
    missing = sorted({KINDS[e].scope for e in events} - set(client.scopes or []))
    if missing:
        raise ValidationFailed(
            f"Ứng dụng “{client.name}” thiếu phạm vi {', '.join(missing)} để nhận các sự kiện "
            "này; hãy cấp thêm phạm vi hoặc bớt sự kiện.",
            f"Client {client.name!r} lacks the scope(s) {', '.join(missing)} these events "
            "need; grant them or choose fewer events.",
            field="events",
        )


@transaction.atomic
def webhook_create(
    *, actor: User | None, client: IntegrationClient, url: str, events: Sequence[str]
) -> tuple[WebhookSubscription, str]:
    """Subscribes `client` to `events` at `url`; returns the subscription and its signing
    secret, shown this once only."""
    if not client.is_active:
        raise Conflict(
            f"Ứng dụng “{client.name}” đã bị thu hồi quyền; không đăng ký webhook được.",
            f"Client {client.name!r} was revoked; it cannot subscribe to webhooks.",
            field="client",
        )
    cleaned, chosen = _clean_url(url), _clean_events(events)
    _check_scopes(client, chosen)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        client=client, url=cleaned, events=chosen, secret=secret, created_by=actor
    )
    record(
        actor=actor,
        action="api.webhook.create",
        target=subscription,
        agency_id=client.agency_id,
        after={"client": client.pk, "url": cleaned, "events": chosen},
    )
    return subscription, secret


@transaction.atomic
def webhook_deactivate(
    *, actor: User | None, subscription: WebhookSubscription, reason: str = ""
) -> WebhookSubscription:
    """Stops a subscription: no new deliveries; those still waiting are not sent."""
    row = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not row.is_active:
        raise Conflict("Đăng ký webhook này đã ngừng.", "This webhook was already stopped.")
    row.is_active = False
    row.save(update_fields=["is_active"])
    record(
        actor=actor,
        action="api.webhook.deactivate",
        target=row,
        agency_id=row.client.agency_id,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason,
    )
    return row


@transaction.atomic
def delivery_replay(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a delivery again, whatever became of it, with a fresh round of retries. The
    receiver sees the same delivery id (it may already have it) and the same event."""
    row = (
        WebhookDelivery.objects.select_for_update()
        .select_related("subscription__client")
        .filter(pk=delivery.pk)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy lần gửi webhook.", "Webhook delivery not found.")
    subscription = row.subscription
    if not (subscription.is_active and subscription.client.is_active):
        raise Conflict(
            "Không gửi lại được: đăng ký webhook này (hoặc ứng dụng tích hợp của nó) đã ngừng "
            "hoạt động.",
            "Cannot send again: this webhook subscription (or its integration client) is no "
            "longer active.",
            field="delivery",
        )
    before = {"state": row.state, "attempts": row.attempts}
    row.state = WebhookDelivery.State.PENDING
    row.round_attempts = 0
    row.next_attempt_at = clock.now()
    row.save(update_fields=["state", "round_attempts", "next_attempt_at"])
    record(
        actor=actor,
        action="api.webhook.replay",
        target=row,
        agency_id=subscription.client.agency_id,
        before=before,
        after={"state": row.state, "delivery": str(row.uid), "event": row.event},
    )
    uid = str(row.uid)

    def send() -> None:
        from thuocdo.api.webhook_sender import enqueue

        enqueue([uid])

    transaction.on_commit(send)
    return row


# --- what the page reads ---------------------------------------------------------------------


def agency_subscriptions(agency: Unit) -> QuerySet[WebhookSubscription]:
    return (
        WebhookSubscription.objects.filter(client__agency=agency)
        .select_related("client")
        .order_by("-is_active", "client__name", "pk")
    )


def agency_deliveries(agency: Unit, *, limit: int = 100) -> list[WebhookDelivery]:
    """The agency's latest deliveries, newest first."""
    return list(
        WebhookDelivery.objects.filter(subscription__client__agency=agency)
        .select_related("subscription__client")
        .defer("payload")
        .order_by("-created_at", "-pk")[:limit]
    )


def access_delivery(user: Any, delivery_id: Any) -> WebhookDelivery:
    """A delivery of an agency the user configures (its personnel office, an operator)."""
    try:
        pk = int(delivery_id)
    except (TypeError, ValueError):
        pk = 0
    delivery = WebhookDelivery.objects.select_related("subscription__client").filter(pk=pk).first()
    if delivery is None:
        raise NotFound(
            f"Không tìm thấy lần gửi webhook #{delivery_id}.",
            f"Webhook delivery #{delivery_id} was not found.",
        )
    access_configured_agency(user, delivery.subscription.client.agency_id)
    return delivery
