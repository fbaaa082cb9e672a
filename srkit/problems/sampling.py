"""Sampling plans of benchmark splits.

A :class:`Sampling` describes how one split (train or test) of a benchmark is drawn, with
the semantics of the deep-symbolic-optimization benchmark table:

* ``U[a, b, n]``: ``n`` i.i.d. uniform draws per variable (rows with ``|y| >= 100`` re-drawn
  where the suite says so);
* ``E[a, b, step]``: ``linspace(a, b, int((b - a) / step) + 1)`` per variable, Cartesian
  grid for several variables;
* evenly spaced points (``linspace(a, b, n)``), used by the R suite.

Randomness comes only from ``numpy.random.Generator`` objects (see :func:`make_rng`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

SamplingKind = Literal["uniform", "grid", "linspace"]

_SPLIT_KEYS = {"train": 0, "test": 1}
_MAX_REDRAW_ROUNDS = 1000


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Sampling:
    """How one split of a benchmark problem is sampled.

    Parameters
    ----------
    kind : {"uniform", "grid", "linspace"}
        ``"uniform"`` = ``U[a, b, n]``, ``"grid"`` = ``E[a, b, step]`` (Cartesian product),
        ``"linspace"`` = ``n`` evenly spaced points per variable (Cartesian product).
    low, high : tuple of float
        Per-variable range.
    n : int, optional
        Number of draws (uniform) or points per variable (linspace).
    step : tuple of float, optional
        Per-variable grid step (grid only).
    max_abs_y : float, optional
        Uniform only: rows whose target is non-finite or has ``|y| >= max_abs_y`` are
        re-drawn.

    Examples
    --------
    >>> s = Sampling.uniform((-1, 1), n=20, max_abs_y=100)
    >>> s.describe(), s.size
    ('U[-1,1] n=20 |y|<100', 20)
    >>> Sampling.grid((-3, 3, 0.01), (-3, 3, 0.01)).size
    361201
    """

    kind: SamplingKind
    low: tuple[float, ...]
    high: tuple[float, ...]
    n: int | None = None
    step: tuple[float, ...] | None = None
    max_abs_y: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "grid", "linspace"):
            raise ValueError(f"unknown sampling kind {self.kind!r}")
        if len(self.low) != len(self.high) or not self.low:
            raise ValueError("low and high must be non-empty and of equal length")
        if any(h < lo for lo, h in zip(self.low, self.high)):
            raise ValueError("every range needs low <= high")
        if self.kind == "grid":
            if self.step is None or len(self.step) != len(self.low):
                raise ValueError("a grid needs one step per variable")
            if any(s <= 0 for s in self.step):
                raise ValueError("grid steps must be positive")
        elif self.n is None or self.n < 1:
            raise ValueError(f"a {self.kind} sampling needs n >= 1")
        if self.max_abs_y is not None and self.kind != "uniform":
            raise ValueError("the |y| redraw rule applies to uniform sampling only")

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def uniform(
        cls, *ranges: tuple[float, float], n: int, max_abs_y: float | None = None
    ) -> Sampling:
        """``U[a, b, n]`` for each ``(a, b)`` in ``ranges``.

        Examples
        --------
        >>> Sampling.uniform((0, 1), (0, 1), n=20).n_variables
        2
        """
        return cls(
            "uniform",
            tuple(float(r[0]) for r in ranges),
            tuple(float(r[1]) for r in ranges),
            n=int(n),
            max_abs_y=None if max_abs_y is None else float(max_abs_y),
        )

    @classmethod
    def grid(cls, *ranges: tuple[float, float, float]) -> Sampling:
        """``E[a, b, step]`` for each ``(a, b, step)`` in ``ranges`` (Cartesian product).

        Examples
        --------
        >>> Sampling.grid((1, 50, 1)).size
        50
        """
        return cls(
            "grid",
            tuple(float(r[0]) for r in ranges),
            tuple(float(r[1]) for r in ranges),
            step=tuple(float(r[2]) for r in ranges),
        )

    @classmethod
    def linspace(cls, *ranges: tuple[float, float], n: int) -> Sampling:
        """``n`` evenly spaced points per ``(a, b)`` range (Cartesian product).

        Examples
        --------
        >>> Sampling.linspace((-1, 1), n=20).size
        20
        """
        return cls(
            "linspace",
            tuple(float(r[0]) for r in ranges),
            tuple(float(r[1]) for r in ranges),
            n=int(n),
        )

    # -- properties -----------------------------------------------------------------------
    @property
    def n_variables(self) -> int:
        """Number of input variables."""
        return len(self.low)

    @property
    def is_random(self) -> bool:
        """True for uniform draws, False for deterministic grids."""
        return self.kind == "uniform"

    def axis_sizes(self) -> tuple[int, ...]:
        """Points per variable of a grid/linspace plan (``(n,) * d`` for uniform)."""
        if self.kind == "grid":
            assert self.step is not None
            return tuple(
                int((b - a) / s) + 1 for a, b, s in zip(self.low, self.high, self.step)
            )
        assert self.n is not None
        return (self.n,) * self.n_variables

    @property
    def size(self) -> int:
        """Number of rows the plan produces (without an ``n`` override)."""
        if self.kind == "uniform":
            assert self.n is not None
            return self.n
        return math.prod(self.axis_sizes())

    def axes(self) -> list[np.ndarray]:
        """The 1-D point sets of a grid/linspace plan, one per variable."""
        if self.kind == "uniform":
            raise ValueError("a uniform plan has no fixed axes")
        return [
            np.linspace(a, b, k) for a, b, k in zip(self.low, self.high, self.axis_sizes())
        ]

    def sign(self, i: int) -> Literal["positive", "nonnegative", "real"]:
        """What every sampled value of variable ``i`` satisfies.

        A uniform draw on ``[0, b]`` counts as positive (0 has probability zero); a grid
        that contains 0 is nonnegative.
        """
        lo = self.low[i]
        if lo > 0 or (self.kind == "uniform" and lo >= 0):
            return "positive"
        if lo >= 0:
            return "nonnegative"
        return "real"

    def describe(self) -> str:
        """Short text such as ``"U[-1,1] n=20 |y|<100"`` or ``"E[1,50,1] (grid, n=50)"``."""
        if self.kind == "uniform":
            rng = ", ".join(f"U[{_fmt(a)},{_fmt(b)}]" for a, b in zip(self.low, self.high))
            text = f"{rng} n={self.n}"
            if self.max_abs_y is not None:
                text += f" |y|<{_fmt(self.max_abs_y)}"
            return text
        if self.kind == "grid":
            assert self.step is not None
            rng = ", ".join(
                f"E[{_fmt(a)},{_fmt(b)},{_fmt(s)}]"
                for a, b, s in zip(self.low, self.high, self.step)
            )
            return f"{rng} (grid, n={self.size})"
        rng = ", ".join(f"L[{_fmt(a)},{_fmt(b)}]" for a, b in zip(self.low, self.high))
        if self.n_variables == 1:
            return f"{rng} n={self.n} (evenly spaced)"
        return f"{rng} ({self.n} evenly spaced each, n={self.size})"

    # -- drawing ------------------------------------------------------------------------
    def draw(
        self,
        rng: np.random.Generator,
        n: int | None = None,
        func: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Draw the input matrix ``X`` (float64, shape ``(rows, n_variables)``).

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness (unused by a full grid).
        n : int, optional
            Override the number of rows. Uniform: ``n`` draws. Grid/linspace: ``n``
            distinct grid points chosen at random (the whole grid when ``n >= size``).
        func : callable, optional
            Target function, needed for the ``max_abs_y`` redraw rule.

        Examples
        --------
        >>> s = Sampling.uniform((0, 2), n=5)
        >>> s.draw(np.random.default_rng(0)).shape
        (5, 1)
        """
        if n is not None and n < 1:
            raise ValueError("n must be >= 1")
        if self.kind == "uniform":
            return self._draw_uniform(rng, self.n if n is None else n, func)
        return self._draw_grid(rng, n)

    def _draw_uniform(
        self,
        rng: np.random.Generator,
        n: int | None,
        func: Callable[[np.ndarray], np.ndarray] | None,
    ) -> np.ndarray:
        assert n is not None
        low = np.asarray(self.low, dtype=np.float64)
        high = np.asarray(self.high, dtype=np.float64)
        X = rng.uniform(low, high, size=(n, self.n_variables))
        if self.max_abs_y is None or func is None:
            return X
        for _ in range(_MAX_REDRAW_ROUNDS):
            with np.errstate(all="ignore"):
                y = np.asarray(func(X), dtype=np.float64)
            bad = ~np.isfinite(y) | (np.abs(y) >= self.max_abs_y)
            k = int(bad.sum())
            if k == 0:
                return X
            X[bad] = rng.uniform(low, high, size=(k, self.n_variables))
        raise RuntimeError(
            f"could not draw {n} rows with |y| < {self.max_abs_y} "
            f"after {_MAX_REDRAW_ROUNDS} rounds"
        )

    def _draw_grid(self, rng: np.random.Generator, n: int | None) -> np.ndarray:
        axes = self.axes()
        shape = tuple(len(a) for a in axes)
        total = math.prod(shape)
        if n is None or n >= total:
            mesh = np.meshgrid(*axes, indexing="ij")
            return np.column_stack([m.ravel() for m in mesh]).astype(np.float64)
        flat = np.sort(rng.choice(total, size=n, replace=False))
        idx = np.unravel_index(flat, shape)
        return np.column_stack([ax[i] for ax, i in zip(axes, idx)]).astype(np.float64)


def make_rng(
    random_state: int | np.random.Generator | None, split: str = "train"
) -> np.random.Generator:
    """A numpy Generator for one split.

    An int seed gives independent, reproducible streams for ``"train"`` and ``"test"``
    (``default_rng([seed, split_key])``); a Generator is used as is; ``None`` gives fresh
    OS entropy.

    Examples
    --------
    >>> a = make_rng(1, "train").random(); b = make_rng(1, "train").random()
    >>> a == b, a == make_rng(1, "test").random()
    (True, False)
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (int, np.integer)
    ):
        raise TypeError("random_state must be None, an int or a numpy Generator")
    if random_state < 0:
        raise ValueError("random_state must be a non-negative int")
    return np.random.default_rng([int(random_state), _SPLIT_KEYS[split]])
