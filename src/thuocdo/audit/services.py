"""The one way to write an audit entry. Services call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.utils import translation

from thuocdo.audit import chain
from thuocdo.audit.models import AuditChainHead, AuditEntry
from thuocdo.core.bulk import build, insert_objects
from thuocdo.core.models import User
from thuocdo.core.origin import current_origin

JSONValue = Any

# Called with the entries `record`/`record_many` just wrote, inside the writer's
# transaction: what a listener writes commits or rolls back with the change. Upper layers
# register theirs in their AppConfig.ready() (the API's webhooks: thuocdo.api.webhooks);
# the audit layer imports none of them. A listener must be cheap when it has nothing to do.
Listener = Callable[[Sequence[AuditEntry]], None]
_listeners: list[Listener] = []


def on_recorded(listener: Listener) -> Listener:
    """Registers `listener` (once) to be called with every batch of written entries."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def _recorded(entries: Sequence[AuditEntry]) -> None:
    for listener in _listeners:
        listener(entries)


_SCALARS = frozenset({type(None), bool, int, str})


def to_json(value: Any) -> JSONValue:
    """Turns model field values into JSON that reads well in the audit page."""
    if type(value) in _SCALARS:  # most values: one set lookup (snapshots run per row)
        return value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, JSONValue]:
    """The named fields of an instance; foreign keys as their ids."""
    names = fields if isinstance(fields, tuple) else tuple(fields)
    return {
        name: to_json(getattr(instance, attname))
        for name, attname in _attnames(type(instance), names)
    }


@functools.cache
def _attnames(model: type[models.Model], names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, getattr(model._meta.get_field(name), "attname", name)) for name in names)


def build_entry(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    agency_id: int | None = None,
    before: dict[str, JSONValue] | None = None,
    after: dict[str, JSONValue] | None = None,
    reason: str = "",
    actor_label: str = "",
    at: dt.datetime | None = None,
) -> AuditEntry:
    """An unsaved entry stamped with the current origin; `record`/`record_many` save it.

    `actor_label` names a non-human actor (an integration client). `at` is for history
    imports that replay past steps; the entry still says where and when it was imported
    through its origin (channel, request id).
    """
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        # Stored once, in Vietnamese, whatever the language of the page that caused it.
        with translation.override("vi"):
            object_repr = object_repr or str(target)[:300]
    origin = current_origin()
    actor_name = actor_label[:200]
    if actor is not None and not actor_name:
        actor_name = (actor.get_full_name() or actor.get_username())[:200]
    entry = build(
        AuditEntry,
        actor=actor,
        actor_name=actor_name,
        agency_id=agency_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=before,
        after=after,
        reason=reason,
        channel=origin.channel[:60],
        ip=origin.ip or None,
        user_agent=origin.user_agent,
        path=origin.path,
        request_id=origin.request_id,
    )
    if at is not None:
        entry.at = at
    return entry


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the writing service's transaction")


def record(**fields: Any) -> AuditEntry:
    """Writes one entry (arguments as `build_entry`) inside the caller's transaction."""
    _require_transaction()
    entry = build_entry(**fields)
    head = _lock_head(chain.chain_of(entry.agency_id))
    chain.link([entry], head.last_hash)
    entry.save()  # a trigger moves the head (migration 0005)
    _recorded([entry])
    return entry


def record_many(entries: list[AuditEntry], *, batch_size: int = 2000) -> None:
    """Writes entries made by `build_entry` in bulk (COPY on PostgreSQL), for imports and
    closes of many rows."""
    _require_transaction()
    if not entries:
        return
    chains: dict[int, list[AuditEntry]] = {}
    for entry in entries:
        chains.setdefault(chain.chain_of(entry.agency_id), []).append(entry)
    # Heads are locked in one order (by chain) so two bulk writers cannot deadlock; the
    # entries go in chain by chain so each chain's id order is its link order.
    heads = {key: _lock_head(key) for key in sorted(chains)}
    ordered: list[AuditEntry] = []
    for key in sorted(chains):
        chain.link(chains[key], heads[key].last_hash)
        ordered.extend(chains[key])
    insert_objects(ordered, batch=batch_size)  # a trigger moves the heads (migration 0005)
    _recorded(ordered)


def _lock_head(key: int) -> AuditChainHead:
    """The chain's head under a row lock held to the commit: appends queue, never fork."""
    head = AuditChainHead.objects.select_for_update().filter(chain=key).first()
    if head is None:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(chain=key, last_hash=chain.GENESIS)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(chain=key)
    return head


def changed(before: dict[str, JSONValue], after: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """Only the keys whose value changed, to keep entries short."""
    return {key: value for key, value in after.items() if before.get(key) != value}
