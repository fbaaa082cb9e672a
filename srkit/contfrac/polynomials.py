"""Integer polynomials in ``n`` as coefficient tuples, lowest degree first.

The continued-fraction code keeps polynomials as plain tuples of Python ints so
that hot paths never touch sympy; sympy is used only to read strings and
expressions given by the user and to factor when deflating.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable

__all__ = ["as_poly", "poly_str", "poly_mul", "poly_shift", "poly_divmod", "degree"]

Poly = tuple[int, ...]


def _strip(c: Iterable[int]) -> Poly:
    c = list(c)
    while c and c[-1] == 0:
        c.pop()
    return tuple(c)


def _as_int(x: Any, what: str) -> int:
    if isinstance(x, bool):
        raise TypeError(f"{what}: got a bool, expected an integer coefficient")
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real) and float(x).is_integer():
        return int(float(x))
    if getattr(x, "is_Integer", False):  # a sympy Integer
        return int(x)
    raise ValueError(
        f"{what}: coefficient {x!r} is not an integer; PCF coefficients must be integers "
        "(scale a(n) by c and b(n) by c**2 to clear denominators: the limit is then c times larger)"
    )


def as_poly(p: Any, what: str = "polynomial") -> Poly:
    """Read a polynomial in ``n``: a coefficient list (lowest degree first), an int, a string or a sympy expression.

    >>> as_poly("4*n+3"), as_poly([3, 4, 0]), as_poly(5)
    ((3, 4), (3, 4), (5,))
    """
    if isinstance(p, (list, tuple)):
        return _strip(_as_int(c, what) for c in p)
    if hasattr(p, "tolist") and not hasattr(p, "free_symbols"):  # numpy array
        return as_poly(list(p.tolist()), what)
    if isinstance(p, numbers.Integral) and not isinstance(p, bool):
        return _strip([int(p)])
    import sympy

    n = sympy.Symbol("n")
    if isinstance(p, str):
        # srkit's own parser, never sympify (which evals): the same rule as for formulas
        from srkit.core.parse import ParseError, parse
        from srkit.export.sympy import to_sympy

        try:
            expr = to_sympy(parse(p, ["n"]), symbols=[n], rational=True)
        except ParseError as exc:
            raise ValueError(f"{what}: cannot read {p!r} as a polynomial in n ({exc})") from None
    elif isinstance(p, sympy.Basic):
        expr = p
    else:
        raise TypeError(f"{what}: expected a string, sympy expression or coefficient list, got {type(p).__name__}")
    free = {s.name for s in expr.free_symbols}
    if free - {"n"}:
        raise ValueError(f"{what}: {p!r} uses {sorted(free - {'n'})}; only the variable n is allowed")
    try:
        poly = sympy.Poly(sympy.expand(expr), n)
    except sympy.PolynomialError:
        raise ValueError(f"{what}: {p!r} is not a polynomial in n") from None
    return _strip(_as_int(c, what) for c in reversed(poly.all_coeffs()))


def degree(p: Poly) -> int:
    """Degree (``-1`` for the zero polynomial)."""
    return len(p) - 1


def poly_str(p: Poly) -> str:
    """Readable form, highest degree first: ``(3, 4) -> '4*n + 3'``."""
    if not p:
        return "0"
    terms = []
    for k in range(len(p) - 1, -1, -1):
        c = p[k]
        if c == 0:
            continue
        mono = "" if k == 0 else ("n" if k == 1 else f"n**{k}")
        mag = abs(c)
        body = str(mag) if not mono else (mono if mag == 1 else f"{mag}*{mono}")
        sign = "-" if c < 0 else "+"
        terms.append((sign, body))
    first_sign, first = terms[0]
    out = ("-" if first_sign == "-" else "") + first
    for sign, body in terms[1:]:
        out += f" {sign} {body}"
    return out


def poly_mul(p: Poly, q: Poly) -> Poly:
    """Product of two polynomials."""
    if not p or not q:
        return ()
    out = [0] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        for j, y in enumerate(q):
            out[i + j] += x * y
    return _strip(out)


def poly_shift(p: Poly, k: int) -> Poly:
    """Coefficients of ``p(n + k)``."""
    out = [0] * len(p)
    for i, c in enumerate(p):
        for j in range(i + 1):  # c * (n + k)^i
            out[j] += c * math.comb(i, j) * k ** (i - j)
    return _strip(out)


def poly_divmod(p: Poly, d: Poly) -> "tuple[Poly, Poly] | None":
    """Exact integer division ``p = s*d + r``; ``None`` if a quotient coefficient is not an integer."""
    if not d:
        raise ZeroDivisionError("division by the zero polynomial")
    rem = list(p)
    quot = [0] * max(len(p) - len(d) + 1, 0)
    for i in range(len(quot) - 1, -1, -1):
        c, r = divmod(rem[i + len(d) - 1], d[-1])
        if r:
            return None
        quot[i] = c
        for j, y in enumerate(d):
            rem[i + j] -= c * y
    return _strip(quot), _strip(rem)
