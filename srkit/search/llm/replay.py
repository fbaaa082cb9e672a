"""Cassettes: record a model's replies once, replay them offline bit for bit.

A cassette is a JSONL file, one line per call: the key (a SHA-256 of model,
messages and parameters), the request and the reply.  In ``"record"`` mode every
call goes to the wrapped client and is appended; in ``"replay"`` mode replies come
from the file and a request that was never recorded raises
:class:`CassetteMiss` (loudly: a silent fallback would hide a changed prompt).
The same request made several times gets its recorded replies in order.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from srkit.search.llm.client import Completion, LLMClient, LLMError

__all__ = ["ReplayClient", "CassetteMiss", "request_key"]

Message = Mapping[str, str]


class CassetteMiss(LLMError):
    """Replay mode met a request that the cassette does not hold."""


def request_key(model: str, messages: Sequence[Message], params: Mapping[str, Any]) -> str:
    """Stable hash of one request (model + messages + non-None parameters).

    Examples
    --------
    >>> request_key("m", [{"role": "user", "content": "hi"}], {"seed": 1})[:12]
    'ebe1101329d0'
    """
    payload = {
        "model": model,
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "params": {k: v for k, v in sorted(params.items()) if v is not None},
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReplayClient:
    """Record (``mode="record"``, needs ``inner``) or replay (``mode="replay"``) a cassette.

    Examples
    --------
    >>> import tempfile, os
    >>> from srkit.search.llm.proposers import ScriptedClient
    >>> path = os.path.join(tempfile.mkdtemp(), "run.jsonl")
    >>> rec = ReplayClient(path, "record", inner=ScriptedClient(["x0 + 1"]))
    >>> rec.complete([{"role": "user", "content": "propose"}]).text
    'x0 + 1'
    >>> ReplayClient(path, "replay", model=rec.model).complete([{"role": "user", "content": "propose"}]).text
    'x0 + 1'
    """

    def __init__(
        self,
        path: str | Path,
        mode: Literal["record", "replay"] = "replay",
        *,
        inner: LLMClient | None = None,
        model: str | None = None,
    ) -> None:
        if mode not in ("record", "replay"):
            raise ValueError(f"mode must be 'record' or 'replay', got {mode!r}")
        if mode == "record" and inner is None:
            raise ValueError("record mode needs the client to record from: ReplayClient(path, 'record', inner=client)")
        self.path = Path(path)
        self.mode = mode
        self.inner = inner
        self.model = model or (inner.model if inner is not None else "")
        self._lock = threading.Lock()
        self._used: dict[str, int] = defaultdict(int)
        self._tape: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if mode == "replay":
            if not self.path.exists():
                raise FileNotFoundError(f"cassette {self.path} does not exist; record it first with mode='record'")
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    self._tape[rec["key"]].append(rec)
            if not self.model and self._tape:
                self.model = next(iter(self._tape.values()))[0]["model"]
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        params = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
        key = request_key(self.model, messages, params)
        with self._lock:
            n = self._used[key]
            self._used[key] += 1
        if self.mode == "replay":
            recorded = self._tape.get(key, [])
            if n >= len(recorded):
                last = messages[-1]["content"] if messages else ""
                raise CassetteMiss(
                    f"cassette {self.path} has {len(recorded)} repl(ies) for this request, call {n + 1} asked; "
                    f"the prompt or parameters changed since recording (last message starts "
                    f"{last[:80]!r}). Record again with mode='record'."
                )
            rec = recorded[n]
            return Completion(rec["text"], rec.get("usage") or {}, rec["model"])
        assert self.inner is not None
        completion = self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens, seed=seed)
        record = {
            "key": key, "n": n, "model": self.model, "messages": [dict(m) for m in messages],
            "params": {k: v for k, v in params.items() if v is not None},
            "text": completion.text, "usage": dict(completion.usage),
        }
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return completion
