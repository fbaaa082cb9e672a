"""What every searcher shares: Problem, Budget, Callback, SearchState, SearchResult.

A searcher sees only a :class:`Problem` (data, operators, evaluator, limits),
runs until its :class:`Budget` is spent or a callback says stop, pushes every
scored candidate into one :class:`~srkit.core.pareto.ParetoFront`, and returns
a :class:`SearchResult`.  Ctrl-C ends the search early and still returns the
best found so far.

The budget is enforced by the problem's Evaluator while :func:`run_search` runs:
the first evaluation past the deadline or the evaluation limit raises
:class:`~srkit.fitness.evaluator.BudgetSpent`, wherever the searcher is (scoring
its first population, inside a coefficient fit), and the search ends with what
it found, plus the last results the evaluator scored that the searcher had not
offered yet.  One-off warm-up (numba compiling the interpreter's kernel, a
searcher's imports) runs before the clock starts.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

import numpy as np

from srkit.core.data import Dataset
from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.core.pareto import ParetoEntry, ParetoFront, Selection
from srkit.core.simplify import drop_identities
from srkit.fitness.evaluator import BudgetSpent, Evaluator
from srkit.fitness.interpreter import warm_up
from srkit.fitness.parallel import one_blas_thread

__all__ = [
    "Budget",
    "Callback",
    "Problem",
    "SearchResult",
    "SearchState",
    "Searcher",
    "run_search",
]


@dataclass(frozen=True)
class Budget:
    """When to stop: wall-clock seconds, evaluations and/or iterations (any that is set).

    Examples
    --------
    >>> Budget(time=60).time
    60
    """

    time: float | None = None
    evals: int | None = None
    iterations: int | None = None

    def __post_init__(self) -> None:
        for name in ("time", "evals", "iterations"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value < 0 or math.isnan(value)):
                raise ValueError(
                    f"budget {name} must be a non-negative number or None, got {value!r}"
                )
        if self.time is None and self.evals is None and self.iterations is None:
            raise ValueError("a budget needs at least one of time, evals or iterations")


@dataclass
class Problem:
    """Everything a searcher needs: data, operators, the evaluator and size limits."""

    dataset: Dataset
    opset: OperatorSet
    evaluator: Evaluator
    max_size: int = 30
    max_depth: int = 10
    selection: Selection = "mdl"
    #: expressions to start from (user guesses, or another searcher's front)
    seeds: Sequence[Expr] = ()

    def new_front(self) -> ParetoFront:
        ev = self.evaluator
        return ParetoFront(loss_floor=ev.loss_floor, n_samples=ev.dataset.n_samples, loss_power=ev.loss_power)


class Callback:
    """Hooks into a running search; ``on_iteration_end`` may return True to stop."""

    def on_search_begin(self, state: SearchState) -> None:  # noqa: D401 - hook
        """Called once before the first iteration."""

    def on_progress(self, state: SearchState) -> None:
        """Called from inside the evaluation loop, at most every quarter second while
        candidates are being scored (also within the first, long iteration on big data);
        for progress display only: it cannot stop the search."""

    def on_iteration_end(self, state: SearchState) -> bool | None:
        """Called after each iteration; return True to stop the search."""
        return None

    def on_search_end(self, state: SearchState) -> None:
        """Called once after the last iteration (also after Ctrl-C)."""


@dataclass
class SearchState:
    """The live state a searcher shares with its callbacks."""

    problem: Problem
    budget: Budget
    front: ParetoFront
    callbacks: Sequence[Callback] = ()
    iteration: int = 0
    start: float = field(default_factory=time.perf_counter)
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = ""
    error: str = ""

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def n_evals(self) -> int:
        return self.problem.evaluator.n_evals

    def offer(self, expr: Expr, loss: float) -> bool:
        """Put a scored candidate on the front (not if it breaks the size or depth limit).

        A formula with fitted constants that enters the front brings its significance-snapped
        form too (:meth:`~srkit.fitness.evaluator.Evaluator.snap`, then ``0*t`` and ``1*x``
        removed): on noisy data ``1.0021*x**3 + 0.9987*x**2 + 0.9993*x + 0.0004`` is beaten
        at its complexity by look-alikes such as ``7.47*x + x**2 - 6.5*sin(x)``, but
        ``x**3 + x**2 + x`` is smaller than both, and the front keeps it for model selection.
        """
        if expr.size > self.problem.max_size or expr.depth > self.problem.max_depth:
            return False
        entered = self.front.update(expr, loss)
        if entered and expr.n_coefs:
            # (not past the budget: offers also come from _rescue after BudgetSpent, and the
            # searcher's own next evaluation raises it again anyway)
            with contextlib.suppress(BudgetSpent):
                snapped, snapped_loss = self.problem.evaluator.snap(expr, loss)
                simpler = drop_identities(snapped)
                if simpler.size < expr.size:
                    self.front.update(simpler, self.problem.evaluator.loss_of_rewrite(snapped, snapped_loss, simpler))
        return entered

    def found_exact(self) -> bool:
        """True when the front holds an exact fit that is no accident of too few rows
        (:meth:`~srkit.fitness.evaluator.Evaluator.is_exact`): the one rule by which every
        searcher stops early.  Noisy data never meets it (its losses stay far above
        round-off), so there the budget decides."""
        ev = self.problem.evaluator
        return any(ev.is_exact(e.expr, e.loss) for e in self.front)

    def out_of_budget(self) -> bool:
        b = self.budget
        if b.time is not None and self.elapsed >= b.time:
            self.stopped_by = self.stopped_by or "time"
        elif b.evals is not None and self.n_evals >= b.evals:
            self.stopped_by = self.stopped_by or "evals"
        elif b.iterations is not None and self.iteration >= b.iterations:
            self.stopped_by = self.stopped_by or "iterations"
        return bool(self.stopped_by)

    def end_iteration(self, **info: Any) -> bool:
        """Record one iteration, run callbacks; True when the search should stop."""
        self.iteration += 1
        best = self.front.min_loss
        self.history.append(
            {"iteration": self.iteration, "time": round(self.elapsed, 4), "n_evals": self.n_evals,
             "best_loss": best, "front_size": len(self.front), **info}
        )
        for cb in self.callbacks:
            if cb.on_iteration_end(self):
                self.stopped_by = self.stopped_by or "callback"
        return self.out_of_budget()


@dataclass
class SearchResult:
    """What a search returns: the front, the chosen entry and how it got there."""

    front: ParetoFront
    best: ParetoEntry | None
    n_evals: int
    iterations: int
    wall_time: float
    seed: int | None
    searcher: str
    config: dict[str, Any]
    history: list[dict[str, Any]]
    stopped_by: str = ""
    #: the traceback when an error ended the search (the front found before it is kept)
    error: str = ""

    @property
    def interrupted(self) -> bool:
        return self.stopped_by == "interrupt"

    def to_records(self, precision: int | None = None) -> list[dict[str, Any]]:
        """The front as plain dicts (``pandas.DataFrame(result.to_records())`` works)."""
        return self.front.to_records(precision)


@runtime_checkable
class Searcher(Protocol):
    """The one protocol every searcher implements."""

    name: ClassVar[str]
    config: Any

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult: ...


def config_dict(config: Any) -> dict[str, Any]:
    """A searcher's settings as plain data ({} for a searcher without a ``config``)."""
    if config is None:
        return {}
    return asdict(config) if is_dataclass(config) and not isinstance(config, type) else dict(vars(config))


def run_search(
    searcher: Any,
    problem: Problem,
    budget: Budget,
    callbacks: Sequence[Callback],
    loop: Any,
    seed: int | None = None,
) -> SearchResult:
    """Run ``loop(state)`` with the shared bookkeeping: callbacks, Ctrl-C, result.

    Searchers call this from ``search``; ``loop`` mutates ``state`` (offering
    candidates to ``state.front``) and returns when ``state.end_iteration()``
    says stop.  A KeyboardInterrupt inside ``loop`` ends the search and keeps
    the front found so far.  BLAS runs on one thread meanwhile (:func:`one_blas_thread`).
    """
    # one-off work before the clock starts: it must not eat the user's budget
    warm_up()
    prepare = getattr(searcher, "prepare", None)
    if callable(prepare):
        prepare(problem)
    state = SearchState(problem=problem, budget=budget, front=problem.new_front(), callbacks=callbacks)
    for cb in callbacks:
        cb.on_search_begin(state)
    deadline = None if budget.time is None else state.start + budget.time
    # (duck-typed callbacks written before on_progress existed may lack it)
    hooks = [hook for cb in callbacks if (hook := getattr(cb, "on_progress", None)) is not None]
    tick = (lambda: [hook(state) for hook in hooks]) if hooks else None
    meter = problem.evaluator.meter
    previous = _catch_sigint(meter)
    try:
        with one_blas_thread(), meter.limited(budget.evals, deadline, tick):
            loop(state)
    except BudgetSpent as spent:
        state.stopped_by = state.stopped_by or spent.reason
        _rescue(state)
    except KeyboardInterrupt:
        meter.clear_interrupt()
        state.stopped_by = "interrupt"
        _rescue(state)
    except Exception as exc:  # noqa: BLE001 - a failing search keeps what it found
        _rescue(state)
        if not state.front:
            state.stopped_by = f"error: {type(exc).__name__}: {exc}"
            raise
        state.stopped_by = f"error: {type(exc).__name__}: {exc}"
        warnings.warn(
            f"the {searcher.name} search stopped on an error after {state.iteration} iterations "
            f"({type(exc).__name__}: {exc}); returning the best of the {len(state.front)} "
            "expressions found so far. Please report it with the traceback in result.error.",
            RuntimeWarning, stacklevel=2,
        )
        state.error = traceback.format_exc()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if not state.front and state.stopped_by in _FALLBACK_STOPS:
            _fallback(state)
        for cb in callbacks:
            cb.on_search_end(state)
    best = state.front.select(problem.selection) if state.front else None
    return SearchResult(
        front=state.front,
        best=best,
        n_evals=problem.evaluator.n_evals,
        iterations=state.iteration,
        wall_time=state.elapsed,
        seed=seed,
        searcher=searcher.name,
        config=config_dict(getattr(searcher, "config", None)),
        history=state.history,
        stopped_by=state.stopped_by,
        error=state.error,
    )


def _catch_sigint(meter: Any) -> Any:
    """While a search runs, Ctrl-C also marks ``meter``, so that a KeyboardInterrupt that
    Python raises where it is ignored (a finalizer, a callback of a C library) still stops
    the search at its next evaluation.  Returns the handler to restore (None when this is
    not the main thread, where signal handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        return None

    def on_sigint(signum: int, frame: Any) -> None:
        meter.interrupt()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    return previous


def _rescue(state: SearchState) -> None:
    """A search cut short (budget, Ctrl-C, error) keeps the last results the evaluator
    scored that its searcher had not offered yet (e.g. half of a first population)."""
    for expr, loss in list(state.problem.evaluator.recent):
        state.offer(expr, loss)


#: how a search may end and still get the simplest models when its front is empty
#: (not after Ctrl-C, an error or a failing LLM endpoint: those say what went wrong)
_FALLBACK_STOPS = ("", "time", "evals", "iterations", "callback", "exact")


def _fallback(state: SearchState) -> None:
    """An empty front at the end (a tiny ``max_size``, a budget spent at once): offer the
    simplest models, the fitted constant and each variable alone, so that a search that
    was not interrupted always returns a formula.  Costs a few evaluations, unbudgeted."""
    problem = state.problem
    if problem.dataset.y.ndim != 1:
        return  # panels: a constant factor has no cross-section to rank
    ev = problem.evaluator
    opset = problem.opset
    with ev.meter.limited() as meter, contextlib.suppress(BudgetSpent):
        meter.max_evals = meter.deadline = None  # (restored when the block ends)
        state.offer(*ev.fit(Expr.coefficient(opset, float(np.mean(problem.dataset.y)))))
        for j in range(opset.n_variables):
            variable = Expr.variable(opset, j)
            state.offer(variable, ev.loss(variable))
