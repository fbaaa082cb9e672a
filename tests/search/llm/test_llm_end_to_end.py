"""The llm searcher end to end through OpenAICompatClient and a real local HTTP server."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy

from srkit import SymbolicRegressor
from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.search import Budget, Problem
from srkit.search.llm import LLMSearcher, OpenAICompatClient

KEY = "sk-e2e-SECRET-key"


def _problem():
    X = np.random.default_rng(3).uniform(0.5, 2.0, (40, 2))
    data = as_dataset(X, 2.5 * X[:, 0] * X[:, 1] + np.sin(X[:, 0]))
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp"], data.feature_names)
    return Problem(data, ops, Evaluator(data), max_size=20)


def _wrong_formulas(messages):
    """What the model says after the script: plausible but wrong formulas, a content-truncated JSON."""
    n = sum(m["role"] == "user" for m in messages)
    return '{"formulas": ["x0 + x1", "x0 * exp(x1)", "sin(x1) *' if n % 2 else "x0 / x1\nexp(x0) - x1"


@pytest.mark.slow
def test_search_through_server_recovers_planted_formula_retries_and_logs(chat_server, tmp_path):
    c = chat_server
    server = c.start([
        c.status(429, retry_after="0.01"),
        c.reply("I believe the relationship is probably quadratic, but more data would help."),  # garbage
        c.truncated_body(),
        c.status(500),
        c.slow(1.0, "x0 * x1"),  # arrives after the client's time-out
        c.reply("Sure! Here are refined candidates:\n```python\ny = 2*x_0*x_1 + np.sin(x_0)\n"
                "f(x0, x1) = x0**2 + x1\n```"),
    ], default=_wrong_formulas)
    sleeps: list[float] = []
    log_path = tmp_path / "llm_calls.jsonl"
    client = OpenAICompatClient(server.base_url, KEY, "fake-model", timeout=0.4, backoff=0.01,
                                sleep=sleeps.append, log=log_path)
    searcher = LLMSearcher(client=client)
    problem = _problem()
    result = searcher.search(problem, budget=Budget(iterations=10), rng=np.random.default_rng(0))

    # the search finished and recovered the planted formula with fitted coefficients
    assert result.stopped_by == "exact" and result.iterations == 1 + searcher.config.patience_after_exact
    assert result.best.loss <= problem.evaluator.loss_floor
    x0, x1 = sympy.symbols("x0 x1", real=True)
    found = result.best.expr.to_sympy(rational=True)
    assert sympy.simplify(found - (sympy.Rational(5, 2) * x0 * x1 + sympy.sin(x0))) == 0

    # retried what is retryable: 429 (Retry-After), truncated body, 500, time-out
    assert sleeps[0] == 0.01 and len(sleeps) == 4
    # the garbage reply was sent back with the parse error (the repair loop)
    repair = server.requests[2]["body"]["messages"]
    assert repair[-2]["role"] == "assistant" and "quadratic" in repair[-2]["content"]
    assert "None of these formulas could be used" in repair[-1]["content"] and "unknown name" in repair[-1]["content"]

    # every call is in the log, with the attempts it took; the key never is
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(records) == searcher.engine.n_calls == client.n_calls
    assert sum(r["attempts"] for r in records) == server.n_chat_requests
    assert records[0]["attempts"] == 2 and records[1]["attempts"] == 4
    assert all(r["reply"] is not None and r["messages"][0]["role"] == "system" for r in records)
    assert KEY not in log_path.read_text()
    assert all(r["headers"]["Authorization"] == f"Bearer {KEY}" for r in server.requests)


def test_estimator_with_llm_settings_dict(chat_server, tmp_path):
    c = chat_server
    server = c.start([], default=lambda m: "```\ny = 3*x0 - x1\n```")
    X = np.random.default_rng(0).uniform(-1, 1, (30, 2))
    model = SymbolicRegressor(
        searcher="llm", operators=["add", "sub", "mul"], time_budget=None, max_iterations=3, random_state=0,
        llm={"base_url": server.base_url, "model": "fake", "api_key": KEY, "log_path": str(tmp_path / "log.jsonl")},
    ).fit(X, 3 * X[:, 0] - X[:, 1])
    assert model.score(X, 3 * X[:, 0] - X[:, 1]) == pytest.approx(1.0)
    assert model.result_.searcher == "llm"
    assert KEY not in json.dumps(model.to_dict()) and KEY not in (tmp_path / "log.jsonl").read_text()
    # every request is logged; with max_concurrency 4 (the default) an iteration expands up to 4 nodes
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == server.n_chat_requests >= 3


def test_server_down_stops_search_with_clear_reason(chat_server):
    server = chat_server.start([], default=None)  # every request: HTTP 500
    client = OpenAICompatClient(server.base_url, "", "m", max_retries=1, backoff=0.0, sleep=lambda s: None)
    result = LLMSearcher(client=client, max_failures=2).search(
        _problem(), budget=Budget(iterations=10), rng=np.random.default_rng(0))
    assert result.stopped_by == "llm_error" and result.best is None
    assert "HTTP 500" in result.history[-1]["error"]
