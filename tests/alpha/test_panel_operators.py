"""Panel operators against direct pandas computations, and no look-ahead for any operator."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from srkit.alpha.operators import alpha_registry

REG = alpha_registry()
D = 5  # window used in the pandas comparisons


def _panel(seed=0, n_dates=40, n_assets=4, gaps=True):
    rng = np.random.default_rng(seed)
    x = 10 + np.cumsum(rng.standard_normal((n_dates, n_assets)), axis=0)
    if gaps:
        x[7, 1] = np.nan
        x[:12, 3] = np.nan  # a late listing
    return x


def _op(name):
    return REG.get(name).numpy


def _roll(x, fn):
    return pd.DataFrame(x).rolling(D, min_periods=D).apply(fn, raw=True).to_numpy()


T = np.arange(D, dtype=float)


def _ema_weights():
    a = 1 - 2 / (D + 1)
    w = a ** np.arange(D - 1, -1, -1)
    return w / w.sum()


UNARY_REFERENCE = {
    "ts_delay": lambda df: df.shift(D),
    "ts_delta": lambda df: df - df.shift(D),
    "ts_pct": lambda df: df / df.shift(D) - 1,
    "ts_mean": lambda df: df.rolling(D).mean(),
    "ts_sum": lambda df: df.rolling(D).sum(),
    "ts_std": lambda df: df.rolling(D).std(),
    "ts_var": lambda df: df.rolling(D).var(),
    "ts_min": lambda df: df.rolling(D).min(),
    "ts_max": lambda df: df.rolling(D).max(),
    "ts_median": lambda df: df.rolling(D).median(),
    "ts_skew": lambda df: df.rolling(D).skew(),
    "ts_kurt": lambda df: df.rolling(D).kurt(),
    "ts_zscore": lambda df: (df - df.rolling(D).mean()) / df.rolling(D).std(),
    "ts_rank": lambda df: _roll(df, lambda w: rankdata(w)[-1] / len(w)),
    "ts_argmax": lambda df: _roll(df, lambda w: np.argmax(w) + 1),
    "ts_argmin": lambda df: _roll(df, lambda w: np.argmin(w) + 1),
    "ts_decay_linear": lambda df: _roll(df, lambda w: np.dot(w, np.arange(1, D + 1)) / (D * (D + 1) / 2)),
    "ts_ema": lambda df: _roll(df, lambda w: np.dot(w, _ema_weights())),
    "ts_slope": lambda df: _roll(df, lambda w: np.polyfit(T, w, 1)[0]),
    "ts_rsquare": lambda df: _roll(df, lambda w: np.corrcoef(T, w)[0, 1] ** 2),
    "ts_resi": lambda df: _roll(df, lambda w: w[-1] - np.polyval(np.polyfit(T, w, 1), D - 1)),
}


@pytest.mark.parametrize("family", sorted(UNARY_REFERENCE))
def test_unary_time_series_matches_pandas(family):
    x = _panel()
    got = _op(f"{family}_{D}")(x)
    want = np.asarray(UNARY_REFERENCE[family](pd.DataFrame(x)), dtype=float)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, equal_nan=True)
    # the warm-up rows are nan, the rest of a gap-free column is finite
    assert np.isnan(got[: D - 1, 0]).all() and np.isfinite(got[D:, 0]).all()


@pytest.mark.parametrize("family,method", [("ts_corr", "corr"), ("ts_cov", "cov")])
def test_pair_time_series_matches_pandas(family, method):
    x, y = _panel(0), _panel(1)
    got = _op(f"{family}_{D}")(x, y)
    want = np.column_stack([
        getattr(pd.Series(x[:, j]).rolling(D), method)(pd.Series(y[:, j])).to_numpy() for j in range(x.shape[1])
    ])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, equal_nan=True)


WINDOWED_REFERENCE = {  # reference of each family for any window, on raw windows
    "ts_rank": lambda w: rankdata(w)[-1] / len(w),
    "ts_argmax": lambda w: np.argmax(w) + 1,
    "ts_argmin": lambda w: np.argmin(w) + 1,
    "ts_mean": np.mean,
    "ts_std": lambda w: np.std(w, ddof=1),
    "ts_decay_linear": lambda w: np.dot(w, np.arange(1, len(w) + 1)) / (len(w) * (len(w) + 1) / 2),
    "ts_slope": lambda w: np.polyfit(np.arange(len(w)), w, 1)[0],
}


@pytest.mark.parametrize("family", sorted(WINDOWED_REFERENCE))
@pytest.mark.parametrize("d", [3, 7, 8, 12])
def test_time_series_operators_with_ties_and_gaps_at_several_windows(family, d):
    """Integer data (many ties: argmax keeps the oldest day, rank averages ties), windows
    that are and are not powers of two, gaps and a late listing, 30 assets."""
    rng = np.random.default_rng(d)
    x = rng.integers(0, 4, (60, 30)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    x[:20, 4] = np.nan
    got = _op(f"{family}_{d}")(x)
    want = pd.DataFrame(x).rolling(d, min_periods=d).apply(WINDOWED_REFERENCE[family], raw=True).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_cross_sectional_rank_with_ties_and_gaps_matches_pandas():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (50, 40)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[3] = np.nan  # a date without values
    x[5, 7] = np.inf  # non-finite counts as missing
    want = pd.DataFrame(np.where(np.isfinite(x), x, np.nan)).rank(axis=1, pct=True).to_numpy()
    np.testing.assert_allclose(_op("cs_rank")(x), want, rtol=0, atol=1e-15, equal_nan=True)


def test_cross_sectional_operators_match_pandas():
    x = _panel().T.copy()[:, :10].T  # (10 dates, 4 assets), with gaps
    df = pd.DataFrame(x)
    np.testing.assert_allclose(_op("cs_rank")(x), df.rank(axis=1, pct=True), equal_nan=True)
    z = df.sub(df.mean(axis=1), axis=0).div(df.std(axis=1, ddof=0), axis=0)
    np.testing.assert_allclose(_op("cs_zscore")(x), z, equal_nan=True)
    np.testing.assert_allclose(_op("cs_demean")(x), df.sub(df.mean(axis=1), axis=0), equal_nan=True)
    np.testing.assert_allclose(_op("cs_scale")(x), df.div(df.abs().sum(axis=1), axis=0), equal_nan=True)
    assert np.nansum(np.abs(_op("cs_scale")(x)), axis=1) == pytest.approx(np.ones(len(x)))


def test_exact_values_on_a_tiny_series():
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert _op("ts_delay_1")(x).tolist()[1:] == [1.0, 3.0, 2.0, 5.0]
    assert _op("ts_argmax_3")(x).tolist()[2:] == [2.0, 3.0, 2.0]  # 1 = oldest in the window
    assert _op("ts_rank_3")(x).tolist()[2:] == pytest.approx([2 / 3, 1.0, 2 / 3])
    assert _op("ts_decay_linear_2")(x).tolist()[1:] == pytest.approx([(1 + 6) / 3, (3 + 4) / 3, (2 + 10) / 3, (5 + 8) / 3])
    assert _op("ts_slope_3")(np.arange(6.0) * 2).tolist()[2:] == pytest.approx([2.0] * 4)


def test_operators_on_constants_are_nan():
    assert np.isnan(_op("ts_mean_5")(2.0)) and np.isnan(_op("cs_rank")(2.0))
    assert np.isnan(_op("ts_corr_5")(2.0, _panel()))


PANEL_OPS = [name for name in REG.names() if REG.get(name).arity > 0]


def test_every_registered_operator_is_checked_for_leakage():
    assert len([n for n in PANEL_OPS if n.startswith("ts_")]) > 300
    assert {"cs_rank", "cs_zscore", "cs_demean", "cs_scale", "greater", "add", "log", "group_demean",
            "group_rank"} <= set(PANEL_OPS)


@pytest.mark.parametrize("name", PANEL_OPS)
def test_no_operator_reads_the_future(name):
    """Perturbing data after date t changes no value at or before t."""
    op = REG.get(name)
    x, y = _panel(2, n_dates=200) + 20, _panel(3, n_dates=200) + 20
    t = 64
    rng = np.random.default_rng(4)
    x2, y2 = x.copy(), y.copy()
    x2[t + 1:] += rng.standard_normal(x2[t + 1:].shape) * 5
    y2[t + 1:] *= rng.uniform(0.5, 2.0, y2[t + 1:].shape)
    if name.startswith("group_"):  # the second argument holds group codes
        y, y2 = np.floor(y) % 3, np.floor(y2) % 3
    with np.errstate(all="ignore"):
        moved = op.numpy(x2, y2) if op.arity == 2 else op.numpy(x2)
        base = op.numpy(x, y) if op.arity == 2 else op.numpy(x)
    np.testing.assert_array_equal(np.asarray(base)[: t + 1], np.asarray(moved)[: t + 1])
    # and the perturbation does reach the later values (the test can fail)
    if name not in ("sign",):
        assert not np.array_equal(np.asarray(base)[t + 1:], np.asarray(moved)[t + 1:], equal_nan=True)
