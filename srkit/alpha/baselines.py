"""Hand-written classic factors in srkit's DSL: the baseline a mined pool is compared with.

Sources: Qlib Alpha158 (K-bar shapes, ROC, MA, STD, BETA, RSQR, RESI, RSV,
IMAX, CORR, VSTD), the 101 Formulaic Alphas (Kakushadze 2016; numbers as in
the paper, with ``vwap`` the loader's typical-price proxy on data without one)
and textbook reversal / momentum / low-volatility / volume factors.  Signs
are the published ones; a train-signed composite flips them by train IC.
"""

from __future__ import annotations

__all__ = ["BASELINE_FACTORS", "baselines_for"]

#: name -> formula
BASELINE_FACTORS: dict[str, str] = {
    "reversal_5": "-ts_pct(close, 5)",
    "momentum_20": "ts_pct(close, 20)",
    "momentum_60_skip_5": "ts_delay(close, 5) / ts_delay(close, 60) - 1",
    "low_volatility_20": "-ts_std(ts_pct(close, 1), 20)",
    "ma_ratio_20": "close / ts_mean(close, 20)",
    "volume_ratio_20": "volume / ts_mean(volume, 20)",
    "volume_std_20": "ts_std(volume, 20) / (volume + 1e-12)",
    "kmid": "(close - open) / open",
    "klen": "(high - low) / open",
    "kup": "(high - greater(open, close)) / open",
    "klow": "(less(open, close) - low) / open",
    "ksft": "(2 * close - high - low) / open",
    "rsv_20": "(close - ts_min(low, 20)) / (ts_max(high, 20) - ts_min(low, 20) + 1e-12)",
    "beta_20": "ts_slope(close, 20) / close",
    "rsqr_20": "ts_rsquare(close, 20)",
    "resi_20": "ts_resi(close, 20) / close",
    "imax_20": "ts_argmax(high, 20) / 20",
    "corr_close_logvol_20": "ts_corr(close, log(volume + 1), 20)",
    "alpha101_2": "-ts_corr(cs_rank(ts_delta(log(volume), 2)), cs_rank((close - open) / open), 6)",
    "alpha101_3": "-ts_corr(cs_rank(open), cs_rank(volume), 10)",
    "alpha101_4": "-ts_rank(cs_rank(low), 9)",
    "alpha101_6": "-ts_corr(open, volume, 10)",
    "alpha101_12": "sign(ts_delta(volume, 1)) * -ts_delta(close, 1)",
    "alpha101_33": "cs_rank(-(1 - open / close))",
    "alpha101_41": "(high * low) ** 0.5 - vwap",
    "alpha101_53": "-ts_delta(((close - low) - (high - close)) / (close - low), 9)",
    "alpha101_54": "-((low - close) * open ** 5) / ((low - high) * close ** 5)",
    "alpha101_101": "(close - open) / (high - low + 0.001)",
}


def baselines_for(fields: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The classic factors that a panel with these fields can compute (close-only data
    keeps the reversal, momentum, volatility and trend ones).

    >>> sorted(baselines_for(["close"]))[:3]
    ['beta_20', 'low_volatility_20', 'ma_ratio_20']
    >>> len(baselines_for(["open", "high", "low", "close", "volume", "vwap"])) == len(BASELINE_FACTORS)
    True
    """
    import re

    have = set(fields)
    words = re.compile(r"\b(open|high|low|close|volume|vwap)\b(?!\s*\()")
    return {name: text for name, text in BASELINE_FACTORS.items() if set(words.findall(text)) <= have}
