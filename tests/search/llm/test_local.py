"""The local model of the ``llm`` extra (SmolLM2-135M-Instruct, llama.cpp in-process).

These tests run the real model: the ``test`` extra installs it, so they never skip
in CI.  Each keeps to a few short calls (the model answers a call in about a second
on two cores).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.fitness.evaluator import BudgetSpent
from srkit.search.base import Budget, Problem
from srkit.search.llm import LLMSearcher
from srkit.search.llm.client import LLMBudgetExceeded, LLMError
from srkit.search.llm.gbnf import formula_gbnf
from srkit.search.llm.local import LocalModelClient, bundled_model_path, local_model_available
from srkit.search.llm.prompts import FORMULA_FORMAT
from srkit.search.llm.reply import parse_reply
from srkit.search.llm.searcher import LLMConfig, choose_proposer

pytestmark = pytest.mark.local_model

HELLO = [{"role": "user", "content": "Write one formula for the area of a circle of radius r."}]


@pytest.fixture(scope="module")
def client() -> LocalModelClient:
    return LocalModelClient(max_tokens=24)


def test_the_extra_brings_the_bundled_model():
    path = bundled_model_path()
    assert path is not None and path.suffix == ".gguf" and path.stat().st_size > 50e6
    assert local_model_available()


def test_a_reply_comes_from_the_model_with_its_token_counts(client):
    log = client.log
    before = len(log.records)
    reply = client.complete(HELLO, seed=7)
    assert "SmolLM2" in reply.model and "in-process" in reply.model
    assert reply.text.strip()
    assert reply.usage["prompt_tokens"] > 10 and 0 < reply.usage["completion_tokens"] <= 24
    record = log.records[before]
    assert record["model"] == reply.model and record["reply"] == reply.text
    assert record["usage"]["completion_tokens"] == reply.usage["completion_tokens"]
    assert record["base_url"].endswith(".gguf")


def test_same_seed_same_reply(client):
    assert client.complete(HELLO, seed=11).text == client.complete(HELLO, seed=11).text


def test_formula_prompts_are_decoded_under_the_grammar_and_other_prompts_freely():
    ops = default_registry().operator_set(["add", "mul", "sin"], ["x"])
    local = LocalModelClient(max_tokens=40, formula_grammar=formula_gbnf(ops, 3))
    ask = [{"role": "user", "content": "Propose 2 formulas for y as a function of x.\n\n" + FORMULA_FORMAT}]
    reply = local.complete(ask, seed=5)
    assert reply.text.startswith("```text\n")
    parsed = parse_reply(reply.text, ops)
    assert parsed.exprs
    if reply.usage["completion_tokens"] < 40:  # not cut off at max_tokens: every line parses
        assert not parsed.errors
    free = local.complete(HELLO, seed=5)  # not a formula prompt (e.g. the alpha judge's): no grammar
    assert not free.text.startswith("```text")


def test_contexts_in_parallel_give_the_replies_of_one_at_a_time():
    from concurrent.futures import ThreadPoolExecutor

    prompts = [[{"role": "user", "content": f"Name {k} prime numbers."}] for k in (2, 3, 4)]
    one = LocalModelClient(max_tokens=12)
    alone = [one.complete(m, seed=9).text for m in prompts]
    two = LocalModelClient(max_tokens=12, max_concurrency=2)
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda m: two.complete(m, seed=9).text, prompts))
    assert together == alone and two.n_calls == 3


def test_call_budget_and_deadline():
    local = LocalModelClient(max_tokens=8, max_calls=1)
    local.complete(HELLO, seed=1)
    with pytest.raises(LLMBudgetExceeded, match="1 calls"):
        local.complete(HELLO, seed=1)
    late = LocalModelClient(max_tokens=8)
    late.deadline = time.perf_counter() - 1
    with pytest.raises(BudgetSpent):
        late.complete(HELLO, seed=1)


def test_bad_model_path_says_what_is_wrong(tmp_path):
    with pytest.raises(LLMError, match="not a file"):
        LocalModelClient(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(LLMError, match="cannot load"):
        LocalModelClient(junk)


def test_a_prompt_longer_than_the_context_is_an_llm_error():
    small = LocalModelClient(max_tokens=8, n_ctx=256)
    with pytest.raises(LLMError, match="n_ctx=256"):
        small.complete([{"role": "user", "content": "x0 + " * 400}], seed=1)
    assert small.log.records[-1]["reply"] is None and small.log.records[-1]["errors"]


def test_auto_takes_the_local_model_without_an_endpoint(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert choose_proposer(LLMConfig()) == "local"
    assert choose_proposer(LLMConfig(proposer="random")) == "random"
    assert choose_proposer(LLMConfig(base_url="http://127.0.0.1:9/v1", model="m")) == "endpoint"
    with pytest.raises(ValueError, match="no endpoint"):
        choose_proposer(LLMConfig(proposer="endpoint"))


@pytest.mark.slow
def test_a_short_real_model_search_parses_and_scores_its_replies(tmp_path, monkeypatch):
    """End to end: the tree search asks the real model, parses its replies, scores them."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (60, 1))
    data = as_dataset(X, X[:, 0] ** 2 + X[:, 0], feature_names=["x"])
    ops = default_registry().operator_set(["add", "sub", "mul", "div"], data.feature_names)
    log_path = tmp_path / "calls.jsonl"
    searcher = LLMSearcher(llm={"max_tokens": 64, "max_calls": 6, "log_path": str(log_path),
                                "tree": {"n_per_call": 3}})
    result = searcher.search(Problem(data, ops, Evaluator(data)), budget=Budget(iterations=4),
                             rng=np.random.default_rng(1))
    assert "SmolLM2" in searcher.proposer
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert 1 <= len(records) <= 6
    assert all("SmolLM2" in r["model"] for r in records)
    assert all(r["usage"]["completion_tokens"] > 0 for r in records if r["reply"] is not None)
    engine = searcher.engine
    assert searcher.engine.client.n_calls == len(records)  # the engine also counts calls the budget refused
    assert engine.n_parse_failures < engine.n_calls  # at least one reply parsed (the grammar sees to it)
    assert result.n_evals > 0 and len(result.front) > 0  # and its formulas were scored
