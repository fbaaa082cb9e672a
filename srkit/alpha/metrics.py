"""Factor metrics: forward-return labels, date splits, IC family, turnover, pool correlation.

Definitions (one each):

- label at date t, horizon h: ``close[t+h] / close[t] - 1`` (trade at the close of t);
  a label inside a period [start, end] is kept only when t+h is inside it too, so
  train labels never peek into the validation period;
- IC / rank IC: mean over dates of the cross-sectional Pearson / Spearman
  correlation (:func:`srkit.fitness.losses.daily_ic`, ``daily_rank_ic``);
- ICIR / rank IR: mean / std of the daily series (not annualised);
- rank IC t: the mean daily rank IC over its Newey-West standard error with
  ``horizon - 1`` lags (``h``-day labels of consecutive dates overlap by ``h - 1``
  days, so the daily ICs are autocorrelated and the plain ``sqrt(n)`` overstates
  the evidence); ``|t| >= 2`` is the usual bar for a factor that is not noise;
- turnover: the factor becomes weights ``w = cs_demean(cs_rank(f))`` scaled to
  sum |w| = 1 per date; daily turnover is ``sum |w_t - w_{t-1}|`` in [0, 2]
  (0: the same ranking every day; 2: the ranking flips), averaged over dates;
- correlation of two factors: mean over dates of the cross-sectional rank
  correlation; ``max_corr`` is its largest absolute value against a pool.
"""

from __future__ import annotations

import warnings

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.panel import Panel
from srkit.fitness.losses import cs_rank, daily_ic, daily_rank_ic

__all__ = [
    "forward_returns", "period_labels", "Split", "factor_metrics", "turnover", "rank_weights",
    "factor_corr", "max_corr", "evaluate", "hac_t",
]

Array = NDArray[np.float64]


def forward_returns(panel: Panel, horizon: int = 5, price: str = "close") -> Array:
    """``price[t+horizon] / price[t] - 1`` per date and asset; nan for the last ``horizon`` dates.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> p = Panel(np.array([[[1.0], [2.0], [4.0]]]), ("close",), pd.date_range("2020-01-01", periods=3), pd.Index(["A"]))
    >>> forward_returns(p, 1).ravel().tolist()
    [1.0, 1.0, nan]
    """
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive number of days, got {horizon!r}")
    px = panel[price]
    out = np.full_like(px, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
        out[:-horizon] = px[horizon:] / px[:-horizon] - 1.0
    return np.where(np.isfinite(out), out, np.nan)


def period_labels(labels: Array, mask: NDArray[np.bool_], horizon: int) -> Array:
    """Labels of the dates in ``mask`` (a contiguous period) whose horizon ends inside it; nan elsewhere."""
    out = np.full_like(labels, np.nan)
    idx = np.flatnonzero(mask)
    if len(idx) > horizon:
        keep = idx[: len(idx) - horizon]
        out[keep] = labels[keep]
    return out


@dataclass(frozen=True)
class Split:
    """Train / valid / test periods by date (inclusive bounds; None is open).

    Examples
    --------
    >>> s = Split("2013-02-01", "2015-12-31", "2016-01-01", "2016-12-31", "2017-01-01", "2018-02-28")
    >>> s.period("valid")
    ('2016-01-01', '2016-12-31')
    """

    train_start: Any = None
    train_end: Any = None
    valid_start: Any = None
    valid_end: Any = None
    test_start: Any = None
    test_end: Any = None

    def period(self, name: str) -> tuple[Any, Any]:
        if name not in ("train", "valid", "test"):
            raise ValueError(f"period must be train, valid or test, got {name!r}")
        return getattr(self, f"{name}_start"), getattr(self, f"{name}_end")

    def labels(self, panel: Panel, name: str, horizon: int) -> Array:
        start, end = self.period(name)
        return period_labels(forward_returns(panel, horizon), panel.date_mask(start, end), horizon)

    @classmethod
    def by_fraction(cls, panel: Panel, train: float = 0.6, valid: float = 0.2) -> Split:
        """Consecutive periods holding these fractions of the dates (the rest is test)."""
        d = panel.dates
        i, j = int(len(d) * train), int(len(d) * (train + valid))
        if not 0 < i < j < len(d):
            raise ValueError("train and valid fractions must leave dates for all three periods")
        return cls(d[0], d[i - 1], d[i], d[j - 1], d[j], d[-1])


def rank_weights(values: Array) -> Array:
    """Dollar-neutral weights from a factor: demeaned cross-sectional ranks, sum |w| = 1 per date."""
    r = cs_rank(values)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
        w = r - np.nanmean(r, axis=1, keepdims=True)
        w = w / np.nansum(np.abs(w), axis=1, keepdims=True)
    return np.where(np.isfinite(w), w, 0.0)


def turnover(values: Array, mask: NDArray[np.bool_] | None = None) -> float:
    """Mean daily ``sum |w_t - w_{t-1}|`` of :func:`rank_weights` (in [0, 2]).

    >>> turnover(np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]]))
    1.0
    """
    w = rank_weights(values)
    daily = np.abs(np.diff(w, axis=0)).sum(axis=1)
    live = (np.abs(w[1:]).sum(axis=1) > 0) & (np.abs(w[:-1]).sum(axis=1) > 0)
    if mask is not None:
        live &= mask[1:]
    return float(daily[live].mean()) if live.any() else float("nan")


def _summary(series: Array) -> tuple[float, float, int]:
    s = series[np.isfinite(series)]
    if len(s) == 0:
        return float("nan"), float("nan"), 0
    sd = float(s.std(ddof=1)) if len(s) > 1 else float("nan")
    return float(s.mean()), float(s.mean() / sd) if sd and np.isfinite(sd) else float("nan"), len(s)


def hac_t(series: Array, lags: int) -> float:
    """t-statistic of the mean of a daily series with a Newey-West (Bartlett) standard
    error over ``lags`` lags; non-finite days are left out.  nan for fewer than 3 days.

    >>> round(hac_t(np.array([0.1, 0.3, 0.2, 0.4, 0.0]), 0), 4)  # lags=0: mean / (sd/sqrt(n)), sd with 1/n
    3.1623
    """
    s = np.asarray(series, dtype=np.float64)
    s = s[np.isfinite(s)]
    n = len(s)
    if n < 3:
        return float("nan")
    d = s - s.mean()
    var = float(d @ d) / n
    for k in range(1, min(int(lags), n - 1) + 1):
        var += 2.0 * (1.0 - k / (lags + 1.0)) * float(d[k:] @ d[:-k]) / n
    if var <= 0:
        return float("nan")
    return float(s.mean() / np.sqrt(var / n))


def factor_metrics(
    values: Array, labels: Array, mask: NDArray[np.bool_] | None = None, horizon: int = 1
) -> dict[str, float]:
    """IC, rank IC, ICIR, rank IR, rank IC t-statistic, turnover and the number of dates scored.

    ``labels`` are nan outside the period (see :func:`period_labels`); ``mask``
    restricts the turnover to the period's dates; ``horizon`` (of the labels) sets
    the Newey-West lags of ``rank_ic_t``.
    """
    ic, icir, n = _summary(daily_ic(labels, values))
    daily = daily_rank_ic(labels, values)
    ric, rir, _ = _summary(daily)
    if mask is None:
        mask = np.asarray(np.isfinite(labels).any(axis=1))
    return {"ic": ic, "rank_ic": ric, "icir": icir, "rank_ir": rir, "rank_ic_t": hac_t(daily, horizon - 1),
            "turnover": turnover(values, mask), "n_dates": n}


def factor_corr(a: Array, b: Array, mask: NDArray[np.bool_] | None = None) -> float:
    """Mean over dates of the cross-sectional rank correlation of two factors."""
    if mask is not None:
        a, b = a[mask], b[mask]
    c = daily_rank_ic(a, b)
    return float(np.nanmean(c)) if np.isfinite(c).any() else float("nan")


def max_corr(values: Array, pool: Sequence[Array], mask: NDArray[np.bool_] | None = None) -> float:
    """Largest |factor_corr| of ``values`` with the members of ``pool`` (0 for an empty pool)."""
    corrs = [abs(factor_corr(values, p, mask)) for p in pool]
    corrs = [c for c in corrs if np.isfinite(c)]
    return max(corrs) if corrs else 0.0


def evaluate(formula: Any, panel: Panel, horizon: int = 5, start: Any = None, end: Any = None) -> dict[str, Any]:
    """Metrics of one formula on the dates ``[start, end]`` with ``horizon``-day forward returns.

    Returns a dict with ``formula`` (canonical text), ``ic``, ``rank_ic``,
    ``icir``, ``rank_ir``, ``rank_ic_t``, ``turnover``, ``n_dates``, ``horizon``, ``start``, ``end``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> close = np.cumprod(1 + 0.01 * rng.standard_normal((60, 8)), axis=0)
    >>> p = Panel(close[None], ("close",), pd.bdate_range("2020-01-01", periods=60), pd.Index(list("ABCDEFGH")))
    >>> r = evaluate("ts_pct(close, 5)", p, horizon=5)
    >>> sorted(k for k in r if k in ("ic", "rank_ic", "rank_ir", "turnover"))
    ['ic', 'rank_ic', 'rank_ir', 'turnover']
    """
    from srkit.alpha.formula import factor_values, parse_factor

    expr = parse_factor(formula, panel.fields) if isinstance(formula, str) else formula
    values = factor_values(expr, panel)
    mask = panel.date_mask(start, end)
    labels = period_labels(forward_returns(panel, horizon), mask, horizon)
    out: dict[str, Any] = {"formula": str(expr)}
    out.update(factor_metrics(values, labels, mask, horizon))
    out.update(horizon=horizon, start=str(panel.dates[mask][0].date()) if mask.any() else None,
               end=str(panel.dates[mask][-1].date()) if mask.any() else None)
    return out
