"""Offline proposers that speak the LLMClient protocol.

:class:`GrammarRandomClient` answers any srkit prompt with valid random formulas
and random edits of the formulas written in the prompt: the "random" baseline of
the LLM-guided search papers, and what the llm searcher uses when no endpoint is
configured.  :class:`ScriptedClient` returns canned replies (tests, demos, a
human-in-the-loop callable).
"""

from __future__ import annotations

import re
import threading
from typing import Callable, Mapping, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.core.parse import ParseError, parse
from srkit.search.floor.random_formulas import random_expr
from srkit.search.llm.client import Completion, LLMError
from srkit.search.llm.grammar import mutate

__all__ = ["GrammarRandomClient", "ScriptedClient"]

Message = Mapping[str, str]
_BACKTICKED = re.compile(r"`([^`\n]{1,500})`")
_HOW_MANY = re.compile(r"\bPropose (\d{1,3})\b")


class GrammarRandomClient:
    """Random formulas from the run's grammar, and mutations of the prompt's formulas.

    Parameters
    ----------
    opset : the run's operators and variables.
    rng : the only source of randomness.
    p_mutate : share of replies' formulas that are edits of a prompt formula
        (the rest are fresh random formulas).
    max_size, max_depth : limits of what it proposes.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul"], ["x0"])
    >>> client = GrammarRandomClient(ops, np.random.default_rng(0))
    >>> reply = client.complete([{"role": "user", "content": "Current formula: `x0 * x0`\\nPropose 2 refinements"}])
    >>> reply.text.startswith("```text") and reply.text.count("\\n") == 3
    True
    """

    model = "grammar-random"

    def __init__(
        self,
        opset: OperatorSet,
        rng: np.random.Generator,
        *,
        p_mutate: float = 0.7,
        max_size: int = 30,
        max_depth: int = 10,
    ) -> None:
        self.opset = opset
        self.rng = rng
        self.p_mutate = p_mutate
        self.max_size = max_size
        self.max_depth = max_depth
        self.n_calls = 0

    def prompt_formulas(self, text: str) -> list[Expr]:
        """Formulas in backticks on lines that do not ask to avoid them."""
        found = []
        for line in text.splitlines():
            if "avoid" in line.lower():
                continue
            for m in _BACKTICKED.finditer(line):
                try:
                    found.append(parse(m.group(1), self.opset))
                except ParseError:
                    continue
        return found

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        self.n_calls += 1
        text = messages[-1]["content"] if messages else ""
        m = _HOW_MANY.search(text)
        n = int(m.group(1)) if m else 3
        bases = self.prompt_formulas(text)
        out = []
        for _ in range(max(1, min(n, 20))):
            if bases and self.rng.random() < self.p_mutate:
                base = bases[int(self.rng.integers(len(bases)))]
                expr = mutate(base, self.rng, max_size=self.max_size, max_depth=self.max_depth)
            else:
                expr = random_expr(self.opset, self.rng, max_depth=min(4, self.max_depth), max_size=self.max_size)
            out.append(expr.format(4))
        return Completion("```text\n" + "\n".join(out) + "\n```", {}, self.model)


class ScriptedClient:
    """Replies from a list (in order) or from a function of the messages.

    Examples
    --------
    >>> ScriptedClient(["x0 + 1", "x0"]).complete([{"role": "user", "content": "hi"}]).text
    'x0 + 1'
    """

    def __init__(
        self,
        replies: Sequence[str] | Callable[[Sequence[Message]], str],
        *,
        model: str = "scripted",
        cycle: bool = False,
    ) -> None:
        self.replies = replies
        self.model = model
        self.cycle = cycle
        self.calls: list[list[dict[str, str]]] = []
        self._lock = threading.Lock()

    def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        with self._lock:
            k = len(self.calls)
            self.calls.append([dict(m) for m in messages])
        if callable(self.replies):
            return Completion(self.replies(messages), {}, self.model)
        if k >= len(self.replies) and not self.cycle:
            raise LLMError(f"ScriptedClient has only {len(self.replies)} replies; call {k + 1} asked")
        return Completion(self.replies[k % len(self.replies)], {}, self.model)
