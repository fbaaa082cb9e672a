"""Cheap structural simplification of an Expr (no sympy in the loop, no values computed).

``drop_identities`` removes arithmetic that does nothing (``1*x``, ``x + 0``).
Constant folding needs the values of subtrees, so it lives with the interpreter:
:func:`srkit.fitness.fold.fold_constants` (core never imports fitness).
"""

from __future__ import annotations

from srkit.core.expr import Expr
from srkit.core.operators import COEF

__all__ = ["drop_identities"]


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
