"""Expr <-> sympy, built from the operator registry's sympy forms."""

from __future__ import annotations

import math
from typing import Any, Sequence

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorRegistry, OperatorSet

__all__ = ["to_sympy", "from_sympy"]


def to_sympy(
    expr: Expr,
    *,
    symbols: Sequence[Any] | None = None,
    rational: bool = False,
    precision: int | None = None,
) -> Any:
    """The expression as a sympy object.

    Parameters
    ----------
    symbols : sympy symbols for the variables (default: real symbols named as the variables).
    rational : turn coefficients into exact rationals (``nsimplify``-style) instead of Floats.
    precision : round coefficients to this many significant digits first.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> to_sympy(parse("2.5*x0 + sin(x1)"))
    2.5*x0 + sin(x1)
    """
    import sympy

    if symbols is None:
        symbols = [sympy.Symbol(name, real=True) for name in expr.opset.variables]
    opset = expr.opset
    stack: list[Any] = []
    for i in range(expr.size - 1, -1, -1):
        code, arg = int(expr.codes[i]), int(expr.args[i])
        if code == VAR:
            stack.append(symbols[arg])
        elif code == COEF:
            value = float(expr.coefs[arg])
            if precision is not None:
                value = float(f"{value:.{precision}g}")
            if rational:
                stack.append(sympy.nsimplify(value, rational=True))
            elif math.isfinite(value) and value == int(value) and abs(value) < 2**53:
                stack.append(sympy.Integer(int(value)))
            else:
                stack.append(sympy.Float(value))
        else:
            op = opset.operator(code)
            form = op.sympy_form()
            if op.arity == 0:
                stack.append(form)
            else:
                args = [stack.pop() for _ in range(op.arity)]
                stack.append(form(*args))
    return stack[0]


def from_sympy(
    sym: Any,
    opset: OperatorSet | Sequence[str] | None = None,
    *,
    registry: OperatorRegistry | None = None,
) -> Expr:
    """An Expr from a sympy expression, through srkit's parser.

    sympy's printer writes only operator names and numbers, which the parser
    maps back by name and alias (``Abs``, ``exp``, ``pi``, ``E``), so no text
    is ever evaluated.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> str(from_sympy(2 * sympy.sin(x) + x**2, ["x"]))
    'x ** 2 + 2.0 * sin(x)'
    """
    import sympy

    from srkit.core.parse import parse

    sym = sympy.sympify(sym)
    if opset is None:
        opset = sorted(str(s) for s in sym.free_symbols) or ["x0"]
    if sym.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo):
        raise ValueError(f"cannot convert {sym}: it is complex or infinite, not a real formula")
    text = sympy.sstr(sym, full_prec=True, order="none")
    return parse(text, opset, registry=registry)
