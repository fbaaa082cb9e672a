"""OpenAICompatClient against a real local HTTP server: retries, time-outs, budgets, log, key."""

from __future__ import annotations

import json
import threading

import pytest

from srkit.search.llm import CallLog, LLMBudgetExceeded, LLMError, OpenAICompatClient

MSG = [{"role": "user", "content": "propose a formula"}]


def _client(server, tmp_path=None, **kw):
    sleeps: list[float] = []
    kw.setdefault("backoff", 0.01)
    client = OpenAICompatClient(server.base_url, "sk-test-SECRET-123", "fake-model", sleep=sleeps.append,
                                log=None if tmp_path is None else tmp_path / "calls.jsonl", **kw)
    return client, sleeps


def test_reply_text_usage_and_request_shape(chat_server):
    server = chat_server.start([chat_server.reply("x0 + 1")])
    client, sleeps = _client(server, temperature=0.3, seed=7, max_tokens=50)
    out = client.complete(MSG)
    assert out.text == "x0 + 1" and out.total_tokens == 120 and sleeps == []
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-SECRET-123"
    assert req["body"] == {"model": "fake-model", "messages": MSG, "temperature": 0.3, "max_tokens": 50, "seed": 7}


def test_429_honours_retry_after_and_500_backs_off(chat_server):
    server = chat_server.start([
        chat_server.status(429, retry_after="0.25"), chat_server.status(500), chat_server.status(503),
        chat_server.reply("x0"),
    ])
    client, sleeps = _client(server, backoff=0.01)
    assert client.complete(MSG).text == "x0"
    assert sleeps == [0.25, 0.02, 0.04]  # Retry-After, then backoff * 2**attempt
    assert server.n_chat_requests == 4


def test_truncated_body_and_timeout_are_retried(chat_server, tmp_path):
    server = chat_server.start([chat_server.truncated_body(), chat_server.slow(1.0, "late"), chat_server.reply("x1")])
    client, sleeps = _client(server, tmp_path, timeout=0.3)
    assert client.complete(MSG).text == "x1"
    assert len(sleeps) == 2 and server.n_chat_requests == 3
    record = json.loads((tmp_path / "calls.jsonl").read_text().splitlines()[0])
    assert record["attempts"] == 3 and record["reply"] == "x1"
    assert "malformed response" in record["errors"][0] and "no reply within 0.3 s" in record["errors"][1]


def test_gives_up_after_max_retries_and_logs_the_failure(chat_server, tmp_path):
    server = chat_server.start([chat_server.status(500)] * 3)
    client, sleeps = _client(server, tmp_path, max_retries=2)
    with pytest.raises(LLMError, match="no usable reply after 3 attempts"):
        client.complete(MSG)
    assert server.n_chat_requests == 3 and len(sleeps) == 2
    record = json.loads((tmp_path / "calls.jsonl").read_text())
    assert record["reply"] is None and len(record["errors"]) == 3


def test_client_errors_are_not_retried(chat_server):
    server = chat_server.start([chat_server.status(401, body='{"error": "bad key sk-test-SECRET-123"}')])
    client, sleeps = _client(server)
    with pytest.raises(LLMError, match="HTTP 401 \\(check the API key\\)") as info:
        client.complete(MSG)
    assert "SECRET" not in str(info.value)  # the key is scrubbed even when the server echoes it
    assert server.n_chat_requests == 1 and sleeps == []


def test_key_never_reaches_the_log_or_repr(chat_server, tmp_path):
    server = chat_server.start([chat_server.status(500, body="echo sk-test-SECRET-123"), chat_server.reply("x0")])
    client, _ = _client(server, tmp_path)
    client.complete(MSG)
    assert "SECRET" not in (tmp_path / "calls.jsonl").read_text()
    assert "SECRET" not in repr(client) and "SECRET" not in json.dumps(vars(client), default=str).replace(
        client._api_key, "")


def test_call_and_token_budgets(chat_server):
    server = chat_server.start([], default=lambda messages: "x0")
    client, _ = _client(server, max_calls=2)
    client.complete(MSG)
    client.complete(MSG)
    with pytest.raises(LLMBudgetExceeded, match="2 calls"):
        client.complete(MSG)
    client, _ = _client(server, max_total_tokens=200)
    client.complete(MSG)
    client.complete(MSG)  # 120 tokens used < 200: allowed, now 240
    with pytest.raises(LLMBudgetExceeded, match="200 tokens"):
        client.complete(MSG)


def test_concurrency_limit_holds_across_threads(chat_server):
    server = chat_server.start([chat_server.slow(0.15, "x0") for _ in range(6)])
    client, _ = _client(server, max_concurrency=2)
    threads = [threading.Thread(target=client.complete, args=(MSG,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.n_chat_requests == 6 and server.max_in_flight == 2
    assert len(client.log.records) == 6


def test_settings_fall_back_to_environment(monkeypatch, chat_server):
    server = chat_server.start([chat_server.reply("x0")])
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    client = OpenAICompatClient(model="m")
    assert client.complete(MSG).text == "x0"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer env-key"


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="model is required"):
        OpenAICompatClient("http://localhost:11434/v1")
    with pytest.raises(ValueError, match="http://"):
        OpenAICompatClient("localhost:11434", model="m")


def test_unreachable_server_is_an_llm_error():
    client = OpenAICompatClient("http://127.0.0.1:9/v1", "", "m", max_retries=1, backoff=0, sleep=lambda s: None,
                                timeout=2)
    with pytest.raises(LLMError, match="cannot reach"):
        client.complete(MSG)


def test_call_log_in_memory():
    log = CallLog()
    log.write({"a": 1})
    assert log.records == [{"call": 0, "a": 1}]


def test_password_in_the_url_is_refused():
    with pytest.raises(ValueError, match="must not hold user:password@"):
        OpenAICompatClient("http://user:pa55word@localhost:8000/v1", model="m")
