"""The llm searcher offline: grammar-random default, determinism, seeds, GP hand-off, budgets, alpha task."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry, parse
from srkit.fitness import Evaluator, interpret
from srkit.search import SEARCHERS, Budget, Problem, make_searcher
from srkit.search.llm import (
    AlphaTask,
    Dimension,
    GrammarRandomClient,
    LLMSearcher,
    ScriptedClient,
    TreeConfig,
    TreeEngine,
)
from srkit.search.floor.random_formulas import random_expr
from srkit.search.llm.client import Completion, LLMBudgetExceeded
from srkit.search.llm.grammar import mutate


def _problem(f=lambda X: X[:, 0] * X[:, 1] + X[:, 0], ops=("add", "sub", "mul", "sin"), seeds=()):
    X = np.random.default_rng(4).uniform(-1, 1, (30, 2))
    data = as_dataset(X, f(X))
    opset = default_registry().operator_set(ops, data.feature_names)
    return Problem(data, opset, Evaluator(data), max_size=15, max_depth=6, seeds=seeds)


def _front(result):
    return [(e.expr.format(), e.loss) for e in result.front.entries()]


def test_registered_and_default_is_grammar_random(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert SEARCHERS["llm"] is LLMSearcher
    searcher = make_searcher("llm")
    problem = _problem()
    result = searcher.search(problem, budget=Budget(iterations=10), rng=np.random.default_rng(0))
    assert searcher.proposer == "grammar-random"
    assert result.searcher == "llm" and result.iterations == 10 and result.front
    # every scored candidate went through the shared evaluator
    assert result.n_evals == problem.evaluator.n_evals > 0


def test_same_seed_same_front(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    runs = [LLMSearcher().search(_problem(), budget=Budget(iterations=15), rng=np.random.default_rng(11))
            for _ in range(2)]
    assert _front(runs[0]) == _front(runs[1]) and runs[0].n_evals == runs[1].n_evals
    other = LLMSearcher().search(_problem(), budget=Budget(iterations=15), rng=np.random.default_rng(12))
    assert [h.get("reward") for h in other.history] != [h.get("reward") for h in runs[0].history]


def test_grammar_random_formulas_are_valid_and_mutate_prompt_formulas():
    ops = default_registry().operator_set(["add", "mul", "sin", "exp", "pi"], ["a", "b"])
    rng = np.random.default_rng(0)
    for _ in range(300):
        e = random_expr(ops, rng, max_depth=4)
        assert e.depth <= 4 and parse(e.format(), ops).same_skeleton(e)
        m = mutate(e, rng, max_size=12, max_depth=5)
        assert m.size <= 12 and m.depth <= 5 and not m.same_skeleton(e)
    client = GrammarRandomClient(ops, np.random.default_rng(1), p_mutate=1.0)
    prompt = "Current formula: `sin(a) * b`\nTry to avoid including the following sub-expressions: `exp(a)`\nPropose 6 refinements"
    assert [str(e) for e in client.prompt_formulas(prompt)] == ["sin(a) * b"]
    lines = client.complete([{"role": "user", "content": prompt}]).text.splitlines()[1:-1]
    assert len(lines) == 6
    # each is a one-step edit of the prompt formula: it keeps some of its structure
    assert all(parse(line, ops).size <= 30 for line in lines)
    assert sum(("sin(" in line) or ("* b" in line) for line in lines) >= 4


@pytest.mark.slow
def test_user_seeds_root_the_first_tree_and_gp_handoff_finishes_the_job(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    f = lambda X: X[:, 0] ** 3 + X[:, 0] * X[:, 1]  # noqa: E731
    ops = ("add", "sub", "mul")
    seed = parse("x0*x0 + x0*x1", default_registry().operator_set(ops, ["x0", "x1"]))
    problem = _problem(f, ops, seeds=[seed])
    searcher = LLMSearcher(gp_handoff=5, gp_iterations=40)
    result = searcher.search(problem, budget=Budget(iterations=4), rng=np.random.default_rng(0))
    assert str(searcher.engine.trees[0].root.expr) == "x0 * x0 + x0 * x1"  # the user's seed is the first root
    assert any(h.get("phase") == "gp" for h in result.history)
    assert result.best.loss <= problem.evaluator.loss_floor  # GP, seeded by the LLM phase, is exact


def test_llm_budget_stops_search_and_keeps_results():
    class Limited:
        model = "limited"

        def __init__(self):
            self.n = 0

        def complete(self, messages, **kw):
            self.n += 1
            if self.n > 3:
                raise LLMBudgetExceeded("LLM call budget of 3 calls is spent")
            return Completion("x0 * x1 + x0")

    result = LLMSearcher(client=Limited()).search(_problem(), budget=Budget(iterations=50),
                                                  rng=np.random.default_rng(0))
    assert result.stopped_by == "llm_budget" and result.iterations == 3
    assert result.best.loss <= 1e-20


def test_bad_settings_fail_early(monkeypatch):
    with pytest.raises(ValueError, match="unknown llm setting"):
        LLMSearcher(llm={"base_ur": "http://x"})
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    with pytest.raises(ValueError, match="no model"):
        LLMSearcher()
    assert LLMSearcher(llm={"model": "m", "api_key": "secret"}).config.model == "m"
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ValueError, match="no endpoint: pass base_url"):
        LLMSearcher(llm={"model": "llama3.1"})
    # a model and a key without a base URL: the OpenAI API
    searcher = LLMSearcher(llm={"model": "gpt-4.1-mini", "api_key": "secret"})
    client = searcher.make_client(_problem(), np.random.default_rng(0))
    assert client.url == "https://api.openai.com/v1/chat/completions" and client.model == "gpt-4.1-mini"
    assert "secret" not in repr(LLMSearcher(llm={"model": "m", "api_key": "secret"}).config)


def test_prompts_show_units_statistics_front_and_avoid_list():
    client = ScriptedClient(["x0 * x1", "sin(x0) * x1", "x0 * x1 + x0", "x0 * x1 - x1"], cycle=True)
    searcher = LLMSearcher(client=client, units={"x0": "m", "y": "m^2"})
    searcher.search(_problem(), budget=Budget(iterations=6), rng=np.random.default_rng(0))
    first = client.calls[0][-1]["content"]
    assert "- x0 [m]: min" in first and "- y (target) [m^2]" in first and "sin(a)" in first
    assert "Sample rows (x0, x1 -> y): (" in first
    later = next(c[-1]["content"] for c in reversed(client.calls) if "Current formula" in c[-1]["content"])
    assert "Best formulas so far" in later and "Current formula: `" in later and "Its scores" in later
    assert "Try to avoid including the following sub-expressions: `x0 * x1`" in later


def _run_tree(engine: TreeEngine, steps: int) -> TreeEngine:
    """``steps`` tree-search steps (tree starts and expansions)."""
    for _ in range(steps):
        engine.step()
    return engine


def test_alpha_task_runs_the_tree_search_on_plain_data_and_a_scoring_callable():
    rng = np.random.default_rng(0)
    fields = ["close", "open", "volume"]
    cols = [rng.lognormal(size=200) for _ in fields]
    future = cols[0] / cols[1] + 0.3 * rng.normal(size=200)  # the planted signal: close / open
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "log"], fields)

    def score(expr):
        values = interpret(expr, cols, 200)
        if not np.isfinite(values).all() or values.std() == 0:
            return None
        rank = lambda v: np.argsort(np.argsort(v))  # noqa: E731
        ic = float(np.corrcoef(rank(values), rank(future))[0, 1])
        return {"rank_ic": ic, "turnover": float(expr.size)}

    dims = [Dimension("effectiveness", metric="rank_ic"), Dimension("turnover", False, metric="turnover")]
    task = AlphaTask(ops, score, windows=[5, 10, 20], dimensions=dims, min_repository=3)
    client = GrammarRandomClient(ops, np.random.default_rng(1))
    engine = _run_tree(TreeEngine(task, client, TreeConfig(n_per_call=4), np.random.default_rng(2)), steps=30)
    assert len(task.scored) >= 60 and engine.trees
    best = max(task.scored, key=lambda s: s.metrics["rank_ic"])
    assert best.metrics["rank_ic"] > 0.5  # the random baseline finds the planted ratio's signal
    client = ScriptedClient(["close / open"], cycle=True)
    _run_tree(TreeEngine(task, client, TreeConfig(), np.random.default_rng(3)), steps=2)
    prompt = client.calls[1][-1]["content"]
    assert "Rolling windows must be one of: 5, 10, 20" in prompt and "Available fields: close, open, volume" in prompt
    assert "effectiveness" in prompt and "turnover" in prompt


def test_overfitting_dimension_is_judged_by_the_model_at_low_temperature():
    from srkit.search.llm import llm_overfit_score

    client = ScriptedClient(['```json\n{"reason": "five nested windows", "score": 8}\n```', "I cannot judge"])
    assert llm_overfit_score(client, "ts_mean(close, 5) / open", ["started from close / open"]) == 8.0
    assert np.isnan(llm_overfit_score(client, "close"))
    prompt = client.calls[0][-1]["content"]
    assert "`ts_mean(close, 5) / open`" in prompt and "started from close / open" in prompt
