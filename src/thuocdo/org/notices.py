"""Telling people things: in the app always, by e-mail when they have an address and want it.

Every layer that has news for a person (work: a task assigned, returned, due; evaluations: a
complaint to answer) builds `Notice`s and calls `send`. The in-app row is the
`evaluations.Notification` model, a layer above this one, so that app registers how to keep
notices (`keep_with`) when it starts — the same way apps register their job kinds.

E-mails leave after the commit: a write that rolls back tells nobody, and a mail server that
does not answer never undoes a write.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from thuocdo.org.models import Person, ReminderSent

logger = logging.getLogger(__name__)

SUBJECT_LENGTH = 120


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    text: str  # Vietnamese, full diacritics
    text_en: str
    link: str  # a path in the site (`reverse(...)`)


Keeper = Callable[[Sequence[Notice], dt.datetime], None]
_keepers: list[Keeper] = []
_silenced: ContextVar[bool] = ContextVar("notices_silenced", default=False)


@contextmanager
def silenced() -> Iterator[None]:
    """Tells nobody inside: for history written after the fact through the interactive
    services (the demo's exemptions and complaint), which is not news to anyone."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def keep_with(keeper: Keeper) -> None:
    """Registers where in-app notices are stored (called once, from an AppConfig.ready)."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def send(notices: Sequence[Notice], *, at: dt.datetime) -> None:
    """Stores the notices in the app, in bulk, and e-mails those whose recipient wants it."""
    if not notices or _silenced.get():
        return
    for keeper in _keepers:
        keeper(notices, at)
    addresses = dict(
        Person.objects.filter(
            pk__in={n.recipient_id for n in notices}, email_notifications=True, is_active=True
        )
        .exclude(email="")
        .values_list("pk", "email")
    )
    messages = [
        _message(n, addresses[n.recipient_id]) for n in notices if n.recipient_id in addresses
    ]
    if messages:
        transaction.on_commit(lambda: _deliver(messages))


def _message(notice: Notice, address: str) -> EmailMessage:
    link = f"{settings.SITE_URL}{notice.link}" if notice.link else ""
    subject = notice.text if len(notice.text) <= SUBJECT_LENGTH else notice.text[:117] + "…"
    body = "\n\n".join(part for part in (notice.text, link, "—", notice.text_en) if part)
    return EmailMessage(subject=f"[Thước đo] {subject}", body=body, to=[address])


def _deliver(messages: list[EmailMessage]) -> None:
    try:
        get_connection().send_messages(messages)
    except Exception:  # the write is committed; a mail failure is logged, not raised
        logger.exception("Không gửi được %d thư thông báo", len(messages))


def once(keys: Sequence[str], *, at: dt.datetime) -> set[str]:
    """Of `keys`, those not sent before, now recorded as sent (one query to read, one to
    write): the reminder run sends only what this returns, so running it twice sends once."""
    seen = set(ReminderSent.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [key for key in dict.fromkeys(keys) if key not in seen]
    ReminderSent.objects.bulk_create([ReminderSent(key=key, sent_at=at) for key in fresh])
    return set(fresh)
