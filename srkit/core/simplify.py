"""Cheap structural simplification of an Expr (no sympy in the loop).

``fold_constants`` collapses every subtree that contains a fitted coefficient
and no variable into a single coefficient with the subtree's value: such a
subtree is one free number, and keeping it as ``(-559.3) / (-14422)`` only adds
complexity and makes fitting harder.  Subtrees of named constants alone
(``sqrt(pi)``) are kept, since they say something exact; ``2.0*pi`` holds a
fitted coefficient and folds to one number.
"""

from __future__ import annotations

import math

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR

__all__ = ["fold_constants", "drop_identities"]


def fold_constants(expr: Expr) -> Expr:
    """Replace coefficient-only subtrees by one coefficient holding their value.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> str(fold_constants(parse("x0 * (2.0 + 3.0) + sin(1.5 - 1.5)")))
    'x0 * 5.0 + 0.0'
    """
    if not (expr.codes == COEF).any() or expr.size < 2:
        return expr
    from srkit.fitness.interpreter import interpret  # the one place values are computed

    zeros = np.zeros((expr.opset.n_variables, 1))
    out, i = expr, 0
    # prefix order: fold the outermost foldable subtree, then move past it
    while i < out.size:
        j = out.subtree_end(i)
        codes = out.codes[i:j]
        if j - i > 1 and (codes == COEF).any() and not (codes == VAR).any():
            value = float(interpret(out.subtree(i), zeros, 1)[0])
            out = out.replace(i, Expr.coefficient(out.opset, value if math.isfinite(value) else math.nan))
        i += 1
    return out


def drop_identities(expr: Expr) -> Expr:
    """Remove arithmetic that does nothing: ``1*x``, ``x*0``, ``x + 0``, ``x - 0``, ``x/1``,
    ``x**1``; merge ``2*(3*x)`` into ``6*x`` and write ``x + (-2)*y`` as ``x - 2*y``.

    Meant for formulas whose coefficients were just snapped (``0.99999998 -> 1``):
    ``x*0`` is taken to be 0 even where ``x`` is not finite.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> str(drop_identities(parse("1.0*x0 + 0.0*sin(x1) + -2.0*(3.0*x1)")))
    'x0 - 6.0 * x1'
    """
    if expr.size < 3:
        return expr
    return _drop(expr, 0)


def _value(e: Expr) -> float | None:
    return float(e.coefs[0]) if e.size == 1 and int(e.codes[0]) == COEF else None


def _drop(expr: Expr, i: int) -> Expr:
    code = int(expr.codes[i])
    opset = expr.opset
    if opset.arity_of(code) == 0:
        return expr.subtree(i)
    kids = [_drop(expr, k) for k in expr.children(i)]
    name = opset.operator(code).name
    return _rule(opset, name, kids)


def _rule(opset: object, name: str, kids: list[Expr]) -> Expr:  # noqa: C901 - one rule per case
    from srkit.core.operators import OperatorSet

    assert isinstance(opset, OperatorSet)
    if len(kids) != 2:
        return Expr.apply(opset, name, *kids)
    a, b = kids
    va, vb = _value(a), _value(b)
    coef = lambda v: Expr.coefficient(opset, v)  # noqa: E731
    if name == "mul":
        if va is not None and vb is not None:
            return coef(va * vb)
        if vb is not None:  # coefficient first: c * x
            a, b, va, vb = b, a, vb, va
        if va is not None:
            if va == 1.0:
                return b
            if va == 0.0:
                return coef(0.0)
            inner = _leading(b)
            if inner is not None:
                return _rule(opset, "mul", [coef(va * inner[0]), inner[1]])
        return Expr.apply(opset, "mul", a, b)
    if name in ("add", "sub"):
        if vb == 0.0:
            return a
        if va == 0.0:
            return b if name == "add" else Expr.apply(opset, name, a, b)
        lead = _leading(b) if vb is None else (vb, None)
        other = "sub" if name == "add" else "add"
        if lead is not None and lead[0] < 0 and opset.has(other):
            flipped = coef(-lead[0]) if lead[1] is None else _rule(opset, "mul", [coef(-lead[0]), lead[1]])
            return Expr.apply(opset, other, a, flipped)
        return Expr.apply(opset, name, a, b)
    if name == "div":
        if vb == 1.0:
            return a
        if va == 0.0:
            return coef(0.0)
    if name == "pow":
        if vb == 1.0:
            return a
        if vb == 0.0:
            return coef(1.0)
    return Expr.apply(opset, name, a, b)


def _leading(e: Expr) -> tuple[float, Expr] | None:
    """``(c, x)`` when ``e`` is ``c * x`` with a coefficient ``c``."""
    opset = e.opset
    if e.size < 3 or not opset.has("mul") or int(e.codes[0]) != opset.code("mul"):
        return None
    left, right = e.children(0)
    if int(e.codes[left]) == COEF and right == left + 1:
        return float(e.coefs[0]), e.subtree(right)
    return None
