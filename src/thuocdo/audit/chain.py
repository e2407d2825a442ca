"""The audit hash chain: each entry's hash covers its content and its predecessor's hash.

One chain per agency (entries without an agency form chain 0). Per agency, because an
agency is the unit that is audited, exported and inspected on its own, and because two
agencies' writers then never wait for each other. Order within a chain is the id order.

Appending takes a row lock on the chain's head (`AuditChainHead`), so two transactions
appending to one chain at once queue instead of forking it; the lock is held until the
commit. The head also keeps the chain's length and last hash (a trigger moves it with each
insert, migration 0005), so losing the chain's tail (deleted rows, a TRUNCATE) shows too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils.ipv6 import clean_ipv6_address

GENESIS = "0" * 64

# The fields a hash covers, in this order. `id` is left out: its place is proved by the
# link to the predecessor.
CONTENT = (
    "at",
    "actor_id",
    "actor_name",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "reason",
    "channel",
    "ip",
    "user_agent",
    "path",
    "request_id",
)


def chain_of(agency_id: int | None) -> int:
    return agency_id or 0


def _moment(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return value


def content_of(entry: models.Model | dict[str, Any]) -> dict[str, Any]:
    """The hashed content of an entry (an instance, or a row read with `.values()`)."""
    if isinstance(entry, dict):
        values = {name: entry[name] for name in CONTENT}
    else:
        values = {name: getattr(entry, name) for name in CONTENT}
    values["at"] = _moment(values["at"])
    ip = values["ip"] or None
    values["ip"] = clean_ipv6_address(ip) if ip and ":" in ip else ip
    return values


def digest(content: dict[str, Any], prev_hash: str) -> str:
    text = json.dumps(
        [prev_hash, content],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link(entries: Sequence[models.Model], prev_hash: str) -> str:
    """Sets prev_hash and hash on unsaved entries of one chain, in order; returns the last."""
    for entry in entries:
        entry.prev_hash = prev_hash  # type: ignore[attr-defined]
        prev_hash = entry.hash = digest(content_of(entry), prev_hash)  # type: ignore[attr-defined]
    return prev_hash
