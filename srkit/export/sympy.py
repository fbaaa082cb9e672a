"""Expr <-> sympy, built from the operator registry's sympy forms."""

from __future__ import annotations

import math
from typing import Any, Sequence

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorRegistry, OperatorSet

__all__ = ["to_sympy", "from_sympy", "complete_squares"]


def to_sympy(
    expr: Expr,
    *,
    symbols: Sequence[Any] | None = None,
    rational: bool = False,
    precision: int | None = None,
    coefficients: Sequence[Any] | None = None,
) -> Any:
    """The expression as a sympy object.

    Parameters
    ----------
    symbols : sympy symbols for the variables (default: real symbols named as the variables).
    rational : turn coefficients into exact rationals (``nsimplify``-style) instead of Floats.
    precision : round coefficients to this many significant digits first.
    coefficients : sympy numbers to use for the coefficient slots instead of the
        expression's floats (e.g. the literals of a formula exactly as written).

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
        elif code == COEF and coefficients is not None:
            stack.append(coefficients[arg])
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
    is ever evaluated.  A string is read by srkit's parser directly (as
    :func:`srkit.parse` does), never by ``sympy.sympify``, which would run it
    as Python code; any other object that is not a sympy expression or a
    number raises ``TypeError``.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> str(from_sympy(2 * sympy.sin(x) + x**2, ["x"]))
    'x ** 2 + 2.0 * sin(x)'
    >>> str(from_sympy("x**2 + 2*sin(x)"))
    'x ** 2 + 2.0 * sin(x)'
    """
    import numbers

    import sympy

    from srkit.core.parse import parse

    if isinstance(sym, str):
        if opset is None:  # variables in sorted order, as for a sympy expression
            opset = sorted(parse(sym, registry=registry).opset.variables)
        return parse(sym, opset, registry=registry)
    if isinstance(sym, bool) or not isinstance(sym, (sympy.Basic, numbers.Number)):
        raise TypeError(
            f"from_sympy takes a sympy expression (or a number), got {type(sym).__name__}; "
            "for formula text use srkit.parse(text, variables)"
        )
    # strict: only numbers and sympy objects are converted, never text
    sym = sympy.sympify(sym, strict=True)
    if opset is None:
        opset = sorted(str(s) for s in sym.free_symbols) or ["x0"]
    if sym.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo):
        raise ValueError(f"cannot convert {sym}: it is complex or infinite, not a real formula")
    text = sympy.sstr(sym, full_prec=True, order="none")
    return parse(text, opset, registry=registry)


def complete_squares(expr: Expr, rel_tol: float = 1e-9) -> Expr:
    """``expr`` expanded, with each ``a*x**2 + b*x*y + c*y**2`` whose discriminant
    ``b**2 - 4*a*c`` is zero (to ``rel_tol``) written ``a*(x + b/(2a)*y)**2``; ``expr``
    itself when nothing completes, the result is not smaller, or the operator set
    cannot write it.  A least-squares sum over monomials finds a squared distance as
    its expansion, ``x1**2 - 2*x1*x2 + x2**2 + ...``: nine terms in three dimensions,
    three squares once completed.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> str(complete_squares(parse("x**2 - 2*x*y + y**2 + 4*z**2 + 4*z*w + w**2 + 3", ["x", "y", "z", "w"])))
    '3.0 + (w + 2.0 * z) ** 2 + (x - y) ** 2'
    """
    from itertools import combinations

    import sympy

    try:
        sym = sympy.expand(to_sympy(expr))
    except Exception:  # noqa: BLE001 - a formula sympy cannot expand stays as it is
        return expr
    terms = dict(sym.as_coefficients_dict())
    squares = []
    used: set[Any] = set()
    for a, b in combinations(sorted(sym.free_symbols, key=str), 2):
        if a in used or b in used:
            continue
        try:
            ca, cb, cab = (float(terms.get(m, 0)) for m in (a**2, b**2, a * b))
        except TypeError:  # a symbolic coefficient: not a number to complete with
            continue
        if not (ca and cb and cab) or abs(cab * cab - 4 * ca * cb) > rel_tol * cab * cab:
            continue
        squares.append(_exact(ca) * (a + _exact(cab / (2 * ca)) * b) ** 2)
        for m in (a**2, b**2, a * b):
            del terms[m]
        used |= {a, b}
    if not squares:
        return expr
    try:
        out = from_sympy(sympy.Add(*(c * m for m, c in terms.items()), *squares), expr.opset)
    except Exception:  # noqa: BLE001 - e.g. no pow in the operator set
        return expr
    return out if out.size < expr.size else expr


def _exact(value: float) -> Any:
    """``value`` as a sympy number: a Rational of denominator 1 to 4 where it is one
    (``2``, ``1/2``, to 1e-9), else a Float, so that ``1.0000000001*x`` prints ``x``."""
    import sympy

    for q in (1, 2, 3, 4):
        if abs(value * q - round(value * q)) <= 1e-9 * max(1.0, abs(value * q)):
            return sympy.Rational(round(value * q), q)
    return sympy.Float(value)
