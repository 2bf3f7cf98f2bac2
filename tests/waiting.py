"""Waiting for a worker's work to show, for tests that run a real Celery worker."""

import time
from collections.abc import Callable


def wait_for(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> bool:
    """Return True as soon as `check()` is true, or False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False
