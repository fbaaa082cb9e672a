"""Alpha mining through the llm searcher: scripted model, grammar-random proposer, local HTTP server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from srkit.alpha import Split
from srkit.alpha.formula import factor_values, parse_factor
from srkit.alpha.llm import AlphaScorer
from srkit.alpha.metrics import factor_corr, forward_returns
from srkit.alpha.mine import MiningConfig, mine
from srkit.alpha.synthetic import synthetic_panel
from srkit.cli import main
from srkit.search.llm import LLMSearcher
from srkit.search.llm.proposers import ScriptedClient

PLANTED = "-ts_pct(close, 5)"  # the synthetic panel's planted 5-day reversal
SEED_REPLY = "```\n-($close / Ref($close, 5) - 1)\nMean($volume, 20) / $volume\n```"  # Qlib dialect
REFINE_REPLY = "```\nts_mean(high - low, 10) / close\n-1 * (close / delay(close, 5) - 1)\ncs_rank(ts_std(close, 20))\n```"


def _model(messages):
    """A stand-in model: judges over-fitting, proposes the planted reversal, refines it."""
    text = messages[-1]["content"]
    if "over-fitting" in text:
        return '{"reason": "a plain reversal", "score": 2}'
    return REFINE_REPLY if "Current alpha" in text else SEED_REPLY


def _panel():
    panel = synthetic_panel(n_dates=260, n_assets=30, reversal=0.3, seed=1)
    return panel, Split.by_fraction(panel, 0.5, 0.2)


def _cfg(**kw):
    base = dict(rounds=2, time_per_round=None, evals_per_round=20, search_assets=None, pool_size=4)
    base.update(kw)
    return MiningConfig(**base)


def _has_planted(panel, formulas):
    planted = factor_values(PLANTED, panel)
    return any(abs(factor_corr(factor_values(f, panel), planted)) > 0.99 for f in formulas)


def test_scripted_model_finds_the_planted_factor_and_sees_fields_operators_windows_scores():
    panel, split = _panel()
    client = ScriptedClient(_model)
    res = mine(panel, split, searcher=LLMSearcher(client=client), config=_cfg(), random_state=0)

    assert res.searcher == "llm" and res.rounds[0]["proposer"] == "scripted"
    assert _has_planted(panel, res.pool.formulas)  # found, and admitted to the pool
    assert res.table.iloc[-1]["test_rank_ic"] > 0.1  # the pool holds up on unseen dates
    assert sum(r["n_evals"] for r in res.rounds) == res.n_evals >= 40

    prompts = [c[-1]["content"] for c in client.calls]
    refine = next(p for p in prompts if "Current alpha" in p)
    assert "Available fields: open, high, low, close, volume, vwap." in refine
    assert "ts_mean, ts_std" in refine and "cs_rank" in refine and "ts_mean_5" not in refine
    assert "Rolling windows must be one of: 5, 10, 20, 40." in refine
    scores = next(line for line in refine.splitlines() if line.startswith("Its scores per dimension"))
    for dim in ("effectiveness", "stability", "turnover", "diversity", "overfitting"):
        assert f"{dim} " in scores  # a model is answering, so over-fitting is judged too
    assert any("over-fitting" in p for p in prompts)


def test_round_metrics_are_srkit_alpha_metrics_on_train_only():
    panel, split = _panel()
    train = panel.until(split.train_end)
    labels = split.labels(train, "train", 5)
    expr = parse_factor(PLANTED, panel.fields)
    m = AlphaScorer(train, labels, [factor_values(expr, train)])(expr)
    from srkit.alpha.metrics import factor_metrics

    ref = factor_metrics(factor_values(expr, train), labels)
    assert m["rank_ic"] == pytest.approx(abs(ref["rank_ic"])) and m["turnover"] == pytest.approx(ref["turnover"])
    assert m["max_corr"] == pytest.approx(1.0) and "overfit" not in m  # no model: no over-fitting judge
    assert AlphaScorer(train, forward_returns(train, 5) * np.nan, [])(expr) is None  # nothing to score


def test_grammar_random_proposer_same_seed_same_result_and_train_only(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    panel, split = _panel()
    a = mine(panel, split, searcher="llm", config=_cfg(), random_state=3)
    b = mine(panel, split, searcher="llm", llm={}, config=_cfg(), random_state=3)
    assert a.rounds[0]["proposer"] == "grammar-random" and len(a.pool) >= 1
    assert a.pool.formulas == b.pool.formulas and a.n_evals == b.n_evals
    assert [r["admitted"] for r in a.rounds] == [r["admitted"] for r in b.rounds]

    # prices in the test period change nothing the search or the selection saw
    vals = panel.values.copy()
    cut = int(np.searchsorted(panel.dates, np.datetime64(split.test_start)))
    vals[:, cut:] *= np.random.default_rng(0).uniform(0.5, 2, vals[:, cut:].shape)
    from srkit.alpha.panel import Panel

    c = mine(Panel(vals, panel.fields, panel.dates, panel.assets), split, searcher="llm", config=_cfg(), random_state=3)
    assert c.pool.formulas == a.pool.formulas and c.rounds == [
        {**r, "elapsed": cr["elapsed"]} for r, cr in zip(a.rounds, c.rounds)]


def test_ctrl_c_keeps_what_was_scored():
    panel, split = _panel()
    calls = []

    def interrupted_model(messages):
        calls.append(1)
        if len(calls) > 4:
            raise KeyboardInterrupt
        return _model(messages)

    res = mine(panel, split, searcher=LLMSearcher(client=ScriptedClient(interrupted_model)), config=_cfg(),
               random_state=0)
    assert res.stopped_by == "interrupt" and len(res.rounds) == 1 and res.rounds[0]["stopped_by"] == "interrupt"
    assert _has_planted(panel, res.pool.formulas)  # scored before Ctrl-C, admitted after it


def test_llm_settings_need_the_llm_searcher():
    panel, split = _panel()
    with pytest.raises(ValueError, match="searcher='llm'"):
        mine(panel, split, searcher="gp", llm={"model": "x"}, config=_cfg())


def test_mining_through_a_local_chat_server_end_to_end(chat_server, tmp_path):
    c = chat_server
    server = c.start([c.status(500), c.reply("I cannot think of a factor right now.")], default=_model)
    log = tmp_path / "calls.jsonl"
    panel, split = _panel()
    res = mine(panel, split, searcher="llm", config=_cfg(rounds=1, evals_per_round=15), random_state=0,
               llm={"base_url": server.base_url, "model": "fake-model", "log_path": str(log), "max_retries": 2})

    assert res.rounds[0]["proposer"] == "fake-model" and _has_planted(panel, res.pool.formulas)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) == res.rounds[0]["llm_calls"]  # every call logged (engine calls + over-fitting judge)
    assert sum(r["attempts"] for r in records) == server.n_chat_requests  # the 500 was retried
    first = server.requests[2]["body"]["messages"]  # after the 500 and the garbage: the repair prompt
    assert "cannot think" in first[-2]["content"] and "None of these formulas could be used" in first[-1]["content"]


def test_cli_mine_with_llm_searcher(tmp_path, capsys, monkeypatch, chat_server):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    panel, _ = _panel()
    rows = [(d, a, *(panel.values[k, i, j] for k in range(5)))
            for i, d in enumerate(panel.dates) for j, a in enumerate(panel.assets)]
    import pandas as pd

    prices = tmp_path / "prices.csv"
    pd.DataFrame(rows, columns=["date", "asset", *panel.fields[:5]]).to_csv(prices, index=False)
    out = tmp_path / "out.json"
    base = ["alpha", "mine", str(prices), "--searcher", "llm", "--rounds", "1", "--evals-per-round", "15",
            "--search-assets", "0", "-q", "--json", str(out)]
    assert main(base) == 0
    assert "grammar-random proposer" in capsys.readouterr().err
    assert json.loads(out.read_text())["rounds"][0]["proposer"] == "grammar-random"

    server = chat_server.start([], default=_model)
    log = tmp_path / "calls.jsonl"
    assert main(base + ["--llm-base-url", server.base_url, "--llm-model", "fake-model", "--llm-log", str(log),
                        "--force"]) == 0  # out.json exists from the first run
    d = json.loads(out.read_text())
    assert d["searcher"] == "llm" and d["rounds"][0]["proposer"] == "fake-model" and log.exists()
    assert main(["alpha", "mine", str(prices), "--searcher", "gp", "--llm-model", "x"]) == 2
    assert "--llm-* options need --searcher llm" in capsys.readouterr().err
