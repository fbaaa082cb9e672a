"""The tree search for alpha factors, from plain data and a scoring callable.

:class:`AlphaTask` needs no alpha module: field names, operator names, the
allowed windows and a function that scores a formula (returning its metrics,
e.g. ``{"rank_ic": ..., "rank_ir": ..., "turnover": ..., "max_corr": ...}``).
Scores per dimension are relative to the repository of scored factors (Alpha
Jungle's reward); few-shot examples for effectiveness and stability are the
repository's best factors in that dimension.  Wiring it into alpha mining is a
matter of building the operator set and the scoring function; the search itself is
a :class:`~srkit.search.llm.tree.TreeEngine` over the task (``srkit.alpha.llm``).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.search.llm.client import LLMClient
from srkit.search.llm.prompts import alpha_prompt, overfit_prompt, parse_overfit_score
from srkit.search.llm.reply import ParsedReply, parse_reply
from srkit.search.llm.reward import Dimension, RelativeReward
from srkit.search.llm.tree import Node, Scored

__all__ = ["ALPHA_DIMENSIONS", "AlphaTask", "llm_overfit_score"]

#: Alpha Jungle's five dimensions over the metric names a scoring function returns.
ALPHA_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("effectiveness", metric="rank_ic", threshold=0.015),
    Dimension("stability", metric="rank_ir", threshold=0.3),
    Dimension("turnover", higher_is_better=False, metric="turnover", threshold=1.6),
    Dimension("diversity", higher_is_better=False, metric="max_corr", threshold=0.8),
    Dimension("overfitting", higher_is_better=False, metric="overfit", threshold=5.0),
)

Score = Callable[[Expr], "Mapping[str, float] | None"]


class AlphaTask:
    """Prompts, parsing and scoring of alpha factors for :class:`TreeEngine`.

    Parameters
    ----------
    opset : operators and fields (as variables) that formulas are parsed with.
    score : formula -> metrics dict, or None when the formula is unusable.
    windows : the rolling windows the model may use.
    dimensions : score dimensions (default :data:`ALPHA_DIMENSIONS`; a dimension
        whose metric the scoring function never returns scores 0 and is best dropped).
    n_examples : few-shot examples for effectiveness and stability.
    """

    def __init__(
        self,
        opset: OperatorSet,
        score: Score,
        windows: Sequence[int],
        *,
        dimensions: Sequence[Dimension] = ALPHA_DIMENSIONS,
        n_examples: int = 1,
        max_size: int = 30,
        max_depth: int = 10,
        min_repository: int = 5,
    ) -> None:
        self.opset = opset
        self.score_fn = score
        self.windows = list(windows)
        self.reward = RelativeReward(dimensions, min_repository=min_repository)
        self.n_examples = n_examples
        self.max_size = max_size
        self.max_depth = max_depth
        self.scored: list[Scored] = []

    def text(self, expr: Expr) -> str:
        return expr.format(6)

    @property
    def fields(self) -> list[str]:
        return list(self.opset.variables)

    @property
    def operators(self) -> list[str]:
        """Operator names as the model writes them: one per windowed family
        (``ts_mean_5``, ``ts_mean_20`` -> ``ts_mean``; the windows are listed apart)."""
        suffixes = tuple(f"_{w}" for w in self.windows)
        names = []
        for op in self.opset.operators:
            name = op.name
            for suffix in suffixes:
                if name.endswith(suffix) and name.startswith("ts_"):
                    name = name[: -len(suffix)]
                    break
            names.append(name)
        return list(dict.fromkeys(names))

    def seed_messages(self, n: int, avoid: Sequence[str], tried: Sequence[str]) -> list[dict[str, str]]:
        return alpha_prompt(fields=self.fields, operators=self.operators, windows=self.windows, n=n,
                            avoid=avoid, tried=tried)

    def _examples(self, dimension: str) -> list[tuple[str, dict[str, float]]]:
        if dimension not in ("effectiveness", "stability") or not self.scored:
            return []  # the paper gives turnover, overfitting (and here diversity) zero-shot
        dim = next(d for d in self.reward.dimensions if d.name == dimension)
        sign = 1.0 if dim.higher_is_better else -1.0
        ok = [s for s in self.scored if math.isfinite(s.metrics.get(dim.key, math.nan))]
        ok.sort(key=lambda s: -sign * s.metrics[dim.key])
        return [(self.text(s.expr), {dim.key: s.metrics[dim.key]}) for s in ok[: self.n_examples]]

    def refine_messages(
        self, node: Node, dimension: str, history: Sequence[str], avoid: Sequence[str],
        tried: Sequence[str], n: int,
    ) -> list[dict[str, str]]:
        return alpha_prompt(
            fields=self.fields, operators=self.operators, windows=self.windows, n=n, formula=self.text(node.expr), scores=node.scores,
            dimension=dimension, history=history, examples=self._examples(dimension), avoid=avoid, tried=tried,
        )

    def repair_hint(self) -> str:
        return f"Use only the fields {', '.join(self.fields)} and the operators {', '.join(self.operators)}."

    def parse(self, reply: str) -> ParsedReply:
        return parse_reply(reply, self.opset, max_size=self.max_size, max_depth=self.max_depth)

    def score(self, exprs: Sequence[Expr]) -> list[Scored]:
        out = []
        for expr in exprs:
            metrics = self.score_fn(expr)
            if metrics is None:
                continue
            s = Scored(expr, {k: float(v) for k, v in metrics.items()})
            self.scored.append(s)
            out.append(s)
        return out

    def quality(self, scored: Scored, reward: float) -> float:
        return reward


def llm_overfit_score(
    client: LLMClient, formula: str, history: Sequence[str] = (), *, temperature: float = 0.1
) -> float:
    """Alpha Jungle's over-fitting risk, 0 (none) to 10, judged by the model at low
    temperature from the formula and its refinement history; nan when the reply has no score.

    A scoring function can put it under the ``"overfit"`` metric of :data:`ALPHA_DIMENSIONS`.

    Examples
    --------
    >>> from srkit.search.llm.proposers import ScriptedClient
    >>> llm_overfit_score(ScriptedClient(['{"reason": "simple ratio", "score": 2}']), "close / open")
    2.0
    """
    reply = client.complete(overfit_prompt(formula, history), temperature=temperature)
    score = parse_overfit_score(reply.text)
    return math.nan if score is None else score
