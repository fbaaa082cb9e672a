"""The mining driver: any srkit searcher on a panel problem, feeding a factor pool.

Mining runs in rounds.  Each round builds a panel problem on the **train**
period only (the panel is cut after the last train date, and train labels whose
horizon would cross into validation are dropped), with the fitness

    1 - |mean daily rank IC| + diversity * max |rank corr with the pool's members|

(:class:`srkit.fitness.losses.RankICLoss`), runs the searcher for the round's
budget, and offers the best distinct formulas it scored (near-copies of a member
or of each other skipped) to the :class:`FactorPool` (admission by train IC and
by correlation, eviction over capacity; with ``valid_check`` a candidate must
also keep the sign of its train IC on the validation period, which the search
itself never sees).  The next
round's penalty includes the new members, which pushes the search elsewhere.

Searchers: ``"gp"`` (panel-friendly defaults, see :data:`ALPHA_GP`; ``"auto"`` is the
same here, as its closed form, mcts and dsn need one target per row and say so), ``"llm"``,
``"random"``, or any object with the ``search(problem, *, budget, rng, callbacks)`` method.  The llm searcher (``"llm"``, ``llm={...}`` settings or an
``LLMSearcher``) runs each round as Alpha Jungle's tree search over factors
(:mod:`srkit.alpha.llm`): prompts with the fields, operators, windows and
per-dimension scores, and the relative multi-dimensional reward.  Validation and test metrics are computed only after
the search, for the final table.  Ctrl-C stops mining and keeps the pool so far.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.formula import SEARCH_OPERATORS, factor_values, parse_factor, search_opset
from srkit.alpha.metrics import Split, factor_metrics, forward_returns, period_labels
from srkit.alpha.operators import SEARCH_WINDOWS
from srkit.alpha.panel import Panel
from srkit.alpha.pool import FactorPool
from srkit.core.expr import Expr
from srkit.core.rng import as_generator
from srkit.fitness.evaluator import Evaluator
from srkit.fitness.losses import RankICLoss, daily_rank_ic
from srkit.search.base import Budget, Problem
from srkit.search.llm import LLMSearcher

__all__ = ["MiningConfig", "MiningResult", "mine", "ALPHA_GP", "period_table", "PERIODS"]

logger = logging.getLogger(__name__)
Array = NDArray[np.float64]
PERIODS = ("train", "valid", "test")

#: GP settings for panels: no coefficient fitting (rank IC ignores scale) and no
#: parsimony factor (the loss 1 - |IC| is nearly flat, so a multiplicative size
#: penalty would swamp it; size is bounded by ``max_size`` instead).
ALPHA_GP: dict[str, Any] = dict(
    population_size=150, n_islands=1, fit_coefficients=False, parsimony=0.0, p_coefficient=0.02,
    n_elites=4, restart_after=0, init_max_depth=3,
)


@dataclass(frozen=True)
class MiningConfig:
    """Settings of :func:`mine`.

    Parameters
    ----------
    horizon : forward-return horizon of the label, in trading days.
    pool_size : capacity of the factor pool.
    rounds : search rounds; each ends with pool admission.
    time_per_round, evals_per_round : budget of one round (either or both).
    diversity : weight of the max-correlation penalty in the fitness.
    min_abs_ic, max_corr : pool admission thresholds (train IC, mutual IC).
    candidates_per_round : formulas offered to the pool per round: the round's best,
        skipping near-copies (mutual IC >= ``max_corr`` with a member or with a formula
        offered before in the same round), which would pass or fail the pool's checks
        together.
    max_scanned_per_round : how far down the round's list of scored formulas (best
        first) the search for distinct candidates may go.
    max_size, max_depth : formula limits.
    date_stride : the search scores every ``date_stride``-th train date (speed);
        admission and the final table use every date.
    search_assets : the search sees this many randomly drawn assets (None: all);
        admission and the final table use all assets.
    operators, windows : the search's operator families and time-series windows.
    ic_blocks : the fitness's rank IC is the worst of this many consecutive blocks of
        train dates (``RankICLoss(blocks=...)``): factors must hold in every sub-period,
        not on average (1: the plain mean over all train dates).
    valid_check : admit a candidate only when its validation rank IC has the sign of
        its train rank IC and at least ``min_abs_ic`` magnitude (selection on
        validation; the search's feedback stays train-only).
    """

    horizon: int = 5
    pool_size: int = 10
    rounds: int = 10
    time_per_round: float | None = 60.0
    evals_per_round: int | None = None
    diversity: float = 0.5
    min_abs_ic: float = 0.005
    max_corr: float = 0.7
    candidates_per_round: int = 10
    max_scanned_per_round: int = 40
    max_size: int = 10
    max_depth: int = 6
    date_stride: int = 2
    search_assets: int | None = 200
    operators: tuple[str, ...] = SEARCH_OPERATORS
    windows: tuple[int, ...] = SEARCH_WINDOWS
    valid_check: bool = True
    ic_blocks: int = 1

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.pool_size < 1 or self.horizon < 1 or self.ic_blocks < 1:
            raise ValueError("rounds, pool_size, horizon and ic_blocks must be >= 1")
        if self.candidates_per_round < 1 or self.max_scanned_per_round < self.candidates_per_round:
            raise ValueError(
                f"need 1 <= candidates_per_round <= max_scanned_per_round, got {self.candidates_per_round} "
                f"and {self.max_scanned_per_round}; raise max_scanned_per_round")
        if self.time_per_round is None and self.evals_per_round is None:
            raise ValueError("give time_per_round or evals_per_round (or both)")


@dataclass
class MiningResult:
    """The mined pool, its per-factor table and the run's bookkeeping."""

    pool: FactorPool
    table: Any  # pandas DataFrame: one row per member and one for the combined pool
    n_evals: int
    wall_time: float
    searcher: str
    config: MiningConfig
    rounds: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the table rows, the pool, evaluations and timing."""
        return {
            "searcher": self.searcher, "n_evals": self.n_evals, "wall_time": round(self.wall_time, 2),
            "stopped_by": self.stopped_by, "config": asdict(self.config),
            "factors": _records(self.table), "pool": self.pool.to_dict(), "rounds": self.rounds,
        }


def _records(table: Any) -> list[dict[str, Any]]:
    out = []
    for rec in table.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()})
    return out


class _MiningEvaluator(Evaluator):
    """The shared Evaluator plus two things mining needs: it remembers every scored
    formula (the best few become pool candidates, however small the searcher's front)
    and memoises losses by skeleton and coefficients (GP populations repeat formulas;
    a repeat costs no evaluation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scored: dict[bytes, tuple[float, Expr]] = {}

    def loss(self, expr: Expr) -> float:
        key = expr.skeleton + expr.coefs.tobytes()
        hit = self.scored.get(key)
        if hit is not None:
            self.cache_hits += 1
            return hit[0]
        value = super().loss(expr)
        self.scored[key] = (value, expr)
        return value

    def fit(self, expr: Expr) -> tuple[Expr, float]:
        fitted, value = super().fit(expr)
        self.scored.setdefault(fitted.skeleton + fitted.coefs.tobytes(), (value, fitted))
        return fitted, value

    def best(self) -> list[tuple[float, Expr]]:
        """Every distinct formula scored, best first."""
        return sorted((v for v in self.scored.values() if math.isfinite(v[0])), key=lambda v: v[0])


def _make_searcher(searcher: Any, llm: Mapping[str, Any] | None = None) -> Any:
    from srkit.search import make_searcher

    if llm is not None:
        if searcher != "llm":
            raise ValueError(f"llm settings need searcher='llm', got searcher={searcher!r}")
        return make_searcher("llm", llm=llm)
    if searcher in ("gp", "auto"):  # (on panels auto's one member is gp: its closed form, mcts and dsn need rows)
        return make_searcher("gp", **ALPHA_GP)
    if searcher in ("mcts", "dsn"):
        raise ValueError(
            f"the {searcher} searcher fits one target per row; factor mining scores panels (dates x assets): "
            "use searcher='gp' (or 'auto', the same here), 'llm' or 'random'"
        )
    if searcher == "random":
        from srkit.alpha.random_search import RandomSearcher

        return RandomSearcher()
    return make_searcher(searcher)


def mine(
    panel: Panel,
    split: Split,
    *,
    searcher: Any = "gp",
    config: MiningConfig | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    llm: Mapping[str, Any] | None = None,
) -> MiningResult:
    """Mine a pool of factors on the train period of ``panel``.

    ``llm``: settings of the llm searcher (with ``searcher="llm"``), as in
    ``{"base_url": "http://localhost:11434/v1", "model": "llama3.1"}``; without an
    endpoint the llm path proposes formulas with the local model of the ``llm`` extra
    when it is installed, else with the grammar-random proposer (``"proposer"`` chooses).

    Examples
    --------
    >>> from srkit.alpha.synthetic import synthetic_panel
    >>> panel = synthetic_panel(n_dates=160, n_assets=30, seed=0)
    >>> split = Split.by_fraction(panel)
    >>> cfg = MiningConfig(rounds=1, time_per_round=None, evals_per_round=300, search_assets=None)
    >>> res = mine(panel, split, config=cfg, random_state=0)
    >>> len(res.pool) >= 1 and res.n_evals >= 300
    True
    """
    cfg = config or MiningConfig()
    rng = as_generator(random_state)
    search = _make_searcher(searcher, llm)
    train_panel = panel.until(split.train_end)
    labels = split.labels(train_panel, "train", cfg.horizon)
    if not np.isfinite(labels).any():
        raise ValueError("no train labels: the train period must be longer than the horizon")
    assets = np.arange(len(panel.assets))
    if cfg.search_assets is not None and cfg.search_assets < len(assets):
        assets = np.sort(rng.choice(len(assets), size=cfg.search_assets, replace=False))
    # a group field (sector codes) means something only to the group operators
    uses_groups = any(op.startswith("group_") for op in cfg.operators)
    fields = [k for k, f in enumerate(panel.fields) if f != "group" or uses_groups]
    search_panel = Panel(train_panel.values[fields][:, :, assets], tuple(panel.fields[k] for k in fields),
                         train_panel.dates, train_panel.assets[assets])
    data = search_panel.dataset(labels[:, assets])
    opset = search_opset(search_panel.fields, cfg.operators, cfg.windows)
    pool = FactorPool(labels, capacity=cfg.pool_size, min_abs_ic=cfg.min_abs_ic, max_corr=cfg.max_corr)
    budget = Budget(time=cfg.time_per_round, evals=cfg.evals_per_round)
    selection_panel = panel.until(split.valid_end) if cfg.valid_check else train_panel
    valid_labels = split.labels(selection_panel, "valid", cfg.horizon) if cfg.valid_check else None
    train_rows = np.isfinite(labels).any(axis=1)

    def holds_up(values: Array) -> bool:
        """Same sign of rank IC on valid as on train (train-only when valid_check is off)."""
        if valid_labels is None:
            return True
        t = float(np.nanmean(daily_rank_ic(labels, values[: len(labels)])[train_rows]))
        v_ic = daily_rank_ic(valid_labels, values)
        v = float(np.nanmean(v_ic)) if np.isfinite(v_ic).any() else 0.0
        return bool(np.sign(t) == np.sign(v) and abs(v) >= cfg.min_abs_ic)

    start, n_evals, rounds, stopped_by = time.perf_counter(), 0, [], ""
    seeds: list[Any] = []  # each round starts from the pool's members (penalised, so it moves on)
    offered: set[str] = set()  # formulas already offered to the pool are not offered again
    try:
        for r in range(cfg.rounds):
            loss = RankICLoss(avoid=[v[:, assets] for v in pool.values], penalty=cfg.diversity,
                              stride=cfg.date_stride, blocks=cfg.ic_blocks)
            evaluator = _MiningEvaluator(data, loss, max_evals=cfg.evals_per_round)  # type: ignore[arg-type]
            problem = Problem(data, opset, evaluator, max_size=cfg.max_size,  # type: ignore[arg-type]
                              max_depth=cfg.max_depth, seeds=seeds)
            extra: dict[str, Any] = {}
            if isinstance(search, LLMSearcher):
                from srkit.alpha.llm import llm_round

                rnd = llm_round(search, problem, search_panel, labels[:, assets], [v[:, assets] for v in pool.values],
                                budget, rng.spawn(1)[0], windows=cfg.windows, stride=cfg.date_stride)
                round_evals, candidates, best_loss = rnd.n_evals, rnd.candidates, None
                interrupted = rnd.stopped_by == "interrupt"
                extra = {"proposer": rnd.proposer, "llm_calls": rnd.llm_calls, "best_reward": rnd.best_reward,
                         "trees": rnd.trees, "stopped_by": rnd.stopped_by}
            else:
                result = search.search(problem, budget=budget, rng=rng.spawn(1)[0])
                round_evals, interrupted = evaluator.n_evals, result.interrupted
                best_loss = result.front.min_loss if result.front else None
                candidates = [e.expr for e in result.front.entries() if math.isfinite(e.loss)]
                candidates += [expr for _, expr in evaluator.best()]
            n_evals += round_evals
            # GP's best formulas of a round are mostly variants of one idea, which pass or
            # fail validation together: offer distinct ones, distinct as the pool measures it,
            # from each other and from the members (whose near-copies the pool rejects anyway).
            this_round = FactorPool(labels, capacity=cfg.max_scanned_per_round + len(pool), min_abs_ic=0.0,
                                    max_corr=cfg.max_corr)
            for member, member_values in zip(pool.formulas, pool.values):
                this_round.add(member, member_values)
            admitted, failed_valid, skipped, scanned, n_offered = [], 0, 0, 0, 0
            for expr in candidates:
                text = str(expr)
                if text in offered:
                    continue
                if n_offered >= cfg.candidates_per_round or scanned >= cfg.max_scanned_per_round:
                    break
                offered.add(text)
                scanned += 1
                values = factor_values(expr, selection_panel)
                if not this_round.add(text, values[: len(labels)]):
                    skipped += 1  # a near-copy of a member or an earlier candidate (or no finite train IC)
                    continue
                n_offered += 1
                if not holds_up(values):
                    failed_valid += 1
                elif pool.add(text, values[: len(labels)]):
                    admitted.append(text)
            seeds = [parse_factor(f, opset) for f in pool.formulas]
            info = {"round": r + 1, "n_evals": round_evals, "best_loss": best_loss, "offered": n_offered,
                    "scanned": scanned, "skipped": skipped, "admitted": admitted, "failed_valid": failed_valid,
                    "pool_size": len(pool), "pool_train_ic": pool.train_ic,
                    "elapsed": round(time.perf_counter() - start, 2), **extra}
            rounds.append(info)
            logger.info("round %d: %s", r + 1, info)
            if progress is not None:
                progress(info)
            if interrupted:
                stopped_by = "interrupt"
                break
    except KeyboardInterrupt:
        stopped_by = "interrupt"
    table = period_table(panel, split, pool.formulas, cfg.horizon, weights=pool.weights)
    return MiningResult(pool, table, n_evals, time.perf_counter() - start,
                        getattr(search, "name", type(search).__name__), cfg, rounds, stopped_by)


def period_table(
    panel: Panel,
    split: Split,
    formulas: Sequence[str],
    horizon: int,
    *,
    weights: Sequence[float] | Array | None = None,
    combined_name: str = "POOL (combined)",
) -> Any:
    """One row per formula (and one for the weighted combination when ``weights``
    are given): IC, rank IC, rank IR, rank IC t-statistic
    and turnover on train, valid and test."""
    import pandas as pd

    from srkit.alpha.pool import combine

    labels = forward_returns(panel, horizon)
    masks = {p: panel.date_mask(*split.period(p)) for p in PERIODS}
    period_labels_ = {p: period_labels(labels, m, horizon) for p, m in masks.items()}
    rows = []
    values = [factor_values(f, panel) for f in formulas]
    items: list[tuple[str, Array, float]] = [
        (f, v, float(w)) for f, v, w in zip(formulas, values, weights if weights is not None else [math.nan] * len(formulas))
    ]
    if weights is not None and len(values):
        items.append((combined_name, combine(values, weights), math.nan))
    for name, v, w in items:
        row: dict[str, Any] = {"formula": name, "weight": w}
        for p in PERIODS:
            m = factor_metrics(v, period_labels_[p], masks[p], horizon)
            for k in ("ic", "rank_ic", "rank_ir", "rank_ic_t", "turnover"):
                row[f"{p}_{k}"] = m[k]
        rows.append(row)
    return pd.DataFrame(rows)
