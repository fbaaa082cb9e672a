"""Infix text of an Expr that :func:`srkit.core.parse.parse` reads back exactly.

Rules that make the round trip exact: binary operators are left-associative, so
a right operand of equal precedence gets parentheses (``a - (b - c)``,
``a + (b + c)``); a negative coefficient is printed in parentheses, ``(-2.5)``,
and unary minus applied to anything else stays the ``neg`` operator.  An integral
exponent is printed as an integer (``x ** 2``); it reads back as the same coefficient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from srkit.core.operators import COEF, VAR

if TYPE_CHECKING:
    from srkit.core.expr import Expr

__all__ = ["to_text", "format_number"]

_ATOM = 1000  # precedence of leaves and function calls
_NEG = 30


def format_number(value: float, precision: int | None = None) -> str:
    """Shortest exact text for ``value`` (``repr``), or ``precision`` significant digits."""
    if precision is None:
        text = repr(float(value))
    else:
        text = f"{value:.{precision}g}"
    return text


def to_text(expr: Expr, precision: int | None = None) -> str:
    """Infix text of ``expr``; coefficients exact unless ``precision`` is given."""
    text, _ = _node(expr, 0, precision)
    return text


def _node(expr: Expr, i: int, precision: int | None) -> tuple[str, int]:
    code, arg = int(expr.codes[i]), int(expr.args[i])
    opset = expr.opset
    if code == VAR:
        return opset.variables[arg], _ATOM
    if code == COEF:
        value = float(expr.coefs[arg])
        text = format_number(value, precision)
        if text.startswith("-") or text in ("inf", "nan"):
            return f"({text})", _ATOM
        return text, _ATOM
    op = opset.operator(code)
    if op.arity == 0:
        return op.name, _ATOM
    kids = [_node(expr, k, precision) for k in expr.children(i)]
    if op.infix == "**":
        # an integral exponent reads as one (x ** 3, not x ** 3.0); it parses back to the
        # same coefficient, and sympy (and SRBench's check) equate x**3 only with x**3
        k = expr.children(i)[1]
        if int(expr.codes[k]) == COEF:
            value = float(expr.coefs[int(expr.args[k])])
            if value.is_integer() and abs(value) < 2**53:
                kids[1] = (f"({int(value)})" if value < 0 else str(int(value)), _ATOM)
    if op.text:  # e.g. "ts_mean({0}, 5)" for a window-specialised operator
        return op.text.format(*(t for t, _ in kids)), _ATOM
    if op.name == "neg":
        text, prec = kids[0]
        if prec < _ATOM or text.startswith("(-") or _is_number(text):
            text = f"({text})"
        return f"-{text}", _NEG
    if op.infix and op.arity == 2:
        (lt, lp), (rt, rp) = kids
        right_assoc = op.infix == "**"
        if lp < op.precedence or (right_assoc and lp == op.precedence):
            lt = f"({lt})"
        if rp < op.precedence or (not right_assoc and rp == op.precedence) or rp == _NEG:
            rt = f"({rt})"
        if right_assoc and lp == _NEG:
            lt = f"({lt})" if not lt.startswith("(") else lt
        return f"{lt} {op.infix} {rt}", op.precedence
    return f"{op.name}({', '.join(t for t, _ in kids)})", _ATOM


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
