"""Waiting for what runs in another thread or process (a worker, a stream) to happen."""

import time


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.2, what: str = "the condition"):
    """Poll predicate until it returns something truthy, and return that; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if result := predicate():
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g} s")
        time.sleep(interval)
