"""Search on a row subsample of large data; refit and re-score the front on all rows.

On 700,000 rows one evaluation takes milliseconds, and a 60 s search scores a few
thousand candidates: too few to find anything.  Which formula fits is decided by far
fewer rows than that, so a search over many rows scores its candidates on a fixed
random subset of them (an Evaluator :meth:`~srkit.fitness.evaluator.Evaluator.derive`\\ d
from the full one, so it charges the same budget), and the front it returns is then
refitted and re-scored on every row: the losses a user sees, and the model chosen
from them, are the full data's.  (PySR's ``batching`` draws a new batch per
evaluation; a fixed subset keeps the fit cache valid and the search deterministic.)
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from srkit.fitness.evaluator import BudgetSpent
from srkit.search.base import Problem, SearchResult

__all__ = ["REFIT_SHARE", "choose_rows", "on_rows", "refit_on_all_rows"]

#: share of a time budget kept back for refitting the front on all rows
REFIT_SHARE = 0.05


def choose_rows(n_samples: int, max_rows: int | None, rng: np.random.Generator) -> np.ndarray | None:
    """Sorted indices of ``max_rows`` rows drawn without replacement, or None to keep all.

    >>> choose_rows(100, None, np.random.default_rng(0)) is None
    True
    >>> choose_rows(100, 5, np.random.default_rng(0)).tolist()
    [26, 30, 50, 61, 81]
    """
    if max_rows is None or n_samples <= max_rows:
        return None
    return np.sort(rng.choice(n_samples, size=max_rows, replace=False))


def on_rows(problem: Problem, rows: np.ndarray) -> Problem:
    """The same problem over ``rows`` only; its evaluator charges the full one's budget.

    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> data = as_dataset(np.arange(20.0).reshape(10, 2), np.arange(10.0))
    >>> full = Problem(data, default_registry().operator_set(["add"], data.feature_names), Evaluator(data))
    >>> sub = on_rows(full, np.arange(4))
    >>> sub.dataset.n_samples, sub.evaluator.meter is full.evaluator.meter
    (4, True)
    """
    evaluator = problem.evaluator.derive(problem.dataset.subset(rows))
    return dataclasses.replace(problem, dataset=evaluator.dataset, evaluator=evaluator)


def refit_on_all_rows(result: SearchResult, problem: Problem, deadline: float | None = None,
                      max_evals: int | None = None) -> SearchResult:
    """``result``'s front re-scored and refitted on all of ``problem``'s rows, the model
    chosen again on those losses.

    Every formula is first re-scored with its subsample coefficients (one evaluation
    each, so that every loss on the front is a full-data loss however little time is
    left); then coefficients are refitted by the full evaluator's fitter, starting from
    the subsample's values, until ``deadline`` (a :func:`time.perf_counter` time) or
    ``max_evals`` (the evaluator's absolute count): the formula chosen on the subsample
    first, then by subsample loss.  The time taken is added to ``wall_time``.
    """
    start = time.perf_counter()
    evaluator = problem.evaluator
    chosen = result.best.expr if result.best is not None else None
    order = sorted(result.front.entries(), key=lambda e: (e.expr != chosen, e.loss))
    front = problem.new_front()
    with evaluator.meter.limited() as meter:
        meter.max_evals = meter.deadline = None  # the search's budget is spent; the refit has its own
        for entry in order:
            front.update(entry.expr, evaluator.loss(entry.expr))
        meter.deadline, meter.max_evals = deadline, max_evals
        for entry in order:
            if not entry.expr.n_coefs:
                continue
            try:
                front.update(*evaluator.fit(entry.expr))
            except BudgetSpent:
                break
    best = front.select(problem.selection) if front else None
    return dataclasses.replace(result, front=front, best=best, n_evals=evaluator.n_evals,
                               wall_time=result.wall_time + time.perf_counter() - start)
