"""Job kinds: each app registers the handlers of its long work (`@job_kind("…")`) in a
module its AppConfig imports, so the web process and every worker know the same kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thuocdo.core.errors import NotFound, ThuocDoError

if TYPE_CHECKING:
    from thuocdo.jobs.models import Job
    from thuocdo.jobs.progress import Progress


@dataclass
class Outcome:
    """What a finished job keeps: its final count and a small result for its page."""

    done: int = 0
    total: int = 0
    result: dict[str, Any] = field(default_factory=dict)


class JobFailed(ThuocDoError):
    """The job refused its work as a whole; nothing it did was kept. `errors` are shown
    on its page (row errors for imports, one message otherwise)."""

    def __init__(
        self, message_vi: str, message_en: str = "", *, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message_vi, message_en)
        self.errors = errors or [message(message_vi, message_en)]


def message(message_vi: str, message_en: str) -> dict[str, Any]:
    return {"message_vi": message_vi, "message_en": message_en}


Handler = Callable[["Job", "Progress"], Outcome]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    # Called after the job refused its work (JobFailed), outside the rolled-back transaction:
    # to let go of what a retry could not use anyway (an import's refused file).
    on_refused: Callable[[Job], None] | None = None


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, *, on_refused: Callable[[Job], None] | None = None
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        KINDS[name] = JobKind(name, handler, on_refused)
        return handler

    return register


def get_kind(name: str) -> JobKind:
    found = KINDS.get(name)
    if found is None:
        raise NotFound(f"Không có loại tiến trình “{name}”.", f"No job kind {name!r}.")
    return found
