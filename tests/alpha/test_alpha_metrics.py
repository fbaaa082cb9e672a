"""Labels, splits, the IC family, turnover and the evaluate() contract."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr, spearmanr

from srkit.alpha import Panel, Split, evaluate, forward_returns
from srkit.alpha.metrics import factor_corr, hac_t, max_corr, period_labels, turnover
from srkit.alpha.synthetic import synthetic_panel
from srkit.fitness.losses import RankICLoss, daily_ic, daily_rank_ic


def test_forward_returns_and_period_labels_do_not_cross_the_period_end():
    close = np.array([[1.0], [2.0], [4.0], [8.0], [8.0]])
    p = Panel(close[None], ("close",), pd.bdate_range("2020-01-06", periods=5), pd.Index(["A"]))
    y = forward_returns(p, 2)
    assert y.ravel()[:3].tolist() == [3.0, 3.0, 1.0] and np.isnan(y.ravel()[3:]).all()
    mask = p.date_mask(None, p.dates[3])  # period = first 4 dates
    lab = period_labels(y, mask, 2)
    assert lab.ravel()[:2].tolist() == [3.0, 3.0] and np.isnan(lab.ravel()[2:]).all()


def test_daily_ic_matches_scipy_with_gaps():
    rng = np.random.default_rng(0)
    f, y = rng.standard_normal((3, 30)), rng.standard_normal((3, 30))
    f[0, :4] = np.nan
    y[1, 10] = np.nan
    for t in range(3):
        ok = np.isfinite(f[t]) & np.isfinite(y[t])
        assert daily_ic(y, f)[t] == pytest.approx(pearsonr(f[t, ok], y[t, ok])[0])
        assert daily_rank_ic(y, f)[t] == pytest.approx(spearmanr(f[t, ok], y[t, ok])[0])


def test_rank_ic_loss_with_gaps_on_both_sides_matches_scipy_call_after_call():
    """The loss ranks the labels once and reuses them: every call must still rank each
    date over the assets where both the labels and *this* factor are finite."""
    rng = np.random.default_rng(5)
    y = rng.standard_normal((12, 25))
    y[rng.random(y.shape) < 0.1] = np.nan
    loss = RankICLoss()
    for seed in range(3):
        f = y + rng.standard_normal(y.shape)
        f[rng.random(f.shape) < 0.1 * seed] = np.nan
        ics = []
        for t in range(len(y)):
            ok = np.isfinite(f[t]) & np.isfinite(y[t])
            ics.append(spearmanr(f[t, ok], y[t, ok])[0])
        assert loss(y, f) == pytest.approx(1 - abs(np.mean(ics)), abs=1e-12)


def test_turnover_definition():
    static = np.tile(np.arange(5.0), (4, 1))
    assert turnover(static) == 0.0
    flip = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]])
    assert turnover(flip) == pytest.approx(2.0)  # w goes from (-.5, .5) to (.5, -.5)


def test_factor_corr_and_max_corr():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20, 15))
    assert factor_corr(a, a) == pytest.approx(1.0)
    assert factor_corr(a, -a) == pytest.approx(-1.0)
    assert max_corr(a, [rng.standard_normal(a.shape), -a]) == pytest.approx(1.0)
    assert max_corr(a, []) == 0.0


def test_rank_ic_loss_penalises_low_coverage_and_correlation():
    rng = np.random.default_rng(2)
    y = rng.standard_normal((40, 30))
    f = y + rng.standard_normal(y.shape)
    full = RankICLoss()(y, f)
    sparse = f.copy()
    sparse[:, 6:] = np.nan  # 6 of 30 assets: a few lucky cross-sections must not win
    assert RankICLoss()(y, sparse) == pytest.approx(1.0)
    assert RankICLoss(avoid=[f], penalty=0.5)(y, f) == pytest.approx(full + 0.5)


def test_evaluate_finds_the_planted_signal_and_has_the_contract_keys():
    p = synthetic_panel(n_dates=300, n_assets=40, reversal=0.3, seed=3)
    r = evaluate("-ts_pct(close, 5)", p, horizon=5)
    assert {"ic", "rank_ic", "rank_ir", "turnover", "icir", "n_dates"} <= set(r)
    assert r["rank_ic"] > 0.1 and r["ic"] > 0.1
    noise = evaluate("ts_pct(volume, 1)", p, horizon=5)
    assert abs(noise["rank_ic"]) < 0.05
    assert r["rank_ic_t"] > 5 and abs(noise["rank_ic_t"]) < 2  # Newey-West t of the daily rank IC
    part = evaluate("-ts_pct(close, 5)", p, horizon=5, start=p.dates[100], end=p.dates[199])
    assert part["n_dates"] == 95 and part["start"] == str(p.dates[100].date())


def test_split_by_fraction_and_labels():
    p = synthetic_panel(n_dates=100, n_assets=5)
    s = Split.by_fraction(p, 0.6, 0.2)
    lab = s.labels(p, "valid", 5)
    rows = np.flatnonzero(np.isfinite(lab).any(axis=1))
    assert rows.min() == 60 and rows.max() == 74
    with pytest.raises(ValueError):
        s.period("holdout")


def test_rank_ic_loss_blocks_scores_the_worst_sub_period():
    from srkit.fitness.losses import daily_rank_ic

    rng = np.random.default_rng(4)
    y = rng.standard_normal((60, 25))
    f = y + 2.0 * rng.standard_normal(y.shape)
    f[40:] = -f[40:]  # the signal reverses in the last third
    ic = daily_rank_ic(y, f)
    thirds = [float(b.mean()) for b in np.array_split(ic, 3)]
    assert thirds[0] > 0 and thirds[1] > 0 and thirds[2] < 0
    assert RankICLoss()(y, f) == pytest.approx(1 - abs(float(ic.mean())))
    assert RankICLoss(blocks=3)(y, f) == pytest.approx(1 - thirds[2])  # 1 + |IC of the bad third|
    steady = y + 2.0 * rng.standard_normal(y.shape)
    steady_ic = daily_rank_ic(y, steady)
    assert RankICLoss(blocks=3)(y, steady) == pytest.approx(
        1 - min(float(b.mean()) for b in np.array_split(steady_ic, 3)))
    with pytest.raises(ValueError, match="blocks"):
        RankICLoss(blocks=0)


def test_hac_t_exact_values_and_overlap_correction():
    # [1, 2, 3, 4], 1 lag: gamma0 = 1.25, gamma1 = 0.3125, var = 1.25 + 2 * 0.5 * 0.3125
    # = 1.5625, se = sqrt(1.5625 / 4) = 0.625, t = 2.5 / 0.625
    assert hac_t(np.array([1.0, 2.0, np.nan, 3.0, 4.0]), 1) == pytest.approx(4.0)
    s = np.array([0.1, 0.3, 0.2, 0.4, 0.0])
    assert hac_t(s, 0) == pytest.approx(s.mean() / (s.std() / np.sqrt(len(s))))
    assert np.isnan(hac_t(np.array([1.0, 2.0]), 0))
    # 5-day sums of white noise overlap like 5-day labels: the plain t is about
    # sqrt(5) too large; 4 lags bring it back to the scale of the true mean's noise
    rng = np.random.default_rng(0)
    ts = []
    for _ in range(200):
        overlapping = np.convolve(rng.standard_normal(504), np.ones(5), "valid")
        ts.append((hac_t(overlapping, 0), hac_t(overlapping, 4)))
    plain, hac = np.array(ts).T
    assert 1.9 < plain.std() < 2.7 and 0.8 < hac.std() < 1.3
