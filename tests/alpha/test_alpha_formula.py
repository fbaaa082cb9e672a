"""The factor DSL: canonical printing, dialect aliases, windows, and factor values."""

import numpy as np
import pandas as pd
import pytest

from srkit.alpha import factor, parse_factor
from srkit.alpha.synthetic import synthetic_panel
from srkit.core.parse import ParseError

FIELDS = ["open", "high", "low", "close", "volume", "vwap"]


@pytest.mark.parametrize("text,canonical", [
    ("ts_mean(close, 5)", "ts_mean(close, 5)"),
    ("Mean($close, 10d)", "ts_mean(close, 10)"),
    ("Ref($close, 5) / $close", "ts_delay(close, 5) / close"),
    ("delay(close, 1)", "ts_delay(close, 1)"),
    ("correlation(open, volume, 10)", "ts_corr(open, volume, 10)"),
    ("Corr($open, $volume, 10)", "ts_corr(open, volume, 10)"),
    ("rank(close)", "cs_rank(close)"),                         # 101: cross-sectional
    ("Rank($close, 10)", "ts_rank(close, 10)"),                # Qlib: time series
    ("Greater($open, $close)", "greater(open, close)"),
    ("Max($high, 20)", "ts_max(high, 20)"),                    # Qlib: rolling
    ("decay_linear(close, 9.7)", "ts_decay_linear(close, 9)"),  # 101: windows floored
    ("WMA($close, 20)", "ts_decay_linear(close, 20)"),
    ("Log(volume)", "log(volume)"),
])
def test_dialects_parse_to_one_canonical_form(text, canonical):
    e = parse_factor(text, FIELDS)
    assert str(e) == canonical
    assert str(parse_factor(str(e), FIELDS)) == canonical  # round trip


def test_window_errors_are_clear():
    with pytest.raises(ParseError, match="available windows"):
        parse_factor("ts_mean(close, 7000)", FIELDS)
    with pytest.raises(ParseError, match="future"):
        parse_factor("Ref($close, -2)", FIELDS)
    with pytest.raises(ParseError, match="unknown name"):
        parse_factor("ts_mean(price, 5)", FIELDS)


def test_factor_values_match_pandas():
    p = synthetic_panel(n_dates=60, n_assets=5)
    got = factor("(close - ts_mean(close, 20)) / ts_std(close, 20)", p)
    c = p.frame(p["close"])
    want = (c - c.rolling(20).mean()) / c.rolling(20).std()
    pd.testing.assert_frame_equal(got, want)
    r = factor("cs_rank(-ts_pct(close, 5))", p)
    pd.testing.assert_frame_equal(r, (-(c / c.shift(5) - 1)).rank(axis=1, pct=True))


def test_bare_field_and_constant_formulas_have_panel_shape():
    p = synthetic_panel(n_dates=10, n_assets=3)
    assert factor("close", p).shape == (10, 3)
    assert np.isnan(factor("ts_mean(2, 5)", p).to_numpy()).all()
