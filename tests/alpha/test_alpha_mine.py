"""The mining driver with GP and the random baseline, the CLI, and the real data (when present)."""

import json
from pathlib import Path

import numpy as np
import pytest

from srkit.alpha import Split, evaluate, load_panel
from srkit.alpha.baselines import BASELINE_FACTORS
from srkit.alpha.formula import factor_values, parse_factor
from srkit.alpha.mine import MiningConfig, mine
from srkit.alpha.random_search import RandomSearcher
from srkit.alpha.synthetic import synthetic_panel
from srkit.cli import main

SP500 = Path("/work/shared/data/sp500_5yr")


def _cfg(**kw):
    base = dict(rounds=2, time_per_round=None, evals_per_round=300, search_assets=None, pool_size=4)
    base.update(kw)
    return MiningConfig(**base)


@pytest.mark.slow
def test_gp_mining_finds_the_planted_reversal_out_of_sample():
    panel = synthetic_panel(n_dates=300, n_assets=40, reversal=0.3, seed=1)
    split = Split.by_fraction(panel, 0.5, 0.2)
    res = mine(panel, split, config=_cfg(), random_state=0)
    pool_row = res.table.iloc[-1]
    assert pool_row["formula"] == "POOL (combined)"
    assert abs(pool_row["test_rank_ic"]) > 0.1  # the planted signal holds on unseen dates
    assert res.n_evals >= 600 and len(res.pool) >= 1
    d = res.to_dict()
    assert d["factors"][0]["formula"] == res.pool.formulas[0] and d["searcher"] == "gp"


@pytest.mark.slow
def test_mining_is_deterministic_for_a_seed_and_an_evaluation_budget():
    panel = synthetic_panel(n_dates=150, n_assets=20, seed=2)
    split = Split.by_fraction(panel)
    a = mine(panel, split, config=_cfg(rounds=1, evals_per_round=200), random_state=7)
    b = mine(panel, split, config=_cfg(rounds=1, evals_per_round=200), random_state=7)
    assert a.pool.formulas == b.pool.formulas and a.n_evals == b.n_evals


def test_random_searcher_plugs_into_the_driver():
    panel = synthetic_panel(n_dates=120, n_assets=15, seed=3)
    res = mine(panel, Split.by_fraction(panel), searcher=RandomSearcher(),
               config=_cfg(rounds=1, evals_per_round=60), random_state=0)
    assert res.searcher == "random" and res.n_evals == 60


def test_search_sees_only_train_dates():
    """Changing prices in the test period changes nothing the search or the selection saw."""
    panel = synthetic_panel(n_dates=150, n_assets=15, seed=4)
    split = Split.by_fraction(panel)
    vals = panel.values.copy()
    vals[:, 125:] *= np.random.default_rng(0).uniform(0.5, 2, vals[:, 125:].shape)  # test period only
    from srkit.alpha import Panel

    other = Panel(vals, panel.fields, panel.dates, panel.assets)
    cfg = _cfg(rounds=1, evals_per_round=80)
    a = mine(panel, split, searcher=RandomSearcher(), config=cfg, random_state=1)
    b = mine(other, split, searcher=RandomSearcher(), config=cfg, random_state=1)
    assert a.pool.formulas == b.pool.formulas
    assert a.table["valid_rank_ic"].tolist() == pytest.approx(b.table["valid_rank_ic"].tolist())


def test_handwritten_baselines_all_parse_and_compute():
    panel = synthetic_panel(n_dates=150, n_assets=10)
    assert len(BASELINE_FACTORS) >= 20
    for name, text in BASELINE_FACTORS.items():
        v = factor_values(parse_factor(text, panel.fields), panel)
        assert np.isfinite(v[-20:]).any() and v.shape == (150, 10), name


def _write_panel(tmp_path, **kw):
    from srkit.alpha.synthetic import write_price_folder

    return write_price_folder(synthetic_panel(**kw), tmp_path / "prices")


@pytest.mark.slow
def test_cli_eval_and_mine_write_the_same_keys(tmp_path, capsys):
    folder = _write_panel(tmp_path, n_dates=300, n_assets=30, reversal=0.3)
    ev_json, mine_json, pool_json = tmp_path / "ev.json", tmp_path / "mine.json", tmp_path / "pool.json"
    assert main(["alpha", "eval", str(folder), "-ts_pct(close, 5)", "--json", str(ev_json)]) == 0
    assert main(["alpha", "mine", str(folder), "--searcher", "gp", "--rounds", "1", "--evals-per-round", "300",
                 "--search-assets", "0", "--windows", "5,20", "--candidates-per-round", "3",
                 "--json", str(mine_json), "--pool", str(pool_json), "-q"]) == 0
    ev, mi = json.loads(ev_json.read_text()), json.loads(mine_json.read_text())
    assert set(ev) <= set(mi)
    assert mi["config"]["windows"] == [5, 20] and mi["config"]["candidates_per_round"] == 3
    assert mi["rounds"][0]["offered"] <= 3
    assert {"ic", "rank_ic", "rank_ir", "turnover"} <= set(ev)
    assert ev["rank_ic"] == pytest.approx(evaluate("-ts_pct(close, 5)", load_panel(folder))["rank_ic"])
    png = tmp_path / "bt.png"
    assert main(["alpha", "backtest", str(folder), "--pool", str(pool_json), "--plot", str(png),
                 "--json", str(tmp_path / "bt.json")]) == 0
    assert png.exists() and "ir" in json.loads((tmp_path / "bt.json").read_text())
    json.dump({"formulas": [], "weights": []}, open(pool_json, "w"))
    assert main(["alpha", "backtest", str(folder), "--pool", str(pool_json)]) == 2
    assert "empty" in capsys.readouterr().err


def test_cli_reports_bad_formula(tmp_path, capsys):
    folder = _write_panel(tmp_path, n_dates=30, n_assets=5)
    assert main(["alpha", "eval", str(folder), "ts_mean(price, 5)"]) == 2
    assert "unknown name 'price'" in capsys.readouterr().err
    assert main(["alpha", "mine", str(folder), "--windows", "5,ten", "--evals-per-round", "10"]) == 2
    assert "--windows needs positive whole numbers" in capsys.readouterr().err


@pytest.mark.skipif(not SP500.exists(), reason="shared data absent")
def test_real_data_reversal_on_sp500():
    panel = load_panel(SP500)
    assert panel.shape == (6, 1259, 505) and len(panel.report["late_listings"]) == 35 - 6
    r = evaluate("-ts_pct(close, 5)", panel, horizon=5, start="2017-01-01", end="2018-02-28")
    assert r["n_dates"] == 272 and abs(r["rank_ic"]) < 0.05


def test_mining_evaluator_memoises_repeats_and_ranks_what_it_scored():
    from srkit.alpha.formula import search_opset
    from srkit.alpha.mine import _MiningEvaluator
    from srkit.fitness.losses import RankICLoss

    panel = synthetic_panel(n_dates=120, n_assets=20, reversal=0.3, seed=5)
    labels = Split.by_fraction(panel).labels(panel, "train", 5)
    ev = _MiningEvaluator(panel.dataset(labels), RankICLoss())
    ops = search_opset(panel.fields)
    good, bad = parse_factor("-ts_pct(close, 5)", ops), parse_factor("ts_pct(volume, 5)", ops)
    first = ev.loss(good)
    assert ev.loss(good) == first and ev.n_evals == 1 and ev.cache_hits == 1
    ev.loss(bad)
    assert ev.n_evals == 2
    assert [str(e) for _, e in ev.best()] == ["-ts_pct(close, 5)", "ts_pct(volume, 5)"]


class _FixedSearcher:
    """Scores a fixed list of formulas, in order: a round whose best are near-copies."""

    name = "fixed"  # no ``config``: the driver and run_search need none

    def __init__(self, formulas):
        self.formulas = formulas

    def search(self, problem, *, budget, rng, callbacks=()):
        from srkit.search.base import run_search

        def loop(state):
            for text in self.formulas:
                expr = parse_factor(text, problem.opset)
                state.offer(expr, problem.evaluator.loss(expr))
            state.end_iteration()

        return run_search(self, problem, budget, callbacks, loop)


def test_a_round_offers_distinct_candidates_not_near_copies_of_its_best():
    """Three spellings of the planted 5-day reversal score best; with two offers per
    round the second goes to a different formula, not to a copy the pool would reject."""
    panel = synthetic_panel(n_dates=200, n_assets=30, reversal=0.3, seed=6)
    copies = ["-ts_pct(close, 5)", "-ts_delta(close, 5)", "-ts_pct(vwap, 5)"]
    other = "ts_std(volume, 20) / ts_mean(volume, 10)"  # larger and weaker: not on the front
    cfg = _cfg(rounds=1, evals_per_round=None, time_per_round=30.0, candidates_per_round=2,
               min_abs_ic=0.0, valid_check=False)
    res = mine(panel, Split.by_fraction(panel), searcher=_FixedSearcher(copies + [other]),
               config=cfg, random_state=0)
    copies, other = [str(parse_factor(f, panel.fields)) for f in copies], str(parse_factor(other, panel.fields))
    assert res.pool.formulas[0] in copies and other in res.pool.formulas and len(res.pool) == 2
    info = res.rounds[0]
    assert info["offered"] == 2 and info["skipped"] >= 1 and info["scanned"] == info["offered"] + info["skipped"]
    # scanning no further than the offers finds only copies of the best: one member
    narrow = mine(panel, Split.by_fraction(panel), searcher=_FixedSearcher(copies + [other]),
                  config=_cfg(rounds=1, evals_per_round=None, time_per_round=30.0, candidates_per_round=2,
                              max_scanned_per_round=2, min_abs_ic=0.0, valid_check=False), random_state=0)
    assert len(narrow.pool) == 1 and other not in narrow.pool.formulas


def test_mining_config_rejects_a_scan_shorter_than_the_offers():
    with pytest.raises(ValueError, match="max_scanned_per_round"):
        MiningConfig(candidates_per_round=10, max_scanned_per_round=5)


def test_row_searchers_are_refused_on_panels_and_auto_mines_with_gp():
    panel = synthetic_panel(n_dates=120, n_assets=15, seed=3)
    split = Split.by_fraction(panel)
    for name in ("mcts", "dsn"):
        with pytest.raises(ValueError, match="one target per row.*use searcher='gp'"):
            mine(panel, split, searcher=name, config=_cfg(rounds=1, evals_per_round=60), random_state=0)
    auto = mine(panel, split, searcher="auto", config=_cfg(rounds=1, evals_per_round=200), random_state=0)
    gp = mine(panel, split, searcher="gp", config=_cfg(rounds=1, evals_per_round=200), random_state=0)
    assert auto.pool.formulas == gp.pool.formulas and auto.n_evals == gp.n_evals


def test_the_group_field_is_searched_only_through_group_operators():
    from srkit.alpha import Panel

    base = synthetic_panel(n_dates=120, n_assets=20, seed=0, reversal=0.3)
    sectors = np.broadcast_to((np.arange(20) % 3).astype(float), base.shape[1:])
    panel = Panel(np.concatenate([base.values, sectors[None]]), (*base.fields, "group"), base.dates, base.assets)
    split = Split.by_fraction(panel)
    plain = MiningConfig(rounds=1, time_per_round=None, evals_per_round=150, search_assets=None)
    res = mine(panel, split, config=plain, random_state=0)
    assert res.pool.formulas and not any("group" in f for f in res.pool.formulas)
    grouped = MiningConfig(rounds=1, time_per_round=None, evals_per_round=150, search_assets=None,
                           operators=("group_demean", "group_rank", "ts_pct", "neg"))
    res = mine(panel, split, config=grouped, random_state=0)
    assert any("group_" in f for f in res.pool.formulas)
