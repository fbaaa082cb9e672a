"""Walk-forward mining: rolling (or expanding) train / valid / test folds, each test
window scored once.

One train/valid/test split invites choosing settings by looking at its test window
until something holds up there.  Walk-forward mining makes every choice of a fold (the
formulas, the pool, its weights, the admission checks) on that fold's train and valid
dates only: the miner is handed the panel cut at the fold's validation end, so later
prices do not exist for it.  Then the pool's combined factor is scored once on the
fold's test window (rank IC, a long-short or top-k backtest with costs, turnover), and
the folds are pooled: a t-statistic across folds (is the mean fold IC above zero?)
and one across days (Newey-West on the concatenated daily rank ICs).

Examples
--------
>>> from srkit.alpha.synthetic import synthetic_panel
>>> panel = synthetic_panel(n_dates=320, n_assets=30, seed=0, reversal=0.3)
>>> folds = make_folds(panel.dates, train_days=120, valid_days=40, test_days=40)
>>> len(folds), str(folds[0].test_start.date()), str(folds[1].test_start.date())
(4, '2015-08-13', '2015-10-08')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.backtest import backtest
from srkit.alpha.formula import factor_values, parse_factor
from srkit.alpha.metrics import Split, daily_rank_ic, forward_returns, hac_t, period_labels, turnover
from srkit.alpha.mine import MiningConfig, mine
from srkit.alpha.panel import Panel
from srkit.alpha.pool import combine
from srkit.core.rng import as_generator

__all__ = ["FoldResult", "WalkForwardResult", "make_folds", "score_test", "walk_forward"]

Array = NDArray[np.float64]


def make_folds(dates: Any, *, train_days: int, valid_days: int, test_days: int, step_days: int | None = None,
               expanding: bool = False) -> list[Split]:
    """Consecutive folds over ``dates`` (a trading calendar): ``train_days`` of train
    (all dates since the start with ``expanding``), then ``valid_days`` of validation,
    then ``test_days`` of test; the next fold starts ``step_days`` later (default
    ``test_days``, so test windows tile the calendar without overlap).  Folds whose test
    window would run past the data are left out."""
    for name, v in (("train_days", train_days), ("valid_days", valid_days), ("test_days", test_days)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive number of trading days, got {v!r}")
    step = test_days if step_days is None else step_days
    if step < 1:
        raise ValueError(f"step_days must be >= 1, got {step}")
    n = len(dates)
    folds, k = [], 0
    while True:
        t0 = 0 if expanding else k * step
        t1 = train_days + k * step  # first valid date
        v1, e1 = t1 + valid_days, t1 + valid_days + test_days
        if e1 > n:
            break
        folds.append(Split(dates[t0], dates[t1 - 1], dates[t1], dates[v1 - 1], dates[v1], dates[e1 - 1]))
        k += 1
    if not folds:
        raise ValueError(
            f"{n} dates are too few for one fold of {train_days} train + {valid_days} valid + {test_days} test days; "
            "shorten the windows"
        )
    return folds


@dataclass
class FoldResult:
    """One fold: what was chosen on train and valid, and its one score on test."""

    split: Split
    formulas: list[str]
    weights: list[float]
    test: dict[str, float]
    daily_rank_ic: Any  # pandas Series over the test dates
    n_evals: int = 0
    wall_time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        s = {k: (str(v.date()) if hasattr(v, "date") else v) for k, v in asdict(self.split).items()}
        return {"split": s, "formulas": self.formulas, "weights": self.weights, "test": self.test,
                "n_evals": self.n_evals, "wall_time": round(self.wall_time, 2)}


@dataclass
class WalkForwardResult:
    """Every fold and the pooled test statistics (see :func:`walk_forward`)."""

    folds: list[FoldResult]
    pooled: dict[str, float] = field(default_factory=dict)
    searcher: str = ""

    def table(self) -> Any:
        """One row per fold (dates, pool size, test rank IC and its t, net return, Sharpe,
        turnover) and a pooled row: a pandas DataFrame."""
        import pandas as pd

        rows = [{"fold": i + 1, "test_start": str(f.split.test_start.date()), "test_end": str(f.split.test_end.date()),
                 "factors": len(f.formulas), **f.test} for i, f in enumerate(self.folds)]
        rows.append({"fold": "pooled", **self.pooled})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"searcher": self.searcher, "pooled": self.pooled, "folds": [f.to_dict() for f in self.folds]}


def score_test(values: Array, panel: Panel, split: Split, *, horizon: int = 5, strategy: str = "long_short",
               cost_bps: float = 5.0, quantile: float = 0.2, k: int = 50, n_drop: int = 5) -> tuple[dict[str, float], Any]:
    """A factor's score on ``split``'s test window: rank IC (mean, Newey-West t), the
    backtest's net annual return, Sharpe and volatility after ``cost_bps`` per unit
    traded, and turnover; plus the daily rank IC series.  ``panel`` must end at the test
    window's end (what the fold may know when its test is over)."""
    import pandas as pd

    mask = panel.date_mask(split.test_start, split.test_end)
    labels = period_labels(forward_returns(panel, horizon), mask, horizon)
    daily = daily_rank_ic(labels, values)
    scored = np.isfinite(daily)
    bt = backtest(values, panel, strategy=strategy, cost=cost_bps / 1e4, quantile=quantile, k=k, n_drop=n_drop,
                  start=split.test_start, end=split.test_end)
    out = {
        "rank_ic": float(np.mean(daily[scored])) if scored.any() else math.nan,
        "rank_ic_t": hac_t(daily, horizon - 1),
        "n_dates": int(scored.sum()),
        "net_return": bt.metrics["annual_return"],
        "sharpe": bt.metrics["ir"],
        "volatility": bt.metrics["volatility"],
        "max_drawdown": bt.metrics["max_drawdown"],
        "turnover": bt.metrics.get("turnover", turnover(values, mask)),
    }
    return out, pd.Series(daily[scored], index=panel.dates[scored])


def walk_forward(
    panel: Panel,
    *,
    train_days: int = 504,
    valid_days: int = 126,
    test_days: int = 126,
    step_days: int | None = None,
    expanding: bool = False,
    searcher: Any = "gp",
    config: MiningConfig | None = None,
    random_state: int | np.random.Generator | None = None,
    strategy: str = "long_short",
    cost_bps: float = 5.0,
    quantile: float = 0.2,
    progress: Callable[[dict[str, Any]], None] | None = None,
    llm: Any = None,
) -> WalkForwardResult:
    """Mine each fold on its train and valid dates, score its pool once on its test window.

    The miner of fold ``k`` sees ``panel.until(valid_end_k)`` and nothing later; the pool's
    combined factor is then computed on ``panel.until(test_end_k)`` (factors use past
    data only) and scored by :func:`score_test`.  ``pooled`` holds the mean test rank IC
    over folds with its t across folds (``rank_ic_t_folds``), the rank IC over all test
    days with its Newey-West t (``rank_ic_t_days``), the mean net return and Sharpe, the
    share of folds with a positive net return, and the mean turnover.  Each fold gets its
    own random stream, so folds do not depend on each other.
    """
    cfg = config or MiningConfig()
    folds = make_folds(panel.dates, train_days=train_days, valid_days=valid_days, test_days=test_days,
                       step_days=step_days, expanding=expanding)
    streams = as_generator(random_state).spawn(len(folds))
    results: list[FoldResult] = []
    name = searcher if isinstance(searcher, str) else getattr(searcher, "name", type(searcher).__name__)
    for i, (split, rng) in enumerate(zip(folds, streams)):
        seen = panel.until(split.valid_end)  # all the miner may know
        mined = mine(seen, split, searcher=searcher, config=cfg, random_state=rng, llm=llm)
        formulas, weights = list(mined.pool.formulas), [float(w) for w in mined.pool.weights]
        known = panel.until(split.test_end)
        if formulas:
            values = combine([factor_values(parse_factor(f, known.fields), known) for f in formulas], weights)
            test, daily = score_test(values, known, split, horizon=cfg.horizon, strategy=strategy,
                                     cost_bps=cost_bps, quantile=quantile)
        else:  # an empty pool holds no position: nothing to score
            import pandas as pd

            test, daily = {"rank_ic": math.nan, "n_dates": 0}, pd.Series(dtype=float)
        fold = FoldResult(split, formulas, weights, test, daily, mined.n_evals, mined.wall_time)
        results.append(fold)
        if progress is not None:
            progress({"fold": i + 1, "of": len(folds), **fold.to_dict()})
        if mined.stopped_by == "interrupt":
            break
    return WalkForwardResult(results, pool_folds(results, cfg.horizon), name)


def pool_folds(folds: Sequence[FoldResult], horizon: int) -> dict[str, float]:
    """The folds' test scores pooled (see :func:`walk_forward`).

    >>> import pandas as pd
    >>> f = [FoldResult(Split(), [], [], {"rank_ic": ic, "net_return": r, "sharpe": 1.0, "turnover": 0.5},
    ...                 pd.Series([ic, ic])) for ic, r in ((0.02, 0.1), (0.04, -0.1))]
    >>> p = pool_folds(f, horizon=1)
    >>> p["rank_ic"], round(p["rank_ic_t_folds"], 6), p["positive_folds"]
    (0.03, 3.0, 0.5)
    """
    scored = [f for f in folds if np.isfinite(f.test.get("rank_ic", math.nan))]
    ics = np.array([f.test["rank_ic"] for f in scored])
    out: dict[str, float] = {"folds": len(folds), "scored_folds": len(scored)}
    out["rank_ic"] = float(ics.mean()) if len(ics) else math.nan
    out["rank_ic_t_folds"] = (float(ics.mean() / (ics.std(ddof=1) / math.sqrt(len(ics))))
                              if len(ics) > 1 and ics.std(ddof=1) > 0 else math.nan)
    days = np.concatenate([f.daily_rank_ic.to_numpy() for f in scored]) if scored else np.zeros(0)
    out["rank_ic_days"] = float(days.mean()) if len(days) else math.nan
    out["rank_ic_t_days"] = hac_t(days, horizon - 1) if len(days) > 2 else math.nan
    for key in ("net_return", "sharpe", "turnover"):
        vals = [f.test[key] for f in scored if np.isfinite(f.test.get(key, math.nan))]
        out[key] = float(np.mean(vals)) if vals else math.nan
    rets = [f.test.get("net_return", math.nan) for f in scored]
    out["positive_folds"] = float(np.mean([r > 0 for r in rets])) if rets else math.nan
    return out
