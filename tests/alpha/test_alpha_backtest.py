"""Backtests: portfolio rules, costs, metrics and the plot."""

import numpy as np
import pandas as pd
import pytest

from srkit.alpha import Panel, factor
from srkit.alpha.backtest import _topk_weights, backtest, performance
from srkit.alpha.synthetic import synthetic_panel


def test_performance_exact():
    m = performance(np.array([0.1, -0.5, 0.2]), np.array([1.0, 0.0, 0.5]))
    assert m["annual_return"] == pytest.approx(np.mean([0.1, -0.5, 0.2]) * 252)
    assert m["max_drawdown"] == pytest.approx(0.5)  # 1.1 -> 0.55
    assert m["turnover"] == pytest.approx(0.5)


def test_topk_dropout_replaces_at_most_n_drop_per_day():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((30, 20))
    w = _topk_weights(scores, k=5, n_drop=2)
    assert ((w > 0).sum(axis=1) == 5).all()
    changes = (np.diff((w > 0).astype(int), axis=0) == 1).sum(axis=1)
    assert changes.max() <= 2 and changes.sum() > 0
    assert (w[0] > 0).tolist() == (scores[0] >= np.sort(scores[0])[-5]).tolist()


def test_perfect_foresight_long_short_wins_and_costs_bite():
    p = synthetic_panel(n_dates=80, n_assets=20)
    close = p["close"]
    nxt = np.full_like(close, np.nan)
    nxt[:-1] = close[1:] / close[:-1] - 1
    good = backtest(nxt, p, strategy="long_short", cost=0.0)
    assert good.metrics["ir"] > 10 and good.metrics["max_drawdown"] == 0.0
    costly = backtest(nxt, p, strategy="long_short", cost=0.01)
    assert costly.metrics["annual_return"] == pytest.approx(
        good.metrics["annual_return"] - 0.01 * 252 * costly.metrics["turnover"])
    bad = backtest(-nxt, p, strategy="topk", k=5, n_drop=5, cost=0.0)
    assert bad.metrics["ir"] < 0


def test_planted_signal_topk_and_plot(tmp_path):
    p = synthetic_panel(n_dates=250, n_assets=40, reversal=0.3)
    res = backtest(factor("-ts_pct(close, 5)", p), p, strategy="topk", k=8, n_drop=2, cost=0.0)
    assert res.metrics["ir"] > 0.5 and "benchmark" in res.daily
    png = res.plot(tmp_path / "curve.png")
    assert png.stat().st_size > 1000


def test_bad_arguments():
    p = synthetic_panel(n_dates=20, n_assets=4)
    with pytest.raises(ValueError, match="strategy"):
        backtest(p["close"], p, strategy="short_only")
    with pytest.raises(ValueError, match="shape"):
        backtest(np.zeros((3, 3)), p)
