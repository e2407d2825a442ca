"""A running job's progress and heartbeat, kept in the cache.

The job's work is one transaction, and on SQLite that transaction is the only writer, so
progress cannot go into the database while it runs. The cache is shared by every process
of a node (the file cache under VAR_DIR) or of every node (Redis, `CACHE_URL`). Keys carry
the job's uid and attempt, so a retry never reads an older attempt's numbers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from django.core.cache import cache

from thuocdo.core import clock

BEAT_EVERY = 5.0  # seconds between heartbeats of a running job
STALE_AFTER = 60.0  # a running job silent this long has lost its worker
KEEP_FOR = 7 * 24 * 3600


def _key(uid: str, attempt: int, part: str) -> str:
    return f"thuocdo:job:{uid}:{attempt}:{part}"


@dataclass
class Snapshot:
    done: int = 0
    total: int = 0
    phase: str = ""
    beat: float | None = None  # epoch seconds of the last sign of life

    def stale(self, now: float) -> bool:
        return self.beat is None or now - self.beat > STALE_AFTER


class Progress:
    """What a job handler reports: `progress.set(done, total, phase)` as it goes."""

    def __init__(self, uid: str, attempt: int) -> None:
        self.uid, self.attempt = uid, attempt
        self.done = self.total = 0
        self.phase = ""
        self._written = 0.0

    def set(self, done: int, total: int | None = None, phase: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if phase is not None:
            self.phase = phase
        if time.monotonic() - self._written >= 0.3 or (self.total and self.done >= self.total):
            self.flush()

    def flush(self) -> None:
        """Writes the numbers now (`set` writes at most three times a second)."""
        self._written = time.monotonic()
        cache.set(
            _key(self.uid, self.attempt, "progress"),
            {"done": self.done, "total": self.total, "phase": self.phase},
            KEEP_FOR,
        )

    def advance(self, step: int = 1) -> None:
        self.set(self.done + step)


def beat(uid: str, attempt: int) -> None:
    cache.set(_key(uid, attempt, "beat"), clock.now().timestamp(), KEEP_FOR)


def read(uid: str, attempt: int) -> Snapshot:
    found: dict[str, Any] = cache.get_many(
        [_key(uid, attempt, "progress"), _key(uid, attempt, "beat")]
    )
    data = found.get(_key(uid, attempt, "progress")) or {}
    return Snapshot(
        done=int(data.get("done", 0)),
        total=int(data.get("total", 0)),
        phase=str(data.get("phase", "")),
        beat=found.get(_key(uid, attempt, "beat")),
    )


class Heartbeat:
    """Beats every few seconds from a thread while the job runs, also through one long SQL
    statement: silence then means the worker is gone, not busy."""

    def __init__(self, uid: str, attempt: int) -> None:
        self.uid, self.attempt = uid, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"beat-{uid}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(BEAT_EVERY):
            beat(self.uid, self.attempt)

    def __enter__(self) -> Heartbeat:
        beat(self.uid, self.attempt)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(BEAT_EVERY)
