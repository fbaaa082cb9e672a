"""A synthetic price panel with a planted signal, for examples, tests and the notebook.

Returns follow a one-factor market model plus noise, and a known share of
each asset's next-5-day return is predictable from its own 5-day reversal
(``-ts_pct(close, 5)``), so a miner has something real to find without data files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from srkit.alpha.panel import Panel

__all__ = ["synthetic_panel", "write_price_folder"]


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


def write_price_folder(panel: Panel, folder: str | Path, *, late: Mapping[int, int] | None = None) -> Path:
    """Write ``panel`` as a folder of per-asset CSVs (date, open, high, low, close, volume),
    the layout ``load_panel`` and ``srkit alpha`` read; ``late`` maps an asset's index to
    the number of first dates it is missing (a late listing).  Returns the folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = write_price_folder(synthetic_panel(n_dates=20, n_assets=3), tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['S000.csv', 'S001.csv', 'S002.csv']
    """
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    late = late or {}
    fields = [f for f in panel.fields if f != "vwap"]  # the loader derives its proxy
    for j, asset in enumerate(panel.assets):
        df = pd.DataFrame({f: panel.values[panel.fields.index(f)][:, j] for f in fields}, index=panel.dates)
        df.index.name = "date"
        df.iloc[late.get(j, 0):].to_csv(folder / f"{asset}.csv")
    return folder
