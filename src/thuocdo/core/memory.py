"""Python's cycle collector held back while a bulk step builds objects by the hundred
thousand.

Every full collection walks every live object; an import of 100,000 rows keeps millions
of them alive (rows, stories, instances, audit entries) and triggers enough collections
to spend a third of its time in them. Refcounting still frees what the step drops at
once; only cycles wait, and the collector runs again as usual when the step ends. The
switch is per process: in a threaded server the other threads' cycles wait too, for as
long as the step lasts (a block entered while the collector is off leaves it to the
block that turned it off, so it is never left off).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses the cycle collector for the block (nested blocks: the outermost resumes it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
