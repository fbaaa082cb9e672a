"""A recorded search replays bit for bit offline; an unrecorded prompt fails loudly."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.search import Budget, Problem
from srkit.search.llm import CassetteMiss, LLMSearcher, OpenAICompatClient, ReplayClient
from srkit.search.llm.replay import request_key


def _problem():
    X = np.random.default_rng(1).uniform(-1, 1, (30, 2))
    data = as_dataset(X, X[:, 0] ** 2 - 0.5 * X[:, 1])
    ops = default_registry().operator_set(["add", "sub", "mul", "sin"], data.feature_names)
    return Problem(data, ops, Evaluator(data), max_size=15)


def _fingerprint(result):
    front = [(e.expr.format(), e.expr.coefs.tobytes(), e.loss, e.complexity) for e in result.front.entries()]
    history = [{k: v for k, v in h.items() if k != "time"} for h in result.history]
    return front, history, result.n_evals, result.best.expr.format()


@pytest.mark.slow
def test_recorded_search_replays_bit_for_bit(tmp_path):
    cassette = tmp_path / "search.jsonl"
    recorded = LLMSearcher(cassette=str(cassette), cassette_mode="record").search(
        _problem(), budget=Budget(iterations=12), rng=np.random.default_rng(5))
    assert recorded.history[0]["llm_calls"] == 1 and len(cassette.read_text().splitlines()) >= 12

    replayed = LLMSearcher(cassette=str(cassette), cassette_mode="replay").search(
        _problem(), budget=Budget(iterations=12), rng=np.random.default_rng(5))
    assert _fingerprint(replayed) == _fingerprint(recorded)


def test_recorded_server_search_replays_offline(chat_server, tmp_path):
    replies = iter(["x0 * x0 - x1", "```\nsin(x0) + x1\n1.0*x0*x0 - 0.4*x1\n```", "x0", "x1 * x1"] * 20)
    server = chat_server.start([], default=lambda messages: next(replies))
    cassette = tmp_path / "server.jsonl"
    live = ReplayClient(cassette, "record", inner=OpenAICompatClient(server.base_url, "k", "fake-model"))
    first = LLMSearcher(client=live).search(_problem(), budget=Budget(iterations=6), rng=np.random.default_rng(2))
    requests = server.n_chat_requests
    server.httpd.shutdown()  # offline from here on
    offline = ReplayClient(cassette, "replay")
    again = LLMSearcher(client=offline).search(_problem(), budget=Budget(iterations=6), rng=np.random.default_rng(2))
    assert _fingerprint(again) == _fingerprint(first) and server.n_chat_requests == requests
    assert first.best.loss <= 1e-20


def test_replay_miss_fails_loudly(tmp_path):
    cassette = tmp_path / "c.jsonl"
    LLMSearcher(cassette=str(cassette), cassette_mode="record").search(
        _problem(), budget=Budget(iterations=2), rng=np.random.default_rng(0))
    with pytest.raises(CassetteMiss, match="prompt or parameters changed"):
        LLMSearcher(cassette=str(cassette), cassette_mode="replay").search(  # another seed: other prompts
            _problem(), budget=Budget(iterations=4), rng=np.random.default_rng(99))
    with pytest.raises(FileNotFoundError, match="record it first"):
        ReplayClient(tmp_path / "missing.jsonl", "replay")


def test_request_key_depends_on_model_messages_and_parameters():
    msgs = [{"role": "user", "content": "a"}]
    base = request_key("m", msgs, {"temperature": 1.0, "seed": 1})
    assert base == request_key("m", msgs, {"seed": 1, "temperature": 1.0, "max_tokens": None})
    assert base != request_key("m2", msgs, {"temperature": 1.0, "seed": 1})
    assert base != request_key("m", [{"role": "user", "content": "b"}], {"temperature": 1.0, "seed": 1})
    assert base != request_key("m", msgs, {"temperature": 0.8, "seed": 1})
