"""A synthetic price panel with a planted signal, for examples, tests and the notebook.

Returns follow a one-factor market model plus noise, and a known share of
each asset's next-5-day return is predictable from its own 5-day reversal
(``-ts_pct(close, 5)``), so a miner has something real to find without data files.
"""

from __future__ import annotations

import numpy as np

from srkit.alpha.panel import Panel

__all__ = ["synthetic_panel"]


def synthetic_panel(n_dates: int = 400, n_assets: int = 50, *, seed: int = 0,
                    reversal: float = 0.08, start: str = "2015-01-01") -> Panel:
    """OHLCV panel on business days; ``reversal`` sets the strength of the planted signal.

    Examples
    --------
    >>> p = synthetic_panel(n_dates=30, n_assets=4)
    >>> p.fields, p.shape
    (('open', 'high', 'low', 'close', 'volume', 'vwap'), (6, 30, 4))
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    market = 0.01 * rng.standard_normal(n_dates)
    beta = rng.uniform(0.5, 1.5, n_assets)
    ret = market[:, None] * beta[None, :] + 0.015 * rng.standard_normal((n_dates, n_assets))
    # planted mean reversion: today's return leans against the last 5 days' move
    for t in range(6, n_dates):
        ret[t] -= reversal / 5 * ret[t - 6 : t - 1].sum(axis=0)
    close = 50 * np.exp(np.cumsum(ret, axis=0))
    gap = 0.003 * rng.standard_normal((n_dates, n_assets))
    open_ = close * np.exp(-ret / 2 + gap)
    spread = np.abs(0.01 * rng.standard_normal((n_dates, n_assets)))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = np.exp(13 + 0.3 * rng.standard_normal((n_dates, n_assets)) + 5 * np.abs(ret))
    vwap = (high + low + close) / 3
    values = np.stack([open_, high, low, close, volume, vwap])
    dates = pd.bdate_range(start, periods=n_dates)
    assets = pd.Index([f"S{j:03d}" for j in range(n_assets)])
    return Panel(values, ("open", "high", "low", "close", "volume", "vwap"), dates, assets,
                 {"source": f"synthetic_panel(seed={seed})", "vwap": "typical price"})
