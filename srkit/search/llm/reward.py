"""The multi-dimensional relative reward of Alpha Jungle, and the choice of what to refine.

A formula's score in dimension ``d`` is ``e_d = 1 - R_d``, where ``R_d`` is the
share of the repository that is strictly better in ``d``: 1 means no formula
seen is better, 0 means every one is.  "Lower is better" metrics (loss,
complexity, turnover, correlation) are flipped, which the paper leaves implicit.
The node reward is the weighted mean of its scores.  The dimension to improve is
drawn with ``P = softmax((e_max - e) / T)``: weak dimensions are likelier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

__all__ = ["Dimension", "RelativeReward", "choose_dimension"]


@dataclass(frozen=True)
class Dimension:
    """One score dimension: the metric's name, its direction, weight and cold-start threshold."""

    name: str
    higher_is_better: bool = True
    weight: float = 1.0
    #: before the repository has ``min_repository`` entries: score 1 when the metric is
    #: at least this good, else 0 (None: a neutral 0.5)
    threshold: float | None = None
    #: key of the metric in the metrics dict (default: the dimension's name)
    metric: str = ""

    @property
    def key(self) -> str:
        return self.metric or self.name


class RelativeReward:
    """Scores per dimension relative to a repository of metric dicts.

    Examples
    --------
    >>> rr = RelativeReward([Dimension("ic"), Dimension("turnover", higher_is_better=False)])
    >>> repo = [{"ic": 0.01, "turnover": 0.5}, {"ic": 0.05, "turnover": 0.2}]
    >>> rr.scores({"ic": 0.03, "turnover": 0.1}, repo)
    {'ic': 0.5, 'turnover': 1.0}
    >>> rr.reward({'ic': 0.5, 'turnover': 1.0})
    0.75
    """

    def __init__(self, dimensions: Sequence[Dimension], *, min_repository: int = 1) -> None:
        if not dimensions:
            raise ValueError("a reward needs at least one dimension")
        names = [d.name for d in dimensions]
        if len(set(names)) != len(names) or any(d.weight < 0 for d in dimensions):
            raise ValueError(f"dimension names must be unique and weights >= 0, got {names}")
        self.dimensions = tuple(dimensions)
        self.min_repository = min_repository

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def scores(self, metrics: Mapping[str, float], repository: Sequence[Mapping[str, float]]) -> dict[str, float]:
        """``e_d`` for each dimension (a missing or non-finite metric scores 0)."""
        out: dict[str, float] = {}
        for d in self.dimensions:
            value = metrics.get(d.key, math.nan)
            if not math.isfinite(value):
                out[d.name] = 0.0
                continue
            sign = 1.0 if d.higher_is_better else -1.0
            others = [sign * r[d.key] for r in repository if math.isfinite(r.get(d.key, math.nan))]
            if len(others) < self.min_repository:
                if d.threshold is None:
                    out[d.name] = 0.5
                else:
                    out[d.name] = 1.0 if sign * value >= sign * d.threshold else 0.0
                continue
            better = sum(1 for o in others if o > sign * value)
            out[d.name] = 1.0 - better / len(others)
        return out

    def reward(self, scores: Mapping[str, float]) -> float:
        """Weighted mean of the scores."""
        total = sum(d.weight for d in self.dimensions) or 1.0
        return sum(d.weight * scores.get(d.name, 0.0) for d in self.dimensions) / total


def choose_dimension(
    scores: Mapping[str, float],
    rng: np.random.Generator,
    *,
    e_max: float = 1.0,
    temperature: float = 1.0,
) -> str:
    """Draw the dimension to improve: ``softmax((e_max - e) / temperature)``.

    Examples
    --------
    >>> choose_dimension({"accuracy": 0.0, "simplicity": 1.0}, np.random.default_rng(0), temperature=0.01)
    'accuracy'
    """
    names = list(scores)
    logits = np.array([(e_max - scores[n]) / temperature for n in names], dtype=float)
    p = np.exp(logits - logits.max())
    return names[int(rng.choice(len(names), p=p / p.sum()))]
