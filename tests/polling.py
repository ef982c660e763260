"""Waiting for the local stack, which is asynchronous like AWS (queues, pollers, move tasks, the schedule)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
DEADLINE = 60.0


def wait_for(check: Callable[[], T | None], what: str = "condition", timeout: float = DEADLINE) -> T:
    """Polls until `check` returns something truthy, and returns it; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)
