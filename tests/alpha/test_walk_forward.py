"""Walk-forward mining: folds, one test score per fold, no leakage from after a fold's
validation end, and a backtest checked by hand (issue 29)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from srkit.alpha import Panel
from srkit.alpha.backtest import backtest
from srkit.alpha.mine import MiningConfig
from srkit.alpha.synthetic import synthetic_panel
from srkit.alpha.walk_forward import make_folds, walk_forward

CFG = MiningConfig(rounds=1, time_per_round=None, evals_per_round=300, search_assets=None, pool_size=3)


def test_rolling_and_expanding_folds() -> None:
    dates = pd.bdate_range("2020-01-01", periods=100)
    folds = make_folds(dates, train_days=40, valid_days=10, test_days=20)
    assert len(folds) == 2  # a third would need dates up to index 109
    f0, f1 = folds
    assert (f0.train_start, f0.train_end, f0.valid_start, f0.valid_end, f0.test_start, f0.test_end) == (
        dates[0], dates[39], dates[40], dates[49], dates[50], dates[69])
    assert (f1.train_start, f1.test_start, f1.test_end) == (dates[20], dates[70], dates[89])  # test windows tile
    grown = make_folds(dates, train_days=40, valid_days=10, test_days=20, expanding=True)
    assert grown[1].train_start == dates[0] and grown[1].train_end == dates[59]
    with pytest.raises(ValueError, match="100 dates are too few for one fold"):
        make_folds(dates, train_days=80, valid_days=10, test_days=20)
    with pytest.raises(ValueError, match="test_days must be a positive number"):
        make_folds(dates, train_days=80, valid_days=10, test_days=0)


def test_each_fold_is_mined_and_scored_once_and_pooled() -> None:
    panel = synthetic_panel(n_dates=300, n_assets=30, seed=1, reversal=0.3)
    res = walk_forward(panel, train_days=120, valid_days=40, test_days=40, config=CFG, random_state=0)
    assert len(res.folds) == 3
    for f in res.folds:
        assert f.formulas and f.test["n_dates"] == 40 - CFG.horizon  # labels that end inside the window
        assert set(f.test) >= {"rank_ic", "rank_ic_t", "net_return", "sharpe", "volatility", "turnover"}
        assert f.daily_rank_ic.index.min() >= f.split.test_start and f.daily_rank_ic.index.max() <= f.split.test_end
    p = res.pooled
    assert p["folds"] == 3 and p["rank_ic"] == pytest.approx(np.mean([f.test["rank_ic"] for f in res.folds]))
    assert np.isfinite(p["rank_ic_t_folds"]) and np.isfinite(p["rank_ic_t_days"])
    table = res.table()
    assert list(table["fold"]) == [1, 2, 3, "pooled"]
    # the synthetic panel has a reversal effect: the mined pools find it out of sample
    assert p["rank_ic"] > 0


def test_data_after_a_folds_validation_end_changes_nothing_chosen_in_it() -> None:
    panel = synthetic_panel(n_dates=260, n_assets=25, seed=2, reversal=0.3)
    kw = dict(train_days=120, valid_days=40, test_days=40, config=CFG, random_state=7)
    base = walk_forward(panel, **kw)
    cut = base.folds[0].split.valid_end
    later = np.asarray(panel.dates > cut)
    values = panel.values.copy()
    values[:, later] *= np.random.default_rng(0).uniform(0.5, 1.5, values[:, later].shape)
    perturbed = Panel(values, panel.fields, panel.dates, panel.assets)
    other = walk_forward(perturbed, **kw)
    assert other.folds[0].formulas == base.folds[0].formulas
    assert other.folds[0].weights == base.folds[0].weights
    assert other.folds[0].test != base.folds[0].test  # its test window did change


def test_backtest_against_a_hand_computed_two_asset_five_day_case() -> None:
    dates = pd.bdate_range("2021-03-01", periods=5)
    close = np.array([[10, 10], [11, 10], [11, 11], [12.1, 11], [12.1, 10]], dtype=float)  # A, B
    panel = Panel(close[None], ("close",), dates, pd.Index(["A", "B"]))
    scores = np.array([[2, 1], [2, 1], [1, 2], [1, 2], [1, 2]], dtype=float)  # long A twice, then long B
    res = backtest(scores, panel, strategy="long_short", quantile=0.5, cost=0.001)  # 10 bps per unit traded
    # returns t -> t+1: A 0.1, 0, 0.1, 0; B 0, 0.1, 0, -1/11. Weights +-1: gross 0.1, -0.1, -0.1, -1/11
    # traded: 2 (open both legs), 0, 4 (flip both), 0 -> costs 0.002, 0, 0.004, 0
    net = [0.098, -0.1, -0.104, -1 / 11]
    np.testing.assert_allclose(res.daily["net"].to_numpy(), net, rtol=1e-12)
    np.testing.assert_allclose(res.daily["turnover"].to_numpy(), [2, 0, 4, 0])
    assert res.metrics["annual_return"] == pytest.approx(np.mean(net) * 252)
    assert res.metrics["turnover"] == pytest.approx(1.5)
    wealth = np.cumprod(1 + np.array(net))
    assert res.metrics["max_drawdown"] == pytest.approx(1 - wealth[-1] / 1.098)
    assert res.metrics["ir"] == pytest.approx(np.mean(net) / np.std(net, ddof=1) * np.sqrt(252))


def test_cli_walk_forward(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from srkit.cli import main

    panel = synthetic_panel(n_dates=260, n_assets=20, seed=4, reversal=0.3)
    folder = tmp_path / "prices"
    folder.mkdir()
    for j, a in enumerate(panel.assets):  # close-only per-asset files
        rows = [f"{d.date()},{panel['close'][t, j]:.6f}" for t, d in enumerate(panel.dates)]
        (folder / f"{a}.csv").write_text("date,close\n" + "\n".join(rows) + "\n")
    out = tmp_path / "wf.json"
    assert main(["alpha", "mine", str(folder), "--walk-forward", "--train-days", "120", "--valid-days", "40",
                 "--test-days", "40", "--rounds", "1", "--evals-per-round", "200", "--search-assets", "0",
                 "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "fold 1/2: test" in err and "pooled" in err and "no open, high, low, volume" in err
    res = json.loads(out.read_text())
    assert len(res["folds"]) == 2 and {"rank_ic", "rank_ic_t_folds", "rank_ic_t_days", "positive_folds"} <= set(
        res["pooled"])
    assert main(["alpha", "mine", str(folder), "--walk-forward", "--train", "2015-01-01:2015-06-01"]) == 2
    assert "--walk-forward makes its own periods" in capsys.readouterr().err


def test_backtest_volatility_sharpe_and_bps_costs_from_the_cli(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from srkit.alpha.backtest import performance
    from srkit.cli import main

    m = performance(np.array([0.01, -0.02, 0.03]))
    assert m["volatility"] == pytest.approx(np.std([0.01, -0.02, 0.03], ddof=1) * np.sqrt(252))
    assert m["sharpe"] == m["ir"] == pytest.approx(np.mean([0.01, -0.02, 0.03]) / np.std([0.01, -0.02, 0.03], ddof=1)
                                                   * np.sqrt(252))
    panel = synthetic_panel(n_dates=80, n_assets=10, seed=0)
    folder = tmp_path / "p"
    folder.mkdir()
    for j, a in enumerate(panel.assets):
        rows = [f"{d.date()},{panel['close'][t, j]:.6f}" for t, d in enumerate(panel.dates)]
        (folder / f"{a}.csv").write_text("date,close\n" + "\n".join(rows) + "\n")
    out_bps, out_frac = tmp_path / "a.json", tmp_path / "b.json"
    args = ["alpha", "backtest", str(folder), "--formula", "-ts_pct(close, 5)", "--quantile", "0.3"]
    assert main([*args, "--cost-bps", "5", "--json", str(out_bps)]) == 0
    assert main([*args, "--cost", "0.0005", "--json", str(out_frac)]) == 0
    a, b = json.loads(out_bps.read_text()), json.loads(out_frac.read_text())
    assert a == b and a["cost"] == 0.0005 and {"volatility", "sharpe"} <= set(a)
    assert main([*args, "--cost", "0.001", "--cost-bps", "5"]) == 2
    assert "not both" in capsys.readouterr().err
