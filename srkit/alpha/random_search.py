"""Random formulas: the baseline every factor miner must beat at equal evaluations.

:class:`RandomSearcher` implements the :class:`~srkit.search.base.Searcher`
protocol: it draws expression trees with the search floor's generator
(:func:`srkit.search.floor.random_formulas.random_expr`, grow method, depth and size
limits of the problem) over the operator set's operators, by their weights (equal in
a mining run's :func:`~srkit.alpha.formula.search_opset`, so every operator, each
window of a ``ts_*`` family included, is equally likely) and its variables, scores
each through the problem's Evaluator and keeps the front.  It draws no coefficients
or constants: a panel factor's meaning comes from its fields and windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search
from srkit.search.floor.random_formulas import random_expr

__all__ = ["RandomConfig", "RandomSearcher"]


@dataclass(frozen=True)
class RandomConfig:
    """``p_leaf``: chance that a node below the root is a variable; ``batch``: candidates per iteration."""

    p_leaf: float = 0.3
    batch: int = 50


class RandomSearcher:
    """Score random formulas until the budget is spent (see module docstring)."""

    name: ClassVar[str] = "random"

    def __init__(self, config: RandomConfig | None = None) -> None:
        self.config = config or RandomConfig()

    def search(self, problem: Problem, *, budget: Budget, rng: np.random.Generator,
               callbacks: Sequence[Callback] = ()) -> SearchResult:
        cfg = self.config

        def loop(state: SearchState) -> None:
            while True:
                for _ in range(cfg.batch):
                    e = random_expr(problem.opset, rng, max_size=problem.max_size, max_depth=problem.max_depth,
                                    p_leaf=cfg.p_leaf, p_coef=0.0, p_constant=0.0)
                    state.offer(e, problem.evaluator.loss(e))
                    if state.out_of_budget():
                        break
                if state.end_iteration():
                    return

        return run_search(self, problem, budget, callbacks, loop)
