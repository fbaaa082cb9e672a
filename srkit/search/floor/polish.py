"""The last step of every fit: round the front's constants where the data cannot tell.

A search fits constants to the data it has.  Without noise a law's constants come out
exact to round-off and the fitter snaps them (``2.0000000001`` to 2).  With noise they do
not: ``x**3 + x**2 + x`` is found as ``1.0021*x**3 + 0.9987*x**2 + 0.9993*x + 0.0004``,
which is not the law, and a formula with a spurious term ``0.003*sin(40*x)`` looks as
good as the law.  :func:`polish` rounds each front formula's constants to simple
rationals (or 0) wherever the Bayesian information criterion says the data cannot tell
them apart (:meth:`~srkit.fitness.evaluator.Evaluator.snap`), removes what a 0 or a 1
leaves behind (``0*x``, ``1*x``), and chooses the model again.
"""

from __future__ import annotations

import dataclasses
import time

from srkit.core.simplify import drop_identities
from srkit.fitness.evaluator import BudgetSpent
from srkit.search.base import Problem, SearchResult

__all__ = ["POLISH_SHARE", "polish"]

#: time given to polishing after a time budget is spent, as a share of it (it takes
#: milliseconds on 10,000 rows; the cap matters on large data)
POLISH_SHARE = 0.02


def polish(result: SearchResult, problem: Problem, deadline: float | None = None) -> SearchResult:
    """``result`` with every front formula snapped (where the loss allows) and simplified,
    on a front rebuilt from them, and the model chosen again by ``problem.selection``.

    Costs one or two evaluations per constant on the front (not charged to the search's
    budget); stops snapping at ``deadline`` (a :func:`time.perf_counter` time) and keeps the
    rest as it is.  The time taken is added to ``wall_time``.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.core.parse import parse
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Problem, SearchState, Budget, run_search
    >>> x = np.linspace(-1, 1, 100)
    >>> data = as_dataset(x[:, None], x**3 + x + np.random.default_rng(1).normal(0, 0.01, 100), feature_names=["x"])
    >>> ops = default_registry().operator_set(["add", "mul"], ["x"])
    >>> problem = Problem(data, ops, Evaluator(data))
    >>> class OneGuess:
    ...     name = "guess"
    ...     def search(self, problem, *, budget, rng, callbacks=()):
    ...         loop = lambda state: state.front.update(*problem.evaluator.fit(parse("1.1*x*x*x + 0.8*x + 0.1", ops)))
    ...         return run_search(self, problem, budget, callbacks, loop)
    >>> result = OneGuess().search(problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))
    >>> print(result.best.expr.format(3), "->", polish(result, problem).best.expr)
    0.996 * x * x * x + 1 * x + (-0.000736) -> x * x * x + x
    """
    if not result.front:
        return result
    start = time.perf_counter()
    evaluator = problem.evaluator
    front = problem.new_front()
    entries = list(result.front)
    with evaluator.meter.limited() as meter:
        meter.max_evals, meter.deadline = None, deadline  # the search's budget is spent; this has its own
        for k, entry in enumerate(entries):
            try:
                expr, loss = evaluator.snap(entry.expr, entry.loss)
            except BudgetSpent:  # out of time: the rest as they are
                for rest in entries[k:]:
                    front.update(rest.expr, rest.loss)
                break
            simpler = drop_identities(expr)
            # (a 1 may carry units, 1.0*t for a speed: without it the formula can break the
            # evaluator's prior, which sees only the skeleton)
            if simpler.size < expr.size and evaluator.loss_of_rewrite(expr, loss, simpler) > loss:
                simpler = expr
            # (a snap that let the loss rise replaces the formula: by BIC it is the better model)
            front.update(simpler if simpler.size < expr.size else expr, loss)
    best = front.select(problem.selection)
    return dataclasses.replace(result, front=front, best=best, wall_time=result.wall_time + time.perf_counter() - start)
