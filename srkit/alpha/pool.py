"""A factor pool: a linear combination of factors fitted on train (after AlphaGen).

Every factor and the target are turned into per-date scores (nan -> 0, which is
the cross-sectional mean): z-scores of the raw values, AlphaGen's choice.  Scoring
z-scored cross-sectional ranks instead (a ``scale="rank"`` option, removed in issue
32) measured worse in mining on S&P 500 (benchmarks/notes/results-history-to-2026-12-07.md
§8): it admits
price levels such as ``high``, whose rank IC flips sign between years.

The pool keeps each member's IC with the target and the mutual-IC matrix (mean
daily correlation between members), both on the train dates, and fits the weights
by least squares on them:

    minimise  sum_ij w_i w_j rho_ij - 2 sum_i w_i IC_i   ->   (rho + ridge*I) w = IC

A candidate is admitted when its |IC| reaches ``min_abs_ic`` and its largest
|mutual IC| with a member stays below ``max_corr``; over ``capacity`` the member
with the smallest |weight| is evicted (possibly the newcomer).
"""

from __future__ import annotations

import warnings

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.formula import factor_values, parse_factor
from srkit.alpha.panel import Panel
from srkit.fitness.losses import daily_ic

__all__ = ["FactorPool", "zscore_by_date", "combine"]

Array = NDArray[np.float64]


def zscore_by_date(values: Array) -> Array:
    """Cross-sectional z-score per date; non-finite values (and flat dates) become 0."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
        v = np.where(np.isfinite(values), values, np.nan)
        z = (v - np.nanmean(v, axis=1, keepdims=True)) / np.nanstd(v, axis=1, keepdims=True)
    return np.where(np.isfinite(z), z, 0.0)


def combine(values: Sequence[Array], weights: Sequence[float] | Array) -> Array:
    """The weighted sum of the members' per-date z-scores (:func:`zscore_by_date`): a pool's combined factor.

    >>> combine([np.array([[1.0, 2.0, 3.0]])], [2.0]).round(4).tolist()
    [[-2.4495, 0.0, 2.4495]]
    """
    if not len(values):
        raise ValueError("cannot combine an empty list of factors")
    return sum(float(w) * zscore_by_date(v) for w, v in zip(weights, values))  # type: ignore[return-value]


def _mean_ic(a: Array, b: Array) -> float:
    s = daily_ic(a, b)
    return float(np.nanmean(s)) if np.isfinite(s).any() else 0.0


@dataclass
class FactorPool:
    """Factors with train ICs, mutual ICs and least-squares weights.

    Parameters
    ----------
    labels : train target (dates, assets); nan outside the train period.
    capacity : most members kept.
    min_abs_ic : admission threshold on |train IC|.
    max_corr : admission threshold on the largest |mutual IC| with a member.
    ridge : added to the mutual-IC diagonal when solving for the weights.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal((50, 30))
    >>> pool = FactorPool(y, capacity=2)
    >>> pool.add("a", y + rng.standard_normal(y.shape)), pool.add("b", y + rng.standard_normal(y.shape))
    (True, True)
    >>> pool.add("a_copy", pool.values[0] + 1e-3), len(pool)  # too close to "a"
    (False, 2)
    """

    labels: Array
    capacity: int = 10
    min_abs_ic: float = 0.005
    max_corr: float = 0.7
    ridge: float = 1e-4
    formulas: list[str] = field(default_factory=list)
    values: list[Array] = field(default_factory=list)
    ics: list[float] = field(default_factory=list)
    weights: Array = field(default_factory=lambda: np.zeros(0))
    mutual: Array = field(default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("pool capacity must be >= 1")
        self._train = np.isfinite(self.labels).any(axis=1)
        self._target = self._scores(self.labels)
        self._z: list[Array] = [self._scores(v) for v in self.values]

    def __len__(self) -> int:
        return len(self.formulas)

    def _scores(self, values: Array) -> Array:
        return zscore_by_date(values)[self._train]

    def ic_of(self, values: Array) -> float:
        """Train IC of a factor as the pool measures it (scored per date, gaps as the mean)."""
        return _mean_ic(self._target, self._scores(values))

    def correlations(self, values: Array) -> list[float]:
        """Mutual IC of a factor with each member (train dates)."""
        z = self._scores(values)
        return [_mean_ic(z, m) for m in self._z]

    def add(self, formula: str, values: Array) -> bool:
        """Try to admit a factor (values on the whole panel); True when it is a member afterwards."""
        if formula in self.formulas:
            return False
        ic = self.ic_of(values)
        if not np.isfinite(ic) or abs(ic) < self.min_abs_ic:
            return False
        corr = self.correlations(values)
        if corr and max(abs(c) for c in corr) >= self.max_corr:
            return False
        n = len(self)
        mutual = np.ones((n + 1, n + 1))
        mutual[:n, :n] = self.mutual
        mutual[n, :n] = mutual[:n, n] = corr
        self.formulas.append(formula)
        self.values.append(values)
        self.ics.append(ic)
        self._z.append(self._scores(values))
        self.mutual = mutual
        self._fit()
        if len(self) > self.capacity:
            worst = int(np.argmin(np.abs(self.weights)))
            self._drop(worst)
            return worst != n
        return True

    def _drop(self, i: int) -> None:
        for lst in (self.formulas, self.values, self.ics, self._z):
            del lst[i]
        keep = [k for k in range(self.mutual.shape[0]) if k != i]
        self.mutual = self.mutual[np.ix_(keep, keep)]
        self._fit()

    def _fit(self) -> None:
        n = len(self)
        if n == 0:
            self.weights = np.zeros(0)
            return
        self.weights = np.linalg.solve(self.mutual + self.ridge * np.eye(n), np.asarray(self.ics))

    def combined(self, values: list[Array] | None = None) -> Array:
        """The pool's factor: sum of weights times the members' per-date scores."""
        if not self.values:
            raise ValueError("the pool is empty")
        return combine(self.values if values is None else values, self.weights)

    @property
    def train_ic(self) -> float:
        """IC of the combined factor on the train dates."""
        return _mean_ic(self._target, self._scores(self.combined())) if len(self) else 0.0

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "formulas": list(self.formulas), "weights": self.weights.tolist(), "train_ics": list(self.ics),
            "mutual_ic": self.mutual.tolist(), "capacity": self.capacity,
            "min_abs_ic": self.min_abs_ic, "max_corr": self.max_corr,
            "train_ic": self.train_ic,
        }

    def save(self, path: str | Path) -> None:
        """Write the pool (formulas, weights, ICs) as JSON, atomically: a crash mid-write
        leaves an earlier file at ``path`` intact, never a truncated one."""
        from srkit.io import atomic_write

        # serialise first: a pool that cannot be written must not touch the file at all
        atomic_write(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @staticmethod
    def _read(path: str | Path) -> dict[str, Any]:
        """A saved pool's JSON, or a ValueError that names the file and the fix."""
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not a pool file (not JSON: {exc}); write one with "
                             "`srkit alpha mine PRICES --pool FILE` or FactorPool.save") from None
        if not isinstance(data, dict) or not isinstance(data.get("formulas"), list) \
                or not isinstance(data.get("weights"), list) or len(data["formulas"]) != len(data["weights"]):
            raise ValueError(f"{path} is not a pool file (it needs lists 'formulas' and 'weights' of one "
                             "length); write one with `srkit alpha mine PRICES --pool FILE` or FactorPool.save")
        FactorPool.check_scale(data, str(path))
        return data

    @classmethod
    def load_formulas(cls, path: str | Path) -> tuple[list[str], Array]:
        """Formulas and weights of a saved pool."""
        data = cls._read(path)
        return [str(f) for f in data["formulas"]], np.asarray(data["weights"], dtype=np.float64)

    @staticmethod
    def check_scale(saved: Mapping[str, Any], source: str = "the pool") -> None:
        """Refuse a saved pool (``to_dict()`` output) whose weights were fitted on
        another per-date scale than z-scores: combining it in z-scores would give a
        wrong factor silently.  Pools saved without a ``scale`` were fitted in z-scores."""
        scale = saved.get("scale", "z")
        if scale != "z":
            raise ValueError(f"{source} was mined with scale {scale!r}; srkit combines pools in z-scores only "
                             "since the rank scale was removed (it mined worse pools, "
                             "benchmarks/notes/results-history-to-2026-12-07.md §8): mine the pool again")

    @classmethod
    def combined_from_file(cls, path: str | Path, panel: Panel) -> Array:
        """The saved pool's combined factor on a (new) panel."""
        formulas, weights = cls.load_formulas(path)
        if not formulas:
            raise ValueError(f"the pool in {path} is empty; mine longer or relax min_abs_ic / max_corr")
        return combine([factor_values(parse_factor(f, panel.fields), panel) for f in formulas], weights)
