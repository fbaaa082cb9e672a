"""Per-call time limits with SIGALRM (main thread on POSIX), used by the recovery rules."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


class RuleTimeout(BaseException):
    """Raised inside a rule when its time limit expires (BaseException so that sympy's
    ``except Exception`` blocks cannot swallow it)."""


def _can_alarm() -> bool:
    return (
        hasattr(signal, "SIGALRM")
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def call_with_timeout(fn: Callable[[], _T], timeout: float | None) -> _T:
    """Run ``fn()``; raise :class:`RuleTimeout` after ``timeout`` seconds.

    Uses ``signal.setitimer``/SIGALRM in the main thread on POSIX and runs without a limit
    otherwise (or when ``timeout`` is None or <= 0). A timer already armed by the caller is
    respected (the shorter deadline wins) and re-armed afterwards.

    Examples
    --------
    >>> call_with_timeout(lambda: 1 + 1, 1.0)
    2
    """
    if timeout is None or timeout <= 0 or not _can_alarm():
        return fn()

    def _handler(signum: int, frame: object) -> None:
        raise RuleTimeout()

    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    limit = timeout if outer_left <= 0 else min(timeout, outer_left)
    old_handler = signal.signal(signal.SIGALRM, _handler)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if outer_left > 0:
            left = outer_left - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)
