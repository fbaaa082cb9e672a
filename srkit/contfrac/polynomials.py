"""Integer polynomials in ``n`` as coefficient tuples, lowest degree first.

The continued-fraction code keeps polynomials as plain tuples of Python ints so
that hot paths never touch sympy.  Strings are read with srkit's own parser and
expanded here with exact integer arithmetic (never ``sympify``, which evaluates
text); sympy expressions are walked node by node the same way.

Every step of the expansion is sized *before* it is computed, so that an input
such as ``"10**10**10"`` or ``"(n+1)**100000"`` is refused at once instead of
filling memory:

- :data:`MAX_DEGREE` (64) bounds the degree of a(n), b(n) and of every
  intermediate result (``deg(p*q) = deg p + deg q``, ``deg(p**k) = k deg p``).
  PCF research uses degrees up to about 10, and the exact convergents cost
  grows with the degree, so 64 leaves ample room.
- :data:`MAX_DIGITS` (2000) bounds the decimal digits of every integer and of
  the numerator and denominator of every rational constant, again checked from
  the operands' sizes before a product or power is formed.
- A literal of 2**53 or more is refused: the parser reads numbers as float64,
  which cannot hold such an integer exactly; write it as a product of powers
  (``10**20 + 7``) or give the coefficient list.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any, Iterable

__all__ = [
    "as_poly", "poly_str", "poly_mul", "poly_shift", "poly_divmod", "degree",
    "MAX_DEGREE", "MAX_DIGITS", "PolynomialSizeError",
]

Poly = tuple[int, ...]

#: Largest degree of a(n), b(n) (and of any step of their expansion).
MAX_DEGREE = 64
#: Most decimal digits of a coefficient (numerator and denominator of a rational alike).
MAX_DIGITS = 2000
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))
_EXACT_FLOAT = 2**53  # float64 holds every integer below this one exactly
_LOG2_10 = math.log2(10)


class PolynomialSizeError(ValueError):
    """A polynomial (or a step of its expansion) is above :data:`MAX_DEGREE` or :data:`MAX_DIGITS`."""


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
    if isinstance(x, numbers.Real) and math.isfinite(float(x)) and float(x).is_integer():
        if abs(float(x)) >= _EXACT_FLOAT:
            raise ValueError(f"{what}: coefficient {x!r} is a float of 2**53 or more, which does not hold an "
                             "integer exactly; give it as a Python int")
        return int(float(x))
    if getattr(x, "is_Integer", False):  # a sympy Integer
        return int(x)
    raise ValueError(_not_integer(x, what))


def _not_integer(x: Any, what: str) -> str:
    shown = x if isinstance(x, str) else repr(x)
    return (f"{what}: coefficient {shown} is not an integer; PCF coefficients must be integers "
            "(scale a(n) by c and b(n) by c**2 to clear denominators: the limit is then c times larger)")


def _check_coefficients(p: Poly, what: str) -> Poly:
    """Refuse a coefficient list above :data:`MAX_DEGREE` or :data:`MAX_DIGITS` (the list path)."""
    if len(p) - 1 > MAX_DEGREE:
        raise PolynomialSizeError(
            f"{what}: degree {len(p) - 1} is above the limit of {MAX_DEGREE}; "
            f"give a(n) and b(n) of degree at most {MAX_DEGREE} (PCF searches use degrees up to about 10)")
    for c in p:
        if abs(c).bit_length() > _MAX_BITS:
            raise PolynomialSizeError(
                f"{what}: a coefficient has about {_digits(abs(c).bit_length()):,} digits, above the limit of "
                f"{MAX_DIGITS}; give integer coefficients of at most {MAX_DIGITS} digits")
    return p


def as_poly(p: Any, what: str = "polynomial") -> Poly:
    """Read a polynomial in ``n``: a coefficient list (lowest degree first), an int, a string or a sympy expression.

    Strings are read by srkit's parser and expanded exactly here (no ``sympify``);
    every step is sized first, so degrees above :data:`MAX_DEGREE` and
    coefficients above :data:`MAX_DIGITS` digits raise :class:`PolynomialSizeError`
    (a ``ValueError``) at once.

    >>> as_poly("4*n+3"), as_poly([3, 4, 0]), as_poly(5), as_poly("(n+1)**2 - 2**3")
    ((3, 4), (3, 4), (5,), (-7, 2, 1))
    >>> as_poly("(n+1)**100000", "a(n)")
    Traceback (most recent call last):
    ...
    srkit.contfrac.polynomials.PolynomialSizeError: a(n): (n + 1)**100000 has degree 100000, ...
    """
    if isinstance(p, (list, tuple)):
        return _check_coefficients(_strip(_as_int(c, what) for c in p), what)
    if hasattr(p, "tolist") and not hasattr(p, "free_symbols"):  # numpy array
        return as_poly(list(p.tolist()), what)
    if isinstance(p, numbers.Integral) and not isinstance(p, bool):
        return _check_coefficients(_strip([int(p)]), what)
    if isinstance(p, str):
        # srkit's own parser, never sympify (which evals): the same rule as for formulas
        from srkit.core.parse import ParseError, parse

        try:
            expr = parse(p, ["n"])
        except ParseError as exc:
            raise ValueError(f"{what}: cannot read {p!r} as a polynomial in n ({exc})") from None
        rp = _from_expr(expr, _Builder(what, p))
    else:
        import sympy

        if isinstance(p, sympy.Poly):
            p = p.as_expr()
        if not isinstance(p, sympy.Basic):
            raise TypeError(f"{what}: expected a string, sympy expression or coefficient list, got {type(p).__name__}")
        free = {s.name for s in p.free_symbols}
        if free - {"n"}:
            raise ValueError(f"{what}: {p!r} uses {sorted(free - {'n'})}; only the variable n is allowed")
        rp = _from_sympy(p, _Builder(what, p))
    coefs, den = rp
    if den != 1:
        bad = next(Fraction(c, den) for c in coefs if c % den)
        raise ValueError(_not_integer(_show(((bad.numerator,), bad.denominator)), what))
    return _check_coefficients(_strip(coefs), what)


# --------------------------------------------------------------- exact expansion
# A rational polynomial is (integer coefficients lowest degree first, positive common
# denominator), kept reduced.  Each operation bounds the degree and the bit sizes of its
# result from its operands *before* forming it.
_RPoly = tuple[tuple[int, ...], int]


def _digits(bits: float) -> int:
    return int(bits / _LOG2_10) + 1


def _bits(rp: _RPoly) -> int:
    return max((abs(c).bit_length() for c in rp[0]), default=0)


def _show(rp: _RPoly) -> str:
    """A short readable form of an operand for error messages."""
    coefs, den = rp
    if len(coefs) <= 1:
        v = coefs[0] if coefs else 0
        if abs(v).bit_length() > 100 or den.bit_length() > 100:
            return f"<a {_digits(max(abs(v).bit_length(), den.bit_length())):,}-digit number>"
        return str(Fraction(v, den))
    if _bits(rp) > 100 or den.bit_length() > 100 or len(coefs) > 12:
        return f"<a degree-{len(coefs) - 1} polynomial>"
    text = poly_str(tuple(coefs))
    if sum(1 for c in coefs if c) > 1 or text.startswith("-") or den != 1:
        text = f"({text})"
    return text + (f"/{den}" if den != 1 else "")


def _norm(coefs: list[int], den: int) -> _RPoly:
    c = _strip(coefs)
    if den < 0:
        c, den = tuple(-x for x in c), -den
    g = math.gcd(den, *c) if c else den
    if g > 1:
        c, den = tuple(x // g for x in c), den // g
    return (c, den) if c else ((), 1)


class _Builder:
    """Exact polynomial arithmetic that sizes each result before computing it."""

    def __init__(self, what: str, source: Any) -> None:
        self.what = what
        self.source = source

    # ---------------------------------------------------------------- checks
    def _size(self, deg: int, num_bits: float, den_bits: float, shown: str) -> None:
        if deg > MAX_DEGREE:
            raise PolynomialSizeError(
                f"{self.what}: {shown} has degree {deg}, above the limit of {MAX_DEGREE}; give a(n) and b(n) "
                f"of degree at most {MAX_DEGREE} (PCF searches use degrees up to about 10)")
        if max(num_bits, den_bits) > _MAX_BITS:
            raise PolynomialSizeError(
                f"{self.what}: {shown} would have a coefficient of about {_digits(max(num_bits, den_bits)):,} "
                f"digits, above the limit of {MAX_DIGITS}; write coefficients of at most {MAX_DIGITS} digits "
                "(e.g. 10**30 + 7, or a coefficient list lowest degree first)")

    def fail(self, why: str) -> ValueError:
        return ValueError(f"{self.what}: {self.source!r} is not a polynomial in n with integer coefficients: {why}")

    # ------------------------------------------------------------ operations
    def const(self, x: Fraction | int) -> _RPoly:
        x = Fraction(x)
        rp = _norm([x.numerator], x.denominator)
        self._size(0, _bits(rp), rp[1].bit_length(), _show(rp))
        return rp

    def var(self) -> _RPoly:
        return (0, 1), 1

    def neg(self, p: _RPoly) -> _RPoly:
        return tuple(-c for c in p[0]), p[1]

    def add(self, p: _RPoly, q: _RPoly) -> _RPoly:
        (a, da), (b, db) = p, q
        g = math.gcd(da, db)
        fa, fb = db // g, da // g
        self._size(max(len(a), len(b)) - 1, max(_bits(p) + fb.bit_length(), _bits(q) + fa.bit_length()) + 1,
                   da.bit_length() + fb.bit_length(), f"{_show(p)} + {_show(q)}")
        out = [0] * max(len(a), len(b))
        for i, c in enumerate(a):
            out[i] += c * fa
        for i, c in enumerate(b):
            out[i] += c * fb
        return _norm(out, da * fa)

    def mul(self, p: _RPoly, q: _RPoly) -> _RPoly:
        if not p[0] or not q[0]:
            return (), 1
        deg = len(p[0]) + len(q[0]) - 2
        self._size(deg, _bits(p) + _bits(q) + min(len(p[0]), len(q[0])).bit_length(),
                   p[1].bit_length() + q[1].bit_length(), f"{_show(p)}*{_show(q)}")
        return _norm(list(poly_mul(p[0], q[0])) or [0], p[1] * q[1])

    def inv(self, q: _RPoly) -> _RPoly:
        if len(q[0]) > 1:
            raise self.fail(f"it divides by {_show(q)}, which depends on n")
        if not q[0]:
            raise ValueError(f"{self.what}: {self.source!r} divides by zero")
        return _norm([q[1]], q[0][0])

    def div(self, p: _RPoly, q: _RPoly) -> _RPoly:
        return self.mul(p, self.inv(q))

    def pow(self, p: _RPoly, e: _RPoly) -> _RPoly:
        coefs, den = e
        if len(coefs) > 1:
            raise self.fail(f"the exponent {_show(e)} depends on n")
        if den != 1:
            raise self.fail(f"the exponent {_show(e)} is not an integer")
        k = coefs[0] if coefs else 0
        if k < 0:
            if len(p[0]) > 1:
                raise self.fail(f"{_show(p)}**{k} is a negative power of a polynomial in n")
            return self.pow(self.inv(p), ((-k,), 1))
        if k == 0:
            return (1,), 1
        if len(p[0]) <= 1 and p[1] == 1 and abs(p[0][0] if p[0] else 0) <= 1:
            return ((p[0][0] ** (k % 2 or 2),), 1) if p[0] else ((), 1)  # 0, 1 or -1: any power is cheap
        # |coefficients of p**k| <= (sum |c|)**k <= (len * max |c|)**k; logs keep k * size cheap for a huge k
        top = max(abs(c) for c in p[0])
        self._size(k * (len(p[0]) - 1), k * (math.log2(top) + math.log2(len(p[0]))), k * math.log2(p[1]),
                   f"{_show(p)}**{k}")
        out, base = ((1,), 1), p
        while k:  # square and multiply: sizes already bounded above
            if k & 1:
                out = self.mul(out, base)
            k >>= 1
            if k:
                base = self.mul(base, base)
        return out


def _from_expr(expr: Any, b: _Builder) -> _RPoly:
    """Expand a parsed srkit :class:`~srkit.core.expr.Expr` in the variable n."""
    from srkit.core.operators import COEF, VAR

    opset = expr.opset
    stack: list[_RPoly] = []
    for i in range(expr.size - 1, -1, -1):  # prefix order read backwards: operands before operators
        code, arg = int(expr.codes[i]), int(expr.args[i])
        if code == VAR:
            stack.append(b.var())
            continue
        if code == COEF:
            v = float(expr.coefs[arg])
            if v.is_integer() and abs(v) >= _EXACT_FLOAT:
                raise ValueError(
                    f"{b.what}: the number {v:.17g} in {b.source!r} is 2**53 or more, which srkit's parser "
                    "(float64) cannot read exactly; write it as a product of powers (e.g. 10**20 + 7) "
                    "or give the coefficient list, lowest degree first")
            stack.append(b.const(int(v) if v.is_integer() else Fraction(repr(v))))
            continue
        op = opset.operator(code)
        args = [stack.pop() for _ in range(op.arity)]
        name = op.name
        if name == "add":
            stack.append(b.add(*args))
        elif name == "sub":
            stack.append(b.add(args[0], b.neg(args[1])))
        elif name == "mul":
            stack.append(b.mul(*args))
        elif name == "div":
            stack.append(b.div(*args))
        elif name == "pow":
            stack.append(b.pow(*args))
        elif name == "neg":
            stack.append(b.neg(args[0]))
        elif name == "inv":
            stack.append(b.inv(args[0]))
        elif name == "square":
            stack.append(b.pow(args[0], ((2,), 1)))
        elif name == "cube":
            stack.append(b.pow(args[0], ((3,), 1)))
        elif op.arity == 0:
            raise ValueError(_not_integer(name, b.what))
        else:
            raise b.fail(f"it uses {name}(), and only + - * / ** with integer powers are allowed")
    return stack[0]


def _from_sympy(expr: Any, b: _Builder) -> _RPoly:
    """Expand a sympy expression in the symbol n, node by node (never ``sympy.expand`` on unsized input)."""
    import sympy

    if isinstance(expr, sympy.Symbol):
        return b.var()
    if expr.is_Integer or expr.is_Rational:
        return b.const(Fraction(int(expr.p), int(expr.q)))
    if expr.is_Float:
        x = sympy.Rational(expr)
        return b.const(Fraction(int(x.p), int(x.q)))
    if expr.is_Add:
        out = b.const(0)
        for t in expr.args:
            out = b.add(out, _from_sympy(t, b))
        return out
    if expr.is_Mul:
        out = b.const(1)
        for t in expr.args:
            out = b.mul(out, _from_sympy(t, b))
        return out
    if expr.is_Pow:
        base, exp = expr.args
        if not exp.is_Integer:
            if not expr.free_symbols:
                raise ValueError(_not_integer(str(expr), b.what))
            raise b.fail(f"the power {exp} is not an integer")
        return b.pow(_from_sympy(base, b), ((int(exp),), 1) if exp else ((), 1))
    if not expr.free_symbols:
        raise ValueError(_not_integer(str(expr), b.what))
    raise b.fail(f"it uses {type(expr).__name__}")


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
