"""How often an integration client may call the API, and how often an address may guess tokens.

Two limits, both fixed windows counted in the `throttle` cache (files under VAR_DIR on one
machine, Redis when CACHE_URL is set, so that every web worker counts into the same place):

- API_RATE_LIMIT (default "600/min"): requests per integration client, whichever address
  they come from. A client over the limit is answered 429 with Retry-After.
- API_AUTH_FAILURE_LIMIT (default "30/min"): requests with a missing or wrong token per
  client address (thuocdo.core.client_ip: behind a trusted proxy, the real client). Past
  it, that address gets 429 before its token is even looked up.

A window is counted with `add` then `incr`, which Redis does atomically; on the file cache
two workers may each miss one increment, which is close enough for a guard rail.
"""

from __future__ import annotations

import math
import threading

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from thuocdo.core import clock
from thuocdo.core.client_ip import client_ip

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "600/min" → (600, 60); None or "" or "off" → no limit. A malformed rate raises."""
    if rate is None or rate.strip().lower() in {"", "off", "none"}:
        return None
    count, _, period = rate.strip().partition("/")
    if not count.isdigit() or int(count) < 1 or period not in _PERIODS:
        raise ValueError(
            f"Sai định dạng giới hạn “{rate}”: viết số/đơn vị, ví dụ 600/min "
            "(đơn vị s, min, hour, day)."
        )
    return int(count), _PERIODS[period]


class Window:
    """One fixed-window counter: `hit` counts a request, `over` asks without counting."""

    def __init__(self, name: str, rate: str | None) -> None:
        self.name = name
        self.limit = parse_rate(rate)

    def _key(self, ident: str) -> tuple[str, float]:
        assert self.limit is not None
        _, seconds = self.limit
        now = clock.now().timestamp()
        window = int(now // seconds)
        remaining = (window + 1) * seconds - now
        return f"throttle:{self.name}:{ident}:{window}", remaining

    def hit(self, ident: str) -> float | None:
        """Count one request; the seconds to wait when it is over the limit, else None."""
        if self.limit is None:
            return None
        count_allowed, seconds = self.limit
        key, remaining = self._key(ident)
        cache = caches["throttle"]
        cache.add(key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 1)
            count = 1
        return remaining if count > count_allowed else None

    def over(self, ident: str) -> float | None:
        if self.limit is None:
            return None
        count_allowed, _ = self.limit
        key, remaining = self._key(ident)
        count = caches["throttle"].get(key, 0)
        return remaining if count >= count_allowed else None


def _client_window() -> Window:
    return Window("client", getattr(settings, "API_RATE_LIMIT", None))


def _failure_window() -> Window:
    return Window("auth-failure", getattr(settings, "API_AUTH_FAILURE_LIMIT", None))


class ClientThrottle(BaseThrottle):
    """Ninja throttle: at most API_RATE_LIMIT requests per integration client."""

    def __init__(self) -> None:
        # One instance serves every request; the wait belongs to the request's thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        client = getattr(request, "auth", None)
        wait = None if client is None else _client_window().hit(f"{client.pk}")
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def refuse_if_guessing(request: HttpRequest) -> None:
    """Before a token is looked up: 429 for an address that has failed too often."""
    wait = _failure_window().over(client_ip(request) or "?")
    if wait is not None:
        raise Throttled(wait=math.ceil(wait))


def count_failure(request: HttpRequest) -> None:
    """A missing or wrong token from this address."""
    _failure_window().hit(client_ip(request) or "?")
