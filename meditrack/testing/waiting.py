"""Waiting for what runs in another thread or process (a worker, a stream, a process starting) to happen."""

import time
from collections.abc import Callable


def wait_until(predicate: Callable, *, timeout: float = 60.0, interval: float = 0.2, what: str = "the condition",
               tolerate: tuple[type[BaseException], ...] = ()):
    """Poll predicate until it returns something truthy, and return that; TimeoutError after timeout. Errors
    of the `tolerate` types count as "not yet" (a process still starting refuses connections)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := predicate():
                return result
        except tolerate:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not hold within {timeout:g} s")
        time.sleep(interval)
