"""Shared fixtures: a real chat-completions server on 127.0.0.1 with scripted replies (no mocks),
used by the llm searcher tests and the alpha mining tests of the llm path."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest


def reply(text: str) -> dict[str, Any]:
    """A normal completion whose message content is ``text``."""
    return {"kind": "reply", "text": text}


def status(code: int, retry_after: str | None = None, body: str = '{"error": "busy"}') -> dict[str, Any]:
    return {"kind": "status", "code": code, "retry_after": retry_after, "body": body}


def truncated_body() -> dict[str, Any]:
    """HTTP 200 whose JSON body is cut off half-way."""
    return {"kind": "truncated"}


def slow(seconds: float, text: str) -> dict[str, Any]:
    """A reply that arrives only after ``seconds`` (after the client's time-out)."""
    return {"kind": "slow", "seconds": seconds, "text": text}


class FakeChatServer:
    """Serves POST /v1/chat/completions from a script, then from ``default(messages)``."""

    def __init__(self, script: list[dict[str, Any]], default: Callable[[list[dict[str, str]]], str] | None) -> None:
        self.script = list(script)
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (time-out)

            def do_GET(self) -> None:
                self._send(200, json.dumps({"object": "list", "data": [{"id": "fake-model"}]}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    action = server.script.pop(0) if server.script else None
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(action, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _answer(self, action: dict[str, Any] | None, body: dict[str, Any]) -> None:
                if self.path != "/v1/chat/completions":
                    self._send(404, b'{"error": "not found"}')
                    return
                if action is None:
                    if server.default is None:
                        self._send(500, b'{"error": "script exhausted"}')
                        return
                    action = reply(server.default(body["messages"]))
                kind = action["kind"]
                if kind == "status":
                    headers = {"Retry-After": action["retry_after"]} if action["retry_after"] else {}
                    self._send(action["code"], action["body"].encode(), headers)
                    return
                if kind == "slow":
                    time.sleep(action["seconds"])
                text = action.get("text", "")
                payload = json.dumps({
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }).encode()
                if kind == "truncated":
                    payload = payload[: len(payload) // 2]
                self._send(200, payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def n_chat_requests(self) -> int:
        return sum(1 for r in self.requests if r["path"] == "/v1/chat/completions")


class Servers:
    """What the ``chat_server`` fixture gives: ``start(script, default)`` and the action helpers."""

    reply = staticmethod(reply)
    status = staticmethod(status)
    truncated_body = staticmethod(truncated_body)
    slow = staticmethod(slow)

    def __init__(self) -> None:
        self.started: list[FakeChatServer] = []

    def start(
        self, script: list[dict[str, Any]], default: Callable[[list[dict[str, str]]], str] | None = None
    ) -> FakeChatServer:
        server = FakeChatServer(script, default)
        server.thread.start()
        self.started.append(server)
        return server


@pytest.fixture
def chat_server():
    """A :class:`Servers`; every server it started is shut down after the test."""
    servers = Servers()
    yield servers
    for server in servers.started:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture(autouse=True)
def _no_local_model_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no local model (the llm extra) unless marked ``local_model``.

    With the extra installed, ``proposer="auto"`` without an endpoint runs the real
    SmolLM2 model; the tests of the offline paths (grammar-random, cassettes, scripted
    servers) must not depend on whether it is installed.  The tests of the model
    itself (tests/search/llm/test_local.py) carry the mark.
    """
    if request.node.get_closest_marker("local_model") is None:
        import srkit.search.llm.local as local

        monkeypatch.setattr(local, "local_model_available", lambda: False)
