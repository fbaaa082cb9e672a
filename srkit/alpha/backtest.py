"""Backtests of a factor: top-k/drop-n long-only and long-short quantile portfolios.

Protocol (one for both strategies): weights are decided from the factor at the
close of date t and earn the close-to-close return from t to t+1; transaction
costs are ``cost`` times the traded weight ``sum |w_t - w_{t-1}|``.

- ``"topk"`` (Qlib's TopkDropout): hold ``k`` assets with equal weights; each
  date sell the ``n_drop`` held assets ranked lowest among the held ones plus
  the best ``n_drop`` candidates, and buy the best candidates not held
  (assets without a score are sold).  Reported against the equal-weight
  universe (excess returns).
- ``"long_short"``: equal weights +1 on the top ``quantile`` and -1 on the
  bottom ``quantile`` of the cross-section (gross exposure 2), rebalanced daily.

Metrics: annualised return = mean daily return x 252; IR = mean / std x sqrt(252);
max drawdown of the compounded curve; turnover = mean daily traded weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.panel import Panel

__all__ = ["backtest", "BacktestResult", "performance"]

Array = NDArray[np.float64]
TRADING_DAYS = 252


def performance(returns: Array, traded: Array | None = None) -> dict[str, float]:
    """Annualised return and volatility, IR (the Sharpe ratio of these returns, with no
    risk-free rate: ``sharpe`` is the same number), max drawdown (and mean turnover) of daily returns.

    >>> performance(np.array([0.01, -0.01, 0.02]))["max_drawdown"]
    0.01
    """
    r = np.asarray(returns, dtype=np.float64)
    if len(r) == 0:
        return {"annual_return": float("nan"), "volatility": float("nan"), "ir": float("nan"), "sharpe": float("nan"),
                "max_drawdown": float("nan"), "n_days": 0}
    sd = r.std(ddof=1) if len(r) > 1 else float("nan")
    wealth = np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    ir = float(r.mean() / sd * np.sqrt(TRADING_DAYS)) if sd and np.isfinite(sd) else float("nan")
    out = {
        "annual_return": float(r.mean() * TRADING_DAYS),
        "volatility": float(sd * np.sqrt(TRADING_DAYS)) if np.isfinite(sd) else float("nan"),
        "ir": ir,
        "sharpe": ir,
        "max_drawdown": round(float(np.max(1.0 - wealth / peak)), 12),
        "n_days": int(len(r)),
    }
    if traded is not None:
        out["turnover"] = float(np.mean(traded))
    return out


@dataclass
class BacktestResult:
    """Daily series (DataFrame: net, gross, benchmark, turnover) and summary metrics."""

    daily: Any
    metrics: dict[str, float]
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)

    def plot(self, path: str | Path, title: str = "") -> Path:
        """Save the cumulative returns (net, gross, benchmark) as a PNG."""
        from srkit._optional import require

        require("matplotlib", "the backtest plot", "notebooks").use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4))
        for col in ("net", "gross", "benchmark"):
            if col in self.daily:
                ax.plot(self.daily.index, np.cumprod(1 + self.daily[col].to_numpy()) - 1, label=col)
        ax.set_ylabel("cumulative return")
        ax.set_title(title or f"{self.strategy} backtest")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        fig.tight_layout()
        out = Path(path)
        from srkit.io import atomic_open

        try:  # atomically: an earlier plot survives a failure mid-write
            with atomic_open(out, "wb") as fh:
                fig.savefig(fh, dpi=100, format=out.suffix.lstrip(".").lower() or "png")
        finally:
            plt.close(fig)
        return out


def _topk_weights(scores: Array, k: int, n_drop: int) -> Array:
    w = np.zeros_like(scores)
    held: list[int] = []
    for t in range(scores.shape[0]):
        s = scores[t]
        valid = np.isfinite(s)
        held = [a for a in held if valid[a]]  # no score: sold
        order = [int(a) for a in np.argsort(-np.where(valid, s, -np.inf)) if valid[a]]
        held_set = set(held)
        # Qlib's rule: rank the held assets with the best candidates; held ones in
        # the bottom n_drop are sold and replaced by the best candidates
        cand = [a for a in order if a not in held_set][: n_drop + k - len(held)]
        comb = sorted(held + cand, key=lambda a: -s[a])
        bottom = set(comb[len(comb) - n_drop:]) if n_drop else set()
        sell = [a for a in held if a in bottom]
        held = [a for a in held if a not in bottom] + cand[: len(sell) + k - len(held)]
        if held:
            w[t, held] = 1.0 / len(held)
    return w


def _long_short_weights(scores: Array, quantile: float) -> Array:
    from srkit.fitness.losses import cs_rank

    r = cs_rank(scores)
    n = np.isfinite(r).sum(axis=1, keepdims=True)
    long = r > 1.0 - quantile
    short = r <= quantile
    with np.errstate(all="ignore"):
        w = long / np.maximum(long.sum(axis=1, keepdims=True), 1) - short / np.maximum(short.sum(axis=1, keepdims=True), 1)
    w[(n < 2).ravel()] = 0.0
    return w  # type: ignore[no-any-return]


def backtest(
    scores: Any,
    panel: Panel,
    *,
    strategy: str = "long_short",
    k: int = 50,
    n_drop: int = 5,
    quantile: float = 0.2,
    cost: float = 0.0015,
    start: Any = None,
    end: Any = None,
) -> BacktestResult:
    """Backtest factor ``scores`` (array or DataFrame, dates x assets) on ``panel``'s closes.

    Examples
    --------
    >>> from srkit.alpha.synthetic import synthetic_panel
    >>> from srkit.alpha.formula import factor
    >>> p = synthetic_panel(n_dates=200, n_assets=40, reversal=0.3)
    >>> res = backtest(factor("-ts_pct(close, 5)", p), p, strategy="long_short", cost=0.0)
    >>> res.metrics["ir"] > 1
    True
    """
    if strategy not in ("topk", "long_short"):
        raise ValueError(f"strategy must be 'topk' or 'long_short', got {strategy!r}")
    s = np.asarray(getattr(scores, "values", scores), dtype=np.float64)
    if s.shape != panel.shape[1:]:
        raise ValueError(f"scores must have shape {panel.shape[1:]} (dates, assets), got {s.shape}")
    if not 0 < quantile <= 0.5 or k < 1 or n_drop < 0 or cost < 0:
        raise ValueError("need 0 < quantile <= 0.5, k >= 1, n_drop >= 0 and cost >= 0")
    mask = panel.date_mask(start, end)
    close = panel["close"]
    with np.errstate(all="ignore"):
        nxt = np.full_like(close, np.nan)
        nxt[:-1] = close[1:] / close[:-1] - 1.0  # return earned from t to t+1
    idx = np.flatnonzero(mask[:-1] if len(mask) else mask)  # the last date has no next return
    s, nxt = s[idx], nxt[idx]
    s = np.where(np.isfinite(s) & np.isfinite(nxt), s, np.nan)
    w = _topk_weights(s, k, n_drop) if strategy == "topk" else _long_short_weights(s, quantile)
    r = np.where(np.isfinite(nxt), nxt, 0.0)
    gross = (w * r).sum(axis=1)
    traded = np.abs(np.diff(np.vstack([np.zeros((1, w.shape[1])), w]), axis=0)).sum(axis=1)
    net = gross - cost * traded
    import pandas as pd

    daily = pd.DataFrame({"gross": gross, "net": net, "turnover": traded}, index=panel.dates[idx])
    if strategy == "topk":
        bench = np.nanmean(np.where(np.isfinite(nxt), nxt, np.nan), axis=1)
        daily["benchmark"] = bench
        metrics = performance(net - bench, traded)
        metrics["gross_ir"] = performance(gross - bench)["ir"]
    else:
        metrics = performance(net, traded)
        metrics["gross_ir"] = performance(gross)["ir"]
    return BacktestResult(daily, metrics, strategy,
                          {"k": k, "n_drop": n_drop, "quantile": quantile, "cost": cost})
