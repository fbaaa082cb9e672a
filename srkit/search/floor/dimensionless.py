"""Search a problem with units in its dimensionless groups, then in its own variables.

With the units of the inputs and of the target, a law is ``y = prefactor * f(groups)``
(:mod:`srkit.units.analysis`): fewer variables, and every formula in the groups is
dimensionally consistent.  Any searcher runs on that reduced problem first (an evaluator
:meth:`~srkit.fitness.evaluator.Evaluator.derive`\\ d from the full one, so it charges
the same budget), its front is written back in the original variables and scored on
the original data, and the rest of the budget goes to the same searcher on the original
problem, seeded with those formulas: a law whose constants carry units (``y = x + c``
with ``c`` a length) is not a function of the groups, and that stage can still find it.

The reduced data set weights each row by ``prefactor**2`` (``|prefactor|`` for the mean
absolute error), so that its loss is the original one up to a constant factor:
``sum P**2 (y/P - f)**2 = sum (y - P f)**2``.
Formulas rank the same in both stages, and noise on ``y`` is weighed as it should be
(dividing by the prefactor alone would make rows with a small prefactor count most).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np

from srkit.core.data import Dataset
from srkit.core.expr import Expr
from srkit.core.pareto import ParetoFront
from srkit.fitness.evaluator import BudgetSpent
from srkit.fitness.losses import mae
from srkit.search.base import Budget, Problem, SearchResult
from srkit.units.analysis import DimensionalAnalysis

__all__ = ["GROUPS_SHARE", "on_groups", "search_in_groups"]

#: share of the budget given to the search in dimensionless groups (chosen a priori,
#: not tuned: the original variables keep enough for laws with dimensional constants)
GROUPS_SHARE = 0.7
#: how many written-back formulas seed the search in the original variables
N_SEEDS = 20
#: how many of them (the most accurate) are also offered with their powers collected
N_SIMPLIFIED = 10


def on_groups(problem: Problem, analysis: DimensionalAnalysis) -> Problem | None:
    """The problem in its dimensionless groups (``pi1, pi2, ...``), or None when it has
    none or the transform is not finite on the data (a fractional power of a negative input).

    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.units import analysis, parse_unit as u
    >>> X = np.random.default_rng(0).uniform(1, 2, (20, 3))
    >>> data = as_dataset(X, X[:, 0] * X[:, 1] / X[:, 2] ** 2, feature_names=["m1", "m2", "r"])
    >>> ops = default_registry().operator_set(["add", "mul", "div"], data.feature_names)
    >>> a = analysis.analyse(data.feature_names, [u("kg"), u("kg"), u("m")], u("kg**2/m**2"))
    >>> reduced = on_groups(Problem(data, ops, Evaluator(data)), a)
    >>> reduced.opset.variables, np.allclose(reduced.dataset.y, X[:, 1] / X[:, 0])
    (('pi1',), True)
    """
    if not analysis.groups:
        return None
    data = problem.dataset
    moved = analysis.transform(data.X, data.y)
    if moved is None:
        return None
    Z, target = moved
    pre = analysis.prefactor_values(data.X)
    # |y - P f| = |P| |y/P - f|: the residual's weight is |P| to the power the loss raises
    # residuals to (mae: 1; mse and the losses that rank as it does: 2)
    exponent = 1.0 if problem.evaluator.loss_fn is mae else 2.0
    scale = np.abs(pre) ** exponent
    weights = scale if data.weights is None else scale * data.weights
    if not (np.isfinite(weights).all() and (weights > 0).all()):
        return None
    reduced = Dataset(np.ascontiguousarray(Z), target, analysis.group_names, weights / weights.mean())
    evaluator = problem.evaluator.derive(reduced, same_variables=False)  # every formula in groups is consistent
    opset = problem.opset.with_variables(analysis.group_names)
    return dataclasses.replace(problem, dataset=reduced, evaluator=evaluator, opset=opset, seeds=())


def search_in_groups(
    run: Callable[[Problem, Budget], SearchResult],
    problem: Problem,
    analysis: DimensionalAnalysis,
    budget: Budget,
    *,
    searcher_name: str = "",
) -> tuple[SearchResult, ParetoFront]:
    """``run`` (a search) on the dimensionless groups with :data:`GROUPS_SHARE` of
    ``budget``, then on ``problem`` itself with the rest, seeded with the first
    stage's front written back; one front of both, scored on ``problem``'s data.

    Returns the result and the written-back front alone: its formulas are consistent by
    construction, and in the joint front an inconsistent formula (``r + t`` for a length)
    may dominate them.  Without groups (``y = C * prefactor``) the first stage is that
    one formula.
    """
    start = time.perf_counter()
    opset = problem.opset
    reduced = on_groups(problem, analysis)
    written: list[Expr] = []
    first: SearchResult | None = None
    if reduced is not None:
        first = run(reduced, _share(budget, GROUPS_SHARE, 0))
        order = sorted(first.front.entries(), key=lambda e: e.loss)
        written = [analysis.map_back(e.expr, opset) for e in order]
    elif not analysis.groups and analysis.prefactor is not None:
        written = [analysis.map_back(Expr.coefficient(opset.with_variables(["pi0"]), 1.0), opset)]
    front = problem.new_front()
    evaluator = problem.evaluator
    with evaluator.meter.limited() as meter:
        meter.max_evals = meter.deadline = None  # a handful of evaluations to carry the front over
        for k, expr in enumerate(written):
            try:
                fitted, loss = evaluator.fit(expr) if first is None else (expr, evaluator.loss(expr))
            except BudgetSpent:
                break
            front.update(fitted, loss)
            if k < N_SIMPLIFIED:
                simpler = _collected(fitted)
                if simpler is not None:
                    simpler_loss = evaluator.loss(simpler)
                    if simpler_loss <= loss * (1 + 1e-9) + evaluator.loss_floor:
                        front.update(simpler, simpler_loss)
    exact = any(evaluator.is_exact(e.expr, e.loss) for e in front)
    if exact or (first is not None and first.interrupted):
        base = first if first is not None else _empty(problem, searcher_name)
        stopped = "exact" if exact and not (first and first.interrupted) else base.stopped_by
        return dataclasses.replace(base, front=front, best=front.select(problem.selection) if front else None,
                                   n_evals=evaluator.n_evals, stopped_by=stopped,
                                   wall_time=time.perf_counter() - start), front
    seeds = [e.expr for e in sorted(front, key=lambda e: e.loss)[:N_SEEDS]]
    used = 0 if first is None else first.iterations
    second = run(dataclasses.replace(problem, seeds=[*problem.seeds, *seeds]),
                 _share(budget, 1.0, used, start=start))
    written_front = problem.new_front()
    written_front.merge(front)
    second.front.merge(front)
    history = ([dict(h, stage="groups") for h in first.history] if first is not None else []) + second.history
    return dataclasses.replace(
        second, best=second.front.select(problem.selection), n_evals=evaluator.n_evals,
        iterations=second.iterations + used, wall_time=time.perf_counter() - start, history=history,
    ), written_front


def _collected(expr: Expr) -> Expr | None:
    """``expr`` with like powers collected by sympy's automatic simplification, which
    writing back leaves as ``q1*q1/(eps*r*r) * (c*(q1/q2)**(-1))``: ``c*q1*q2/(eps*r**2)``.
    None when sympy cannot write it back in the same operators."""
    from srkit.export.sympy import from_sympy

    try:
        out = from_sympy(expr.to_sympy(), expr.opset)
    except Exception:  # noqa: BLE001 - an alternative form only; the original stays
        return None
    return out if out.size < expr.size else None


def _share(budget: Budget, share: float, iterations_used: int, start: float | None = None) -> Budget:
    """``share`` of ``budget``; with ``start``, what is left of it since then (evaluations
    are an absolute count on the shared evaluator)."""
    t = budget.time
    if t is not None:
        t = t * share if start is None else max(0.0, t - (time.perf_counter() - start))
    evals = None if budget.evals is None else max(1, int(budget.evals * share))
    iters = None if budget.iterations is None else max(1, int(budget.iterations * share) - iterations_used)
    return Budget(time=t, evals=evals, iterations=iters)


def _empty(problem: Problem, searcher_name: str) -> SearchResult:
    return SearchResult(front=problem.new_front(), best=None, n_evals=problem.evaluator.n_evals, iterations=0,
                        wall_time=0.0, seed=None, searcher=searcher_name, config={},
                        history=[{"iteration": 0, "stage": "groups", "note": "y = C * prefactor"}])
