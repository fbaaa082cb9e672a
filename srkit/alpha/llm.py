"""Alpha mining with the llm searcher: one mining round as an Alpha-Jungle tree search.

:func:`srkit.alpha.mine` calls :func:`llm_round` when its searcher is an
:class:`~srkit.search.llm.LLMSearcher`.  The round builds an
:class:`~srkit.search.llm.alpha.AlphaTask` from the panel problem: the fields
as variables, the panel operators with their windows, and a scoring function
that returns srkit.alpha's own metrics on the **train** dates only —

- ``rank_ic``, ``rank_ir``: |mean daily rank IC| and |rank IR| (absolute: the
  pool's weights give a factor its sign), :func:`srkit.alpha.metrics.factor_metrics`;
- ``turnover``: :func:`srkit.alpha.metrics.turnover` (through ``factor_metrics``);
- ``max_corr``: :func:`srkit.alpha.metrics.max_corr` with the pool's members;
- ``overfit``: the model's 0-10 over-fitting judgement
  (:func:`~srkit.search.llm.alpha.llm_overfit_score`), only when a model answers;
  the grammar-random proposer cannot judge, so that dimension is then dropped.

Scores per dimension are relative to the round's repository of scored factors
(Alpha Jungle's reward), and the round's candidates for the pool are every
scored factor, best reward first.  Each scored formula counts as one evaluation.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.formula import factor_values
from srkit.alpha.metrics import factor_metrics, max_corr
from srkit.alpha.panel import Panel
from srkit.core.expr import Expr
from srkit.search.base import Budget, Problem
from srkit.search.llm.alpha import ALPHA_DIMENSIONS, AlphaTask, llm_overfit_score
from srkit.search.llm.client import LLMBudgetExceeded, LLMClient, LLMError
from srkit.search.llm.proposers import GrammarRandomClient
from srkit.search.llm.replay import CassetteMiss
from srkit.search.llm.searcher import LLMSearcher, engine_concurrency
from srkit.search.llm.tree import TreeEngine

__all__ = ["AlphaScorer", "LLMRound", "llm_round"]

logger = logging.getLogger(__name__)
Array = NDArray[np.float64]

#: consecutive tree steps that score no formula after which a round gives up
#: (a model that only writes unusable text must not loop forever on an evaluation budget)
MAX_EMPTY_STEPS = 10


class AlphaScorer:
    """Formula -> train metrics of :data:`~srkit.search.llm.alpha.ALPHA_DIMENSIONS` (None if unusable).

    Parameters
    ----------
    panel : the panel the search sees (train dates, search assets).
    labels : its forward returns (nan outside train).
    pool : the pool members' values on the same dates and assets.
    stride : score every ``stride``-th labelled date (as the other searchers' fitness does).
    judge : a client that rates over-fitting (None: no ``overfit`` metric).

    Examples
    --------
    >>> from srkit.alpha.synthetic import synthetic_panel
    >>> from srkit.alpha.formula import parse_factor
    >>> from srkit.alpha.metrics import forward_returns
    >>> panel = synthetic_panel(n_dates=80, n_assets=10)
    >>> score = AlphaScorer(panel, forward_returns(panel, 5), [])
    >>> sorted(score(parse_factor("-ts_pct(close, 5)", panel.fields)))
    ['max_corr', 'rank_ic', 'rank_ir', 'turnover']
    """

    def __init__(self, panel: Panel, labels: Array, pool: Sequence[Array], *, stride: int = 1,
                 judge: LLMClient | None = None) -> None:
        self.panel = panel
        self.pool = list(pool)
        self.judge = judge
        rows = np.flatnonzero(np.isfinite(labels).any(axis=1))[::max(1, stride)]
        self.mask = np.zeros(len(labels), dtype=bool)
        self.mask[rows] = True
        self.labels = np.where(self.mask[:, None], labels, np.nan)
        self.n_evals = 0
        self.n_judged = 0

    def __call__(self, expr: Expr) -> dict[str, float] | None:
        self.n_evals += 1
        values = factor_values(expr, self.panel)
        m = factor_metrics(values, self.labels, self.mask)
        if not math.isfinite(m["rank_ic"]):
            return None
        out = {"rank_ic": abs(m["rank_ic"]), "rank_ir": abs(m["rank_ir"]) if math.isfinite(m["rank_ir"]) else 0.0,
               "turnover": m["turnover"], "max_corr": max_corr(values, self.pool, self.mask)}
        if self.judge is not None:
            self.n_judged += 1
            out["overfit"] = llm_overfit_score(self.judge, expr.format(6))
        return out


@dataclass
class LLMRound:
    """What one llm mining round gives back to the driver."""

    candidates: list[Expr]
    n_evals: int
    llm_calls: int
    proposer: str
    best_reward: float | None
    stopped_by: str = ""
    trees: int = 0
    repairs: int = 0
    errors: list[str] = field(default_factory=list)


def llm_round(
    searcher: LLMSearcher,
    problem: Problem,
    panel: Panel,
    labels: Array,
    pool: Sequence[Array],
    budget: Budget,
    rng: np.random.Generator,
    *,
    windows: Sequence[int],
    stride: int = 1,
) -> LLMRound:
    """Run the tree search for one round: until ``budget`` (evaluations and/or seconds; an
    iteration budget counts tree steps) is spent, the LLM budget is exhausted or the client
    fails ``max_failures`` times in a row (Ctrl-C stops it with ``stopped_by="interrupt"``, keeping
    what was scored).  ``problem`` gives the operator set, size limits
    and seeds (the pool's members, which root the first tree)."""
    cfg = searcher.config
    client_rng, tree_rng = rng.spawn(2)
    client = searcher.make_client(problem, client_rng)
    proposer = getattr(client, "model", "") or type(client).__name__
    judged = not isinstance(getattr(client, "inner", None) or client, GrammarRandomClient)
    dimensions = ALPHA_DIMENSIONS if judged else tuple(d for d in ALPHA_DIMENSIONS if d.name != "overfitting")
    scorer = AlphaScorer(panel, labels, pool, stride=stride, judge=client if judged else None)
    task = AlphaTask(problem.opset, scorer, windows, dimensions=dimensions,
                     max_size=problem.max_size, max_depth=problem.max_depth)
    engine = TreeEngine(task, client, cfg.tree, tree_rng, concurrency=engine_concurrency(client))
    start, steps, empty, failures, stopped_by, errors = time.perf_counter(), 0, 0, 0, "", []

    def spent() -> bool:
        return ((budget.evals is not None and scorer.n_evals >= budget.evals)
                or (budget.time is not None and time.perf_counter() - start >= budget.time)
                or (budget.iterations is not None and steps >= budget.iterations))

    if problem.seeds:
        engine.start_from(list(problem.seeds))
    while not spent():
        before = len(task.scored)
        steps += 1
        try:
            engine.step()
            failures = 0
        except LLMBudgetExceeded as exc:
            logger.info("%s; stopping", exc)
            stopped_by = "llm_budget"
            break
        except CassetteMiss:
            raise
        except KeyboardInterrupt:  # Ctrl-C: the driver still offers what was scored to the pool
            stopped_by = "interrupt"
            break
        except LLMError as exc:
            failures += 1
            errors.append(str(exc)[:300])
            logger.warning("LLM call failed (%d in a row): %s", failures, exc)
            if failures >= cfg.max_failures:
                stopped_by = "llm_error"
                break
        empty = empty + 1 if len(task.scored) == before else 0
        if empty >= MAX_EMPTY_STEPS:
            stopped_by = "no_formulas"
            break
    # rank every scored factor against the final repository (early ones were scored against few)
    ranked = sorted(((task.reward.reward(task.reward.scores(s.metrics, engine.repository)), i, s.expr)
                     for i, s in enumerate(task.scored)), key=lambda t: (-t[0], t[1]))
    return LLMRound([e for _, _, e in ranked], scorer.n_evals, engine.n_calls + scorer.n_judged, proposer,
                    ranked[0][0] if ranked else None, stopped_by, len(engine.trees), engine.n_repairs, errors)
