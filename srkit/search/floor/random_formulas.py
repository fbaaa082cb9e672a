"""Random formulas over one run's operator set: srkit's one random-formula generator.

:func:`random_expr` draws an :class:`~srkit.core.expr.Expr` within size and depth
limits, with variable, coefficient and named-constant leaves, from the
``numpy.random.Generator`` it is given (same generator state, same formula).  Two ways
to choose the shape:

- **grow** (``size=None``): top-down, every node below the root is a leaf with
  probability ``p_leaf`` and always at ``max_depth``; an operator is drawn only where
  its arguments still fit in ``max_size``;
- **sized** (``size=n`` or ``size=(lo, hi)``): exactly ``n`` nodes (``n`` drawn
  uniformly from the sizes in ``[lo, hi]`` that the operators' arities and ``max_depth``
  allow); each node's operator is drawn among those whose arguments can hold the node's
  remaining size, and the size is split among the arguments uniformly.

Operators are drawn by weight: the operator set's sampling weights, or the caller's
``operator_weights`` (zero leaves an operator out).  Users: the llm searcher's
grammar-random proposer and its random edits (grow, coefficients and constants),
the alpha module's random baseline (grow, variables only: a factor's meaning comes
from its fields and windows, and each window of ``ts_mean`` is an operator of its own),
and ``benchmarks/bench_evaluator.py`` (sized, 10-30 nodes).
"""

from __future__ import annotations

import bisect
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, N_TERMINAL_CODES, VAR, OperatorSet

__all__ = ["random_expr", "rounded_coefficient"]


def rounded_coefficient(rng: np.random.Generator) -> float:
    """The default coefficient leaf: uniform on [-2, 2], rounded to two decimals, never 0.

    >>> rounded_coefficient(np.random.default_rng(0))
    0.55
    """
    return float(np.round(rng.uniform(-2.0, 2.0), 2)) or 1.0


def random_expr(
    opset: OperatorSet,
    rng: np.random.Generator,
    *,
    max_depth: int | None = 4,
    max_size: int | None = None,
    size: int | tuple[int, int] | None = None,
    p_leaf: float = 0.3,
    p_coef: float = 0.2,
    p_constant: float = 0.05,
    coefficient: Callable[[np.random.Generator], float] = rounded_coefficient,
    operator_weights: Sequence[float] | None = None,
) -> Expr:
    """A random formula over ``opset`` within ``max_depth`` (a leaf has depth 1) and ``max_size``.

    Parameters
    ----------
    max_depth, max_size : limits; None is no limit (grow needs at least one of them).
    size : None grows the tree (below); an int or an inclusive ``(lo, hi)`` range asks
        for exactly that many nodes, drawn uniformly among the sizes the limits allow.
    p_leaf : grow only: chance that a node below the root is a leaf.  The root is an
        operator whenever one fits.
    p_coef, p_constant : shares of leaves that are coefficients and named constants
        (``pi``, when the set has one; else that share goes to coefficients); the rest
        are variables, drawn uniformly.
    coefficient : draws a coefficient leaf's value from ``rng``.
    operator_weights : one non-negative weight per operator of ``opset`` (in its order);
        None uses ``opset.weights``.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"])
    >>> e = random_expr(ops, np.random.default_rng(0), max_depth=3)
    >>> e.depth <= 3
    True
    >>> sized = [random_expr(ops, np.random.default_rng(s), size=(10, 12), max_depth=None) for s in range(5)]
    >>> all(10 <= e.size <= 12 for e in sized)
    True
    >>> leaves = random_expr(ops, np.random.default_rng(0), max_size=7, p_coef=0.0, p_constant=0.0)
    >>> leaves.size <= 7 and leaves.n_coefs == 0
    True
    """
    weights = _weights(opset, operator_weights)
    if opset.n_variables < 1:
        raise ValueError("the operator set has no variables to draw formulas over")
    for name, p in (("p_leaf", p_leaf), ("p_coef", p_coef), ("p_constant", p_constant)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1]; got {p}")
    if p_coef + p_constant > 1.0:
        raise ValueError(f"p_coef + p_constant must be at most 1; got {p_coef} + {p_constant}")
    for name, limit in (("max_depth", max_depth), ("max_size", max_size)):
        if limit is not None and limit < 1:
            raise ValueError(f"{name} must be at least 1 (or None for no limit); got {limit}")
    leaf = _Leaves(opset, rng, weights, p_coef, p_constant, coefficient)
    if size is None:
        if max_depth is None and max_size is None:
            raise ValueError("growing a formula needs max_depth or max_size (or ask for a size)")
        return _grow(opset, rng, weights, leaf, max_depth, max_size, p_leaf)
    return _sized(opset, rng, weights, leaf, max_depth, max_size, size)


# ---------------------------------------------------------------------- operators
def _weights(opset: OperatorSet, operator_weights: Sequence[float] | None) -> np.ndarray:
    w = np.asarray(opset.weights if operator_weights is None else operator_weights, dtype=float)
    if w.shape != (len(opset.operators),) or not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"operator_weights must be one finite non-negative number per operator "
                         f"({len(opset.operators)}); got {list(np.atleast_1d(w))}")
    return w


class _Draw:
    """Draws one of ``codes`` (or of its first ``k``) by weight, as ``rng.choice(k, p=...)`` would."""

    def __init__(self, codes: list[int], weights: np.ndarray) -> None:
        self.codes = codes
        self.w = np.array([weights[c - N_TERMINAL_CODES] for c in codes], dtype=float)
        self._cdf: dict[int, np.ndarray | None] = {}

    def __call__(self, rng: np.random.Generator, k: int | None = None) -> int | None:
        """A code; None when there is none to draw (no codes, or all weights zero)."""
        k = len(self.codes) if k is None else min(k, len(self.codes))
        if k not in self._cdf:
            w = self.w[:k]
            total = w.sum()
            cdf = None
            if k and total > 0:
                cdf = (w / total).cumsum()
                cdf /= cdf[-1]
            self._cdf[k] = cdf
        cdf = self._cdf[k]
        if cdf is None:
            return None
        return self.codes[int(cdf.searchsorted(rng.random(), side="right"))]


class _Leaves:
    """Draws one leaf: a named constant, a coefficient or a variable."""

    def __init__(self, opset: OperatorSet, rng: np.random.Generator, weights: np.ndarray,
                 p_coef: float, p_constant: float, coefficient: Callable[[np.random.Generator], float]) -> None:
        self.opset, self.rng, self.weights = opset, rng, weights
        self.p_coef, self.p_constant, self.coefficient = p_coef, p_constant, coefficient
        self.constant = _Draw(opset.codes_with_arity(0), weights)

    def draw(self, codes: list[int], args: list[int], coefs: list[float]) -> None:
        rng = self.rng
        r = rng.random() if self.p_coef + self.p_constant > 0 else 1.0
        constant = self.constant(rng) if r < self.p_constant else None
        if constant is not None:
            codes.append(constant)
            args.append(0)
        elif r < self.p_constant + self.p_coef:
            codes.append(COEF)
            args.append(len(coefs))
            coefs.append(float(self.coefficient(rng)))
        else:
            codes.append(VAR)
            args.append(int(rng.integers(self.opset.n_variables)))


# ---------------------------------------------------------------------- grow
def _grow(opset: OperatorSet, rng: np.random.Generator, weights: np.ndarray, leaf: _Leaves,
          max_depth: int | None, max_size: int | None, p_leaf: float) -> Expr:
    # operators by rising arity: those that fit in ``room`` nodes are a prefix
    internal = [c for a in sorted({op.arity for op in opset.operators} - {0}) for c in opset.codes_with_arity(a)]
    arities = [opset.arity_of(c) for c in internal]
    draw = _Draw(internal, weights)
    codes: list[int] = []
    args: list[int] = []
    coefs: list[float] = []
    stack = [1]  # depth of each open argument slot, the next one last
    while stack:
        depth = stack.pop()
        code = None
        if (max_depth is None or depth < max_depth) and (depth == 1 or rng.random() >= p_leaf):
            # nodes this one's arguments may take: every open slot needs at least a leaf
            room = None if max_size is None else max_size - len(codes) - 1 - len(stack)
            code = draw(rng, None if room is None else bisect.bisect_right(arities, room))
        if code is None:
            leaf.draw(codes, args, coefs)
            continue
        codes.append(code)
        args.append(0)
        stack.extend([depth + 1] * opset.arity_of(code))
    return Expr(codes, args, coefs, opset)


# ---------------------------------------------------------------------- sized
def _sized(opset: OperatorSet, rng: np.random.Generator, weights: np.ndarray, leaf: _Leaves,
           max_depth: int | None, max_size: int | None, size: int | tuple[int, int]) -> Expr:
    lo, hi = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    if max_size is not None:
        hi = min(hi, max_size)
    arities = tuple(sorted({op.arity for op, w in zip(opset.operators, weights) if op.arity and w > 0}))
    depth = max_depth if max_depth is not None else max(hi, 1)
    table = _SizeTable.of(arities, depth, max(hi, 1))
    choices = [n for n in range(max(lo, 1), hi + 1) if table.fits(n, depth)]
    if not choices:
        raise ValueError(f"no formula of {lo}-{hi} nodes fits depth {max_depth} with operators of arity "
                         f"{list(arities) or 'none'}; widen the size range or raise max_depth")
    draws: dict[tuple[int, ...], _Draw] = {}  # by the arities that fit
    codes: list[int] = []
    args: list[int] = []
    coefs: list[float] = []
    stack = [(choices[int(rng.integers(len(choices)))], depth)]  # (nodes, depth left) per open slot
    while stack:
        n, d = stack.pop()
        if n == 1:
            leaf.draw(codes, args, coefs)
            continue
        fit = tuple(a for a in arities if table.splits(n - 1, a, d - 1))
        if fit not in draws:
            draws[fit] = _Draw([c for a in fit for c in opset.codes_with_arity(a)], weights)
        code = draws[fit](rng)
        assert code is not None  # the size was drawn among those the table says fit
        codes.append(code)
        args.append(0)
        parts: list[int] = []
        left = n - 1
        arity = opset.arity_of(code)
        for i in range(arity):
            fits = [s for s in range(1, left + 1)
                    if table.fits(s, d - 1) and table.splits(left - s, arity - i - 1, d - 1)]
            s = fits[int(rng.integers(len(fits)))]
            parts.append(s)
            left -= s
        stack.extend((s, d - 1) for s in reversed(parts))
    return Expr(codes, args, coefs, opset)


class _SizeTable:
    """Which sizes a tree of depth at most ``d`` can have, for operators of the given arities
    (bit ``n`` of ``trees[d]``), and which totals ``k`` such trees can share (``sums[d][k]``)."""

    def __init__(self, arities: tuple[int, ...], depth: int, limit: int) -> None:
        mask = (1 << (limit + 1)) - 1
        k_max = max(arities, default=0)
        self.trees = [0, 0b10]  # depth 0: nothing; depth 1: a leaf
        self.sums = [[1] + [0] * k_max, _sums(0b10, k_max, mask)]
        for _ in range(2, depth + 1):
            below = self.sums[-1]
            trees = 0b10
            for a in arities:
                trees |= (below[a] << 1) & mask
            self.trees.append(trees)
            self.sums.append(_sums(trees, k_max, mask))

    @staticmethod
    @lru_cache(maxsize=64)
    def of(arities: tuple[int, ...], depth: int, limit: int) -> "_SizeTable":
        return _SizeTable(arities, depth, limit)

    def fits(self, n: int, depth: int) -> bool:
        return n >= 0 and bool(self.trees[depth] >> n & 1)

    def splits(self, total: int, k: int, depth: int) -> bool:
        """Whether ``k`` trees of depth at most ``depth`` can have ``total`` nodes in all."""
        return total >= 0 and bool(self.sums[depth][k] >> total & 1)


def _sums(trees: int, k_max: int, mask: int) -> list[int]:
    """Bit sets of the totals of ``k`` sizes from ``trees``, for ``k = 0..k_max``."""
    out = [1]
    for _ in range(k_max):
        prev, acc, bits, n = out[-1], 0, trees, 0
        while bits:
            if bits & 1:
                acc |= prev << n
            bits >>= 1
            n += 1
        out.append(acc & mask)
    return out
