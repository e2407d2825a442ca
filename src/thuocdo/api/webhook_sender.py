"""Sending webhook deliveries: signed POSTs, retried with back-off (docs/webhooks.md).

Deliveries are machine work, not a user's job: no Job row, no progress page. They ride
the project's job queue (django-tasks) as a light task, `send_deliveries`, queued when
the transaction that wrote them commits, and again, deferred to the next attempt's time,
after a failed attempt. The delivery row, not the task, is the truth: `send_due` (the
`send_webhooks` command, run by a timer) sends whatever is due, so a task lost with a
worker, or a queue that cannot defer, delays a delivery but never drops it.

Every attempt claims its row first (its next attempt is pushed past the lease), so two
workers never post the same attempt; it posts with no transaction open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

from django_tasks import task

from thuocdo.api.models import IntegrationClient, WebhookDelivery
from thuocdo.api.webhooks import KINDS
from thuocdo.core import clock

logger = logging.getLogger("thuocdo.api.webhooks")

# Seconds to wait after the 1st, 2nd, … failed attempt of a round; after the last one the
# delivery is given up (6 attempts over about 14 hours 36 minutes).
BACKOFF: tuple[int, ...] = (60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 5.0  # seconds, to connect and to answer
LEASE = dt.timedelta(seconds=60)  # a claimed attempt is not claimed again for this long
LOG_KEEP = 50  # attempts kept in a delivery's log
CHUNK = 100  # deliveries per queued task
USER_AGENT = "ThuocDo-Webhooks/1"


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed): compact UTF-8 JSON, keys sorted."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff_after(round_attempts: int) -> dt.timedelta | None:
    """The wait after the `round_attempts`-th failed attempt; None: give up."""
    if round_attempts >= MAX_ATTEMPTS:
        return None
    return dt.timedelta(seconds=BACKOFF[round_attempts - 1])


# --- the queue ----------------------------------------------------------------------------------


@task()
def send_deliveries(uids: list[str]) -> int:
    """The queued task: attempts those of `uids` that are due; returns how many it sent."""
    return send(uids)


def enqueue(uids: Sequence[str], *, run_after: dt.datetime | None = None) -> None:
    """Queues the deliveries, `CHUNK` a task. A deferred send on a backend that cannot
    defer is left to `send_due`. Never raises: the rows wait for the next sweep."""
    try:
        queued = send_deliveries
        if run_after is not None:
            if not send_deliveries.get_backend().supports_defer:
                return
            queued = send_deliveries.using(run_after=run_after)
        for start in range(0, len(uids), CHUNK):
            queued.enqueue(list(uids[start : start + CHUNK]))
    except Exception:
        logger.exception("webhook deliveries not queued; send_webhooks will send them")


def send(uids: Iterable[str]) -> int:
    sent = 0
    due = WebhookDelivery.objects.filter(uid__in=list(uids)).order_by("pk")  # events' order
    for pk in due.values_list("pk", flat=True):
        sent += attempt(pk)
    return sent


def send_due(*, limit: int = 1000) -> int:
    """Sends the deliveries whose attempt is due (oldest first); returns how many it sent."""
    due = (
        WebhookDelivery.objects.filter(
            state__in=WebhookDelivery.DUE_STATES, next_attempt_at__lte=clock.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(attempt(pk) for pk in list(due))


# --- one attempt --------------------------------------------------------------------------------


def _claim(pk: int) -> WebhookDelivery | None:
    """The delivery, if it is due and this worker got it first."""
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        pk=pk, state__in=WebhookDelivery.DUE_STATES, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription__client").get(pk=pk)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: it counts as a failed attempt."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POSTs once: (HTTP status, "") or (status or None, a short error)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read(1024)
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code), f"HTTP {error.code}"
    except urllib.error.URLError as error:
        return None, str(error.reason)[:200] or type(error).__name__
    except TimeoutError:
        return None, f"timed out after {TIMEOUT:g} s"
    except OSError as error:
        return None, (str(error) or type(error).__name__)[:200]


def _receivable(delivery: WebhookDelivery) -> str:
    """Why the delivery may no longer be sent ("" if it may)."""
    subscription, client = delivery.subscription, delivery.subscription.client
    if not subscription.is_active:
        return "subscription stopped"
    if not client.is_active:
        return "client revoked"
    kind = KINDS.get(delivery.event)
    if kind is None or kind.scope not in (client.scopes or []):
        return "client lacks the scope"
    return ""


def attempt(pk: int) -> int:
    """One attempt at one delivery, if it is due; 1 if it was delivered."""
    delivery = _claim(pk)
    if delivery is None:
        return 0
    subscription = delivery.subscription
    started = clock.now()
    refused = _receivable(delivery)
    status: int | None = None
    if refused:
        error = refused
        elapsed_ms = 0
    else:
        body = body_of(delivery.payload)
        timestamp = int(started.timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-ThuocDo-Event": delivery.event,
            "X-ThuocDo-Delivery": str(delivery.uid),
            "X-ThuocDo-Timestamp": str(timestamp),
            "X-ThuocDo-Signature": signature(subscription.secret, timestamp, body),
        }
        tick = time.monotonic()
        status, error = post(subscription.url, body, headers)
        elapsed_ms = round((time.monotonic() - tick) * 1000)
        if status is not None and not 200 <= status < 300 and not error:
            error = f"HTTP {status}"
    return _outcome(delivery, started, status, error, elapsed_ms, final=bool(refused))


def _outcome(
    delivery: WebhookDelivery,
    started: dt.datetime,
    status: int | None,
    error: str,
    elapsed_ms: int,
    *,
    final: bool,
) -> int:
    """Writes what became of the attempt on the delivery (and in the logs)."""
    delivered = status is not None and 200 <= status < 300 and not error
    round_attempts = delivery.round_attempts + 1
    wait = None if (delivered or final) else backoff_after(round_attempts)
    now = clock.now()
    if delivered:
        state = WebhookDelivery.State.DELIVERED
    elif wait is None:
        state = WebhookDelivery.State.GIVEN_UP
    else:
        state = WebhookDelivery.State.FAILED
    next_at = now + wait if wait is not None else None
    entry = {
        "at": clock.local(started).isoformat(timespec="seconds"),
        "status": status,
        "error": error[:200],
        "ms": elapsed_ms,
    }
    log = [*(delivery.log or []), entry][-LOG_KEEP:]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state,
        attempts=delivery.attempts + 1,
        round_attempts=round_attempts,
        next_attempt_at=next_at,
        last_status_code=status,
        last_error=error[:200],
        log=log,
        delivered_at=now if delivered else delivery.delivered_at,
    )
    client: IntegrationClient = delivery.subscription.client
    logger.log(
        logging.INFO if delivered else logging.WARNING,
        "webhook %s %s: %s",
        delivery.event,
        delivery.uid,
        state,
        extra={
            "webhook_delivery": str(delivery.uid),
            "webhook_event": delivery.event,
            "webhook_subscription": delivery.subscription_id,
            "webhook_client": client.pk,
            "webhook_attempt": delivery.attempts + 1,
            "webhook_status": status,
            "webhook_error": error[:200],
            "webhook_ms": elapsed_ms,
            "webhook_state": str(state),
            "webhook_next_attempt_at": next_at.isoformat() if next_at else None,
        },
    )
    if next_at is not None:
        enqueue([str(delivery.uid)], run_after=next_at)
    return 1 if delivered else 0
