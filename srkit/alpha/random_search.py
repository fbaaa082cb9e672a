"""Random formulas: the baseline every factor miner must beat at equal evaluations.

:class:`RandomSearcher` implements the :class:`~srkit.search.base.Searcher`
protocol: it draws expression trees uniformly over the operator set's
operators and variables (grow method, depth and size limits of the problem),
scores each through the problem's Evaluator and keeps the front.  It draws no
coefficients: a panel factor's meaning comes from its fields and windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import VAR, OperatorSet
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search

__all__ = ["RandomConfig", "RandomSearcher", "random_expr"]


@dataclass(frozen=True)
class RandomConfig:
    """``p_leaf``: chance that a node below the root is a variable; ``batch``: candidates per iteration."""

    p_leaf: float = 0.3
    batch: int = 50


def random_expr(opset: OperatorSet, rng: np.random.Generator, max_size: int, max_depth: int,
                p_leaf: float = 0.3) -> Expr:
    """A random tree (root always an operator) within the size and depth limits.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "log"], ["a", "b"])
    >>> e = random_expr(ops, np.random.default_rng(0), 7, 4)
    >>> e.size <= 7 and e.depth <= 4
    True
    """
    ops = [c for c in range(2, 2 + len(opset.operators)) if opset.arity_of(c) > 0]
    if not ops:
        raise ValueError("the operator set has no operator to build a formula with")
    for _ in range(1000):
        codes: list[int] = []
        args: list[int] = []

        def grow(depth: int) -> None:
            if depth >= max_depth or (depth > 1 and rng.random() < p_leaf) or len(codes) >= max_size:
                codes.append(VAR)
                args.append(int(rng.integers(opset.n_variables)))
                return
            c = int(ops[rng.integers(len(ops))])
            codes.append(c)
            args.append(0)
            for _ in range(opset.arity_of(c)):
                grow(depth + 1)

        grow(1)
        if len(codes) <= max_size:
            return Expr(codes, args, [], opset)
    raise ValueError(f"could not draw a formula of at most {max_size} nodes; raise max_size")


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
                    e = random_expr(problem.opset, rng, problem.max_size, problem.max_depth, cfg.p_leaf)
                    state.offer(e, problem.evaluator.loss(e))
                    if state.out_of_budget():
                        break
                if state.end_iteration():
                    return

        return run_search(self, problem, budget, callbacks, loop)
