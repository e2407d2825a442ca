"""Where the current write came from, for the audit trail.

The middleware sets it per request; management commands and scripts set it with
`origin_scope("cli:…")`. Kept in a ContextVar so threads do not mix them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    channel: str  # "web", "api", "cli:<command>", "system"
    ip: str = ""
    user_agent: str = ""
    path: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: ContextVar[Origin | None] = ContextVar("thuocdo_origin", default=None)


def current_origin() -> Origin:
    return _current.get() or Origin(channel="system")


@contextmanager
def origin_scope(origin: Origin | str) -> Iterator[Origin]:
    value = Origin(channel=origin) if isinstance(origin, str) else origin
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
