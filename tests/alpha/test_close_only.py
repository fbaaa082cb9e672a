"""The commonest free data: adjusted closes only, one long CSV (date, asset, close), end to
end: load, a factor, its evaluation, one mining round, a backtest (issue 29)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srkit.alpha import factor, load_panel
from srkit.alpha.backtest import backtest
from srkit.alpha.formula import parse_factor
from srkit.alpha.metrics import Split, evaluate
from srkit.alpha.mine import MiningConfig, mine
from srkit.alpha.synthetic import synthetic_panel
from srkit.core.parse import ParseError


@pytest.fixture()
def close_only_csv(tmp_path: Path) -> Path:
    panel = synthetic_panel(n_dates=200, n_assets=25, seed=3)
    close = panel["close"]
    lines = ["date,asset,close"]
    for t, d in enumerate(panel.dates):
        for j, a in enumerate(panel.assets):
            if np.isfinite(close[t, j]):
                lines.append(f"{d.date()},{a},{close[t, j]:.6f}")
    path = tmp_path / "closes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_close_only_long_csv_end_to_end(close_only_csv: Path) -> None:
    panel = load_panel(close_only_csv)
    assert panel.fields == ("close",)
    assert panel.report["fields_absent"] == ["open", "high", "low", "volume"]
    text = panel.report_text()
    assert "vwap: not available: no vwap column, and its proxy needs high, low and close" in text
    assert "fields: close (no open, high, low, volume: formulas and searches use the fields present)" in text
    # a factor on the fields there are, and a clear error for one that needs another field
    values = factor("-ts_pct(close, 5)", panel)
    assert values.shape == (200, 25)
    with pytest.raises(ParseError, match="this panel has no volume field \\(its fields: close\\)"):
        parse_factor("ts_mean(volume, 5) / close", panel.fields)
    split = Split.by_fraction(panel)
    scores = evaluate("-ts_pct(close, 5)", panel, horizon=5, start=split.valid_end)
    assert np.isfinite(scores["rank_ic"])
    # one mining round searches formulas of close alone
    cfg = MiningConfig(rounds=1, time_per_round=None, evals_per_round=300, search_assets=None)
    result = mine(panel, split, config=cfg, random_state=0)
    assert len(result.pool) >= 1
    assert all(set(parse_factor(f, panel.fields).variables_used) == {0} for f in result.pool.formulas)
    # and a backtest of the mined factor
    bt = backtest(factor(result.pool.formulas[0], panel), panel, strategy="long_short", cost=0.0005)
    assert np.isfinite(bt.metrics["annual_return"]) and 0 <= bt.metrics["turnover"] <= 2


def test_ohlc_without_volume_keeps_the_vwap_proxy(tmp_path: Path) -> None:
    (tmp_path / "A.csv").write_text("date,open,high,low,close\n2020-01-02,1,2,1,2\n2020-01-03,2,3,2,3\n")
    panel = load_panel(tmp_path)
    assert panel.fields == ("open", "high", "low", "close", "vwap")
    assert panel.report["fields_absent"] == ["volume"] and panel.report["zero_volume_cells"] == 0
