"""Talking to a language model: the LLMClient protocol and an OpenAI-compatible client.

:class:`OpenAICompatClient` speaks the chat-completions protocol that OpenAI,
DeepSeek, vLLM, Ollama, llama.cpp server, LM Studio and LiteLLM all serve, with
the standard library only (``urllib``).  It retries what is retryable (429, 5xx,
time-outs, broken responses) with exponential backoff and honours
``Retry-After``, limits concurrent requests, enforces budgets on calls and
tokens, and appends every prompt and reply to a JSONL log.  The API key is sent
in a header and never written anywhere.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

__all__ = [
    "Completion",
    "LLMClient",
    "LLMError",
    "LLMBudgetExceeded",
    "CallLog",
    "OpenAICompatClient",
    "BudgetedClient",
    "CallBudget",
]

Message = Mapping[str, str]


@dataclass(frozen=True)
class Completion:
    """One reply of a model: its text and token usage (``prompt_tokens``, ``completion_tokens``)."""

    text: str
    usage: Mapping[str, int] = field(default_factory=dict)
    model: str = ""

    @property
    def total_tokens(self) -> int:
        u = self.usage
        return int(u.get("total_tokens", u.get("prompt_tokens", 0) + u.get("completion_tokens", 0)))


@runtime_checkable
class LLMClient(Protocol):
    """Anything that answers chat messages: a server client, a replay, a random proposer."""

    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion: ...


class LLMError(RuntimeError):
    """A model call failed for good (after retries, or not retryable)."""


class LLMBudgetExceeded(LLMError):
    """The budget on calls or tokens is spent; the search stops and keeps its results."""


class CallLog:
    """Append-only JSONL record of every call: messages, parameters, reply, usage, errors.

    Thread-safe; ``path=None`` keeps the records in memory only (``records``).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            record = {"call": len(self.records), **record}
            self.records.append(record)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def record_call(
        self,
        model: str,
        where: str,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        completion: Completion | None,
        errors: Sequence[str],
        attempts: int,
        started: float,
    ) -> None:
        """Write one call's record (every client logs the same fields; ``where`` is the
        endpoint's URL or, for an in-process model, its file)."""
        self.write({
            "model": model,
            "base_url": where,
            "messages": [dict(m) for m in messages],
            "params": dict(params),
            "reply": None if completion is None else completion.text,
            "usage": None if completion is None else dict(completion.usage),
            "attempts": attempts,
            "errors": list(errors),
            "seconds": round(time.perf_counter() - started, 4),
        })


class CallBudget:
    """Counts calls and tokens against optional limits; thread-safe.  Every client that
    talks to a real model keeps one, so ``max_calls`` and ``max_total_tokens`` mean the
    same for a remote endpoint and an in-process model."""

    def __init__(self, max_calls: int | None = None, max_total_tokens: int | None = None) -> None:
        self.max_calls = max_calls
        self.max_total_tokens = max_total_tokens
        self.n_calls = 0
        self.total_tokens = 0
        self._lock = threading.Lock()

    def reserve(self) -> None:
        """Count one call, or raise :class:`LLMBudgetExceeded` when a limit is reached."""
        with self._lock:
            if self.max_calls is not None and self.n_calls >= self.max_calls:
                raise LLMBudgetExceeded(f"LLM call budget of {self.max_calls} calls is spent")
            if self.max_total_tokens is not None and self.total_tokens >= self.max_total_tokens:
                raise LLMBudgetExceeded(f"LLM token budget of {self.max_total_tokens} tokens is spent")
            self.n_calls += 1

    def add_tokens(self, n: int) -> None:
        with self._lock:
            self.total_tokens += n


def completion_from_response(data: Mapping[str, Any], model: str) -> Completion:
    """The :class:`Completion` in a chat-completions response (OpenAI's format, which
    llama-cpp-python returns too), named by the response's model, else ``model``;
    KeyError/IndexError/TypeError when it is not one.

    >>> completion_from_response({"choices": [{"message": {"content": "x0"}}], "usage": {"total_tokens": 3}}, "m")
    Completion(text='x0', usage={'total_tokens': 3}, model='m')
    """
    text = data["choices"][0]["message"]["content"]
    usage = {k: int(v) for k, v in (data.get("usage") or {}).items() if isinstance(v, (int, float))}
    return Completion(text or "", usage, str(data.get("model", model)))


def time_left(deadline: float | None, timeout: float) -> float:
    """Seconds a request may take: ``timeout``, cut to the search's ``deadline`` (a
    :func:`time.perf_counter` time); past the deadline raise
    :class:`~srkit.fitness.evaluator.BudgetSpent`."""
    if deadline is None:
        return timeout
    left = deadline - time.perf_counter()
    if left <= 0:
        from srkit.fitness.evaluator import BudgetSpent

        raise BudgetSpent("time")
    return min(timeout, left)


class BudgetedClient:
    """What every client of a real model shares: the call budget, the call log, the
    search's deadline and the per-call parameters (a call's own value, else the default)."""

    budget: CallBudget
    log: CallLog
    deadline: float | None
    temperature: float | None
    max_tokens: int | None
    seed: int | None

    @property
    def n_calls(self) -> int:
        return self.budget.n_calls

    @property
    def total_tokens(self) -> int:
        return self.budget.total_tokens

    def call_params(self, temperature: float | None, max_tokens: int | None, seed: int | None) -> dict[str, Any]:
        """The sampling parameters of one call, the unset ones left out."""
        params = {
            "temperature": self.temperature if temperature is None else temperature,
            "max_tokens": self.max_tokens if max_tokens is None else max_tokens,
            "seed": self.seed if seed is None else seed,
        }
        return {k: v for k, v in params.items() if v is not None}


class _RetryableError(Exception):
    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (only the delta-seconds form is used)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class OpenAICompatClient(BudgetedClient):
    """Client of an OpenAI-compatible ``/chat/completions`` endpoint.

    Parameters
    ----------
    base_url : e.g. ``"http://localhost:11434/v1"`` (Ollama); default ``$OPENAI_BASE_URL``,
        else ``"https://api.openai.com/v1"``.
    api_key : default ``$OPENAI_API_KEY``; local servers accept any value or none.
    model : model name as the server knows it (``"qwen2.5-coder:7b"``, ``"gpt-4.1-mini"``).
    temperature, max_tokens, seed : defaults for each call (a call may override them).
    timeout : seconds to wait for one HTTP response.
    max_retries : extra attempts after a 429, a 5xx, a time-out or a broken response.
    backoff, max_backoff : wait ``backoff * 2**attempt`` seconds (capped) before a retry,
        or what the server's ``Retry-After`` says (also capped).
    max_concurrency : requests in flight at once (the client is thread-safe).
    max_calls, max_total_tokens : budgets; a call beyond them raises :class:`LLMBudgetExceeded`.
    log : a :class:`CallLog` or a path for the JSONL log of every call.
    sleep : the function used to wait (tests pass a recorder).

    ``deadline`` (a :func:`time.perf_counter` time, set by the searcher from its time
    budget) bounds every wait: a request's time-out and the back-off sleeps are cut to
    the time left, and past it a call raises
    :class:`~srkit.fitness.evaluator.BudgetSpent`, so a slow or dead server never
    stretches a search past its budget.  A refused connection is not retried: nothing
    listens at ``base_url``.

    Examples
    --------
    >>> client = OpenAICompatClient(base_url="http://localhost:11434/v1", model="llama3.1")
    >>> client.url
    'http://localhost:11434/v1/chat/completions'
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str = "",
        *,
        temperature: float | None = 1.0,
        max_tokens: int | None = 1024,
        seed: int | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_concurrency: int = 4,
        max_calls: int | None = None,
        max_total_tokens: int | None = None,
        log: CallLog | str | Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base!r}; "
                             "e.g. http://localhost:11434/v1 for Ollama")
        if re.match(r"https?://[^/]*@", base):
            raise ValueError("base_url must not hold user:password@ (it would be logged); pass the "
                             "credential as api_key, which is sent as a Bearer token")
        if not model:
            raise ValueError("model is required: the name the server knows, e.g. 'llama3.1' for Ollama")
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("need max_concurrency >= 1, max_retries >= 0 and timeout > 0")
        self.base_url = base.rstrip("/")
        self.model = model
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.budget = CallBudget(max_calls, max_total_tokens)
        self.log = log if isinstance(log, CallLog) else CallLog(log)
        self.sleep = sleep
        self.n_requests = 0
        self.deadline: float | None = None
        #: requests it lets be in flight at once (the tree search sends up to this many)
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatClient(base_url={self.base_url!r}, model={self.model!r})"

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Send ``messages``; return the reply (retrying what is retryable).

        Raises :class:`LLMError` when every attempt failed and
        :class:`LLMBudgetExceeded` when the budget is spent.
        """
        params = self.call_params(temperature, max_tokens, seed)
        self.budget.reserve()
        body = json.dumps({"model": self.model, "messages": [dict(m) for m in messages], **params}).encode()
        started = time.perf_counter()
        errors: list[str] = []
        for attempt in range(self.max_retries + 1):
            try:
                with self._slots:
                    completion = self._post(body, self._time_left())
            except _RetryableError as exc:
                errors.append(str(exc))
                if attempt == self.max_retries:
                    break
                wait = exc.retry_after if exc.retry_after is not None else self.backoff * 2**attempt
                self.sleep(min(wait, self.max_backoff, self._time_left()))
                continue
            except LLMError as exc:
                errors.append(str(exc))
                self._log(messages, params, None, errors, attempt + 1, started)
                raise
            self.budget.add_tokens(completion.total_tokens)
            self._log(messages, params, completion, errors, attempt + 1, started)
            return completion
        self._log(messages, params, None, errors, self.max_retries + 1, started)
        raise LLMError(f"{self.url}: no usable reply after {self.max_retries + 1} attempts: {errors[-1]}")

    def _time_left(self) -> float:
        """Seconds a request or a wait may take: the time-out, cut to the deadline."""
        return time_left(self.deadline, self.timeout)

    def _post(self, body: bytes, timeout: float | None = None) -> Completion:
        import http.client
        import urllib.error
        import urllib.request  # here, so that `import srkit` stays cheap

        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with self._lock:
            self.n_requests += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310 - user URL
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = self._scrub(exc.read()[:300].decode("utf-8", "replace"))
            if exc.code == 429 or exc.code >= 500:
                raise _RetryableError(f"HTTP {exc.code}: {detail}", _retry_after(exc.headers.get("Retry-After")))
            hint = " (check the API key)" if exc.code in (401, 403) else (
                " (check base_url and model name)" if exc.code == 404 else "")
            raise LLMError(f"{self.url}: HTTP {exc.code}{hint}: {detail}") from None
        except (TimeoutError, socket.timeout) as exc:
            raise _RetryableError(f"no reply within {self.timeout} s ({exc})") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise _RetryableError(f"no reply within {self.timeout} s") from None
            if isinstance(exc.reason, ConnectionRefusedError):
                raise LLMError(f"cannot reach {self.url}: connection refused; is the server running? "
                               "(check --llm-base-url / OPENAI_BASE_URL)") from None
            raise _RetryableError(f"cannot reach {self.url}: {exc.reason}") from None
        except (ConnectionError, OSError, http.client.HTTPException) as exc:  # reset, short read
            raise _RetryableError(f"connection broke: {exc}") from None
        return self._completion(raw)

    def _completion(self, raw: bytes) -> Completion:
        try:
            return completion_from_response(json.loads(raw), self.model)
        except (ValueError, KeyError, IndexError, TypeError):
            raise _RetryableError(f"malformed response: {raw[:200]!r}") from None

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _log(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        completion: Completion | None,
        errors: list[str],
        attempts: int,
        started: float,
    ) -> None:
        self.log.record_call(self.model, self.base_url, messages, params, completion,
                             [self._scrub(e) for e in errors], attempts, started)
