"""Running many clients at once in a test: start them together, wait, and fail on a hang."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(client: Callable[[int], None], count: int, *, timeout: float = 300) -> None:
    """Runs client(0) … client(count - 1), each in its own thread, and waits for all.

    Each client closes its own database connection when it ends (a thread's connection is
    its own); a client still running after `timeout` seconds fails the test."""
    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    hung = [n for n, thread in enumerate(threads) if thread.is_alive()]
    assert not hung, f"clients {hung} hung"
