"""Ready-made callbacks: a progress line and an early stop on a target loss."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from srkit.search.base import Callback, SearchState

__all__ = ["ProgressPrinter", "StopAtLoss"]


class ProgressPrinter(Callback):
    """Print the iteration, time, evaluations, best loss and its equation.

    One line, rewritten in place at most every ``interval`` seconds on a terminal
    (a new line each time otherwise), and a final line when the search ends.  The
    line also comes while candidates are being scored (:meth:`on_progress`), so a
    long first iteration on big data shows its progress from the first second on.

    Examples
    --------
    >>> import io
    >>> ProgressPrinter(stream=io.StringIO()).interval
    1.0
    """

    def __init__(self, interval: float = 1.0, stream: TextIO | None = None, precision: int = 5) -> None:
        self.interval = interval
        self.stream = stream or sys.stderr
        self.precision = precision
        self._last = 0.0

    def _line(self, state: SearchState) -> str:
        front = state.front
        if not front:
            head = f"iter {state.iteration:4d} | {state.elapsed:6.1f}s | evals {state.n_evals:.3g} | "
            # scored but not yet offered (a first population being scored): the evaluator's latest
            scored = list(state.problem.evaluator.recent)
            if not scored:
                return head + "no finite candidate yet"
            expr, loss = min(scored, key=lambda t: t[1])
            return head + f"best loss so far {loss:.3e} | {expr.format(self.precision)}"
        best = front.select(state.problem.selection)
        return (
            f"iter {state.iteration:4d} | {state.elapsed:6.1f}s | evals {state.n_evals:.3g} | "
            f"best loss {front.min_loss:.3e} | {best.expr.format(self.precision)}"
        )

    def on_search_begin(self, state: SearchState) -> None:
        self._last = time.perf_counter()  # the first line after ``interval``: short fits print one line

    def on_iteration_end(self, state: SearchState) -> bool | None:
        self._print(state)
        return None

    def on_progress(self, state: SearchState) -> None:
        self._print(state)

    def _print(self, state: SearchState) -> None:
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            tty = hasattr(self.stream, "isatty") and self.stream.isatty()
            line = self._line(state)
            self.stream.write(("\r\x1b[2K" + line[:200]) if tty else line + "\n")
            self.stream.flush()

    def on_search_end(self, state: SearchState) -> None:
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        end = f" (stopped: {state.stopped_by})" if state.stopped_by else ""
        self.stream.write(("\r\x1b[2K" if tty else "") + self._line(state) + end + "\n")
        self.stream.flush()


class StopAtLoss(Callback):
    """Stop as soon as the best training loss is at most ``threshold``."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def on_iteration_end(self, state: SearchState) -> bool | None:
        return state.front.min_loss <= self.threshold
