"""Random edits of formulas, drawn from one run's operator set.

The grammar-random proposer (the "random" baseline of the LLM papers) uses these
and the floor's random formulas (:func:`srkit.search.floor.random_formulas.random_expr`),
which every edit that needs a fresh sub-formula draws from; every result is a valid
:class:`~srkit.core.expr.Expr` within the size and depth limits it is given.
Randomness comes only from the Generator passed in.
"""

from __future__ import annotations

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.search.floor.random_formulas import random_expr

__all__ = ["mutate", "MUTATIONS"]

MUTATIONS = ("subtree", "point", "hoist", "wrap", "scale")


def _pick_operator(opset: OperatorSet, rng: np.random.Generator, arities: tuple[int, ...]) -> int | None:
    """The operator a "wrap" edit puts around a sub-formula, drawn by the set's weights."""
    codes = [c for a in arities for c in opset.codes_with_arity(a)]
    weights = np.array([opset.weights[c - 2] for c in codes], dtype=float)
    if not codes or weights.sum() <= 0:
        return None
    return int(codes[rng.choice(len(codes), p=weights / weights.sum())])


def mutate(
    expr: Expr,
    rng: np.random.Generator,
    *,
    max_size: int = 30,
    max_depth: int = 10,
    tries: int = 20,
) -> Expr:
    """A random edit of ``expr`` (one of :data:`MUTATIONS`) within the limits.

    Falls back to a fresh random formula when no edit fits after ``tries`` draws.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> e = parse("sin(x0) * x0")
    >>> m = mutate(e, np.random.default_rng(0), max_size=8, max_depth=4)
    >>> m.size <= 8 and m.depth <= 4 and not m.same_skeleton(e)
    True
    """
    opset = expr.opset
    for _ in range(tries):
        kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
        i = int(rng.integers(expr.size))
        if kind == "subtree":
            new = expr.replace(i, random_expr(opset, rng, max_depth=3))
        elif kind == "point":
            new = _point(expr, i, rng)
        elif kind == "hoist":
            new = expr.subtree(i) if i else expr.subtree(int(rng.integers(expr.size)))
        elif kind == "wrap":
            code = _pick_operator(opset, rng, (1, 2))
            if code is None:
                continue
            inner = expr.subtree(i)
            kids = [inner] if opset.arity_of(code) == 1 else [inner, random_expr(opset, rng, max_depth=2)]
            if opset.arity_of(code) == 2 and rng.random() < 0.5:
                kids.reverse()
            new = expr.replace(i, Expr.apply(opset, opset.operator(code).name, *kids))
        else:  # scale: c * expr or expr + c, when the set has mul / add
            name = "mul" if rng.random() < 0.5 else "add"
            if not opset.has(name):
                continue
            new = Expr.apply(opset, name, Expr.coefficient(opset, 1.0), expr)
        if new.size <= max_size and new.depth <= max_depth and not new.same_skeleton(expr):
            return new
    return random_expr(opset, rng, max_depth=min(4, max_depth), max_size=max_size)


def _point(expr: Expr, i: int, rng: np.random.Generator) -> Expr:
    """Swap node ``i`` for another of the same arity (a leaf for another leaf)."""
    opset = expr.opset
    code = int(expr.codes[i])
    arity = opset.arity_of(code)
    if arity == 0:
        leaf = random_expr(opset, rng, max_depth=1)
        return expr.replace(i, leaf)
    choices = [c for c in opset.codes_with_arity(arity) if c != code]
    if not choices:
        return expr
    codes = expr.codes.copy()
    codes[i] = choices[int(rng.integers(len(choices)))]
    return Expr(codes, expr.args, expr.coefs, opset)
