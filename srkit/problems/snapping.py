"""Constant handling for the recovery rules: snapping floats to small rationals, exact and
15-digit-float views of constants, and SRBench's 6-decimal rounding."""

from __future__ import annotations


from typing import Iterable

import sympy

from srkit.core.rationals import simple_rational

SNAP_MAX_DENOMINATOR = 10
SNAP_TOL = 1e-6
SRBENCH_DECIMALS = 6


def snap_value(
    c: float, max_denominator: int = SNAP_MAX_DENOMINATOR, tol: float = SNAP_TOL
) -> sympy.Rational | None:
    """The rational ``p/q`` (smallest ``q <= max_denominator``) within
    ``tol * max(1, |c|)`` of ``c``, or None.

    Examples
    --------
    >>> snap_value(0.4999999), snap_value(3e-9), snap_value(3.39)
    (1/2, 0, None)
    """
    frac = simple_rational(float(c), max_denominator, tol)
    return None if frac is None else sympy.Rational(frac.numerator, frac.denominator)


def snap_constants(
    expr: sympy.Expr, max_denominator: int = SNAP_MAX_DENOMINATOR, tol: float = SNAP_TOL
) -> sympy.Expr:
    """Replace each float of ``expr`` by a nearby small rational (see :func:`snap_value`).

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> snap_constants(sympy.Float(2.0000001) * x**sympy.Float(0.4999999) + sympy.Float(3e-9))
    2*sqrt(x)
    """
    repl = {}
    for f in expr.atoms(sympy.Float):
        r = snap_value(float(f), max_denominator, tol)
        if r is not None:
            repl[f] = r
    return expr.xreplace(repl) if repl else expr


#: how close a fitted float must be to one of the truth's constants to be that constant
TRUTH_CONSTANT_TOL = 1e-10


def snap_to_constants(
    expr: sympy.Expr, constants: Iterable[sympy.Float], tol: float = TRUTH_CONSTANT_TOL
) -> sympy.Expr:
    """Replace each float of ``expr`` within ``tol * max(1, |c|)`` of ``+-c`` for one of
    ``constants`` (the truth's constants as floats) by that constant, sign kept.

    The headline rule's check that a fitted constant *is* the truth's: a fit that writes
    pi**2 as ``9.86960440108935`` has found it, though not to the last of 15 digits.
    The tolerance is far tighter than :func:`snap_constants`' for small rationals: a fit
    that is right to 10 digits is the constant, ``0.4260001`` for ``0.426`` is not.

    >>> d = sympy.Symbol("d", positive=True)
    >>> snap_to_constants(d - sympy.Float(9.86960440108935), [sympy.Float(9.86960440108936)])
    d - 9.86960440108936
    """
    targets = [float(c) for c in constants]
    repl = {}
    for f in expr.atoms(sympy.Float):
        v = float(f)
        for c in targets:
            if abs(abs(v) - abs(c)) <= tol * max(1.0, abs(c)):
                repl[f] = sympy.Float(c if v * c >= 0 else -c, 15)
                break
    return expr.xreplace(repl) if repl else expr


def exact_floats(expr: sympy.Expr) -> sympy.Expr:
    """Floats -> their exact binary value as a Rational (3.39 != 339/100).

    A float in an exponent stays a float: as an exact rational (p / 2**52) it sends
    sympy's polynomial gcd into integers so large that GMP aborts the process
    ("overflow in mpz type"), and a power with such an exponent is not exactly any
    law's anyway.

    >>> x = sympy.Symbol("x", positive=True)
    >>> exact_floats(sympy.Float(0.5) * x ** sympy.Float(1.0000000015))
    x**1.0000000015/2
    """
    exponents = {f for p in expr.atoms(sympy.Pow) for f in p.exp.atoms(sympy.Float)}
    repl = {f: sympy.Rational(f) for f in expr.atoms(sympy.Float) if f not in exponents}
    return expr.xreplace(repl) if repl else expr


def float_constants(expr: sympy.Basic) -> sympy.Basic:
    """Constants -> 15-digit floats; integers and p/q with q <= 10 stay exact (as a
    snapped found expression would have them, so ``sqrt(x)`` stays ``x**(1/2)``)."""
    if expr.is_number:
        if expr.is_Rational and expr.q <= SNAP_MAX_DENOMINATOR:
            return expr
        value = expr.evalf(15)
        return value if value.is_Float else expr
    if not expr.args:
        return expr
    return expr.func(*(float_constants(a) for a in expr.args))


def round_floats(expr: sympy.Expr) -> sympy.Expr:
    """SRBench's ``round_floats``: every float rounded to 6 decimals; one that is then a
    whole number becomes that integer.

    The second half is srkit's: sympy cannot see that ``m/sqrt(1 - x)`` and
    ``m/sqrt(1.0 - x)`` differ by a constant (0), so SRBench's rule as written counts an
    exactly recovered law with a ``1.0`` in it as not recovered.

    >>> x = sympy.Symbol("x", positive=True)
    >>> round_floats(2.00000004 * x + 0.3333333333), round_floats(sympy.Float(1.0) - x)
    (2*x + 0.333333, 1 - x)
    """
    repl: dict[sympy.Float, sympy.Expr] = {}
    for f in expr.atoms(sympy.Float):
        r = round(f, SRBENCH_DECIMALS)
        repl[f] = sympy.Integer(int(r)) if float(r).is_integer() else r
    return expr.xreplace(repl) if repl else expr


def float_bases_as_exp(expr: sympy.Expr) -> sympy.Expr:
    """``c**f`` with a positive float ``c`` and a non-constant ``f`` -> ``exp(log(c)*f)``.

    The same function, written so that the constant can snap: a search that writes
    ``exp(-theta**2/2)`` as ``0.6065306597126334**(theta**2)`` has found the law, but no
    rule sees it until the float base becomes an exponent (``log(0.60653...) = -0.5``).

    >>> t = sympy.Symbol("t", positive=True)
    >>> snap_constants(float_bases_as_exp(sympy.Float(0.6065306597126334) ** (t**2)))
    exp(-t**2/2)
    """
    def rewrite(e: sympy.Basic) -> sympy.Basic:
        if not e.args:
            return e
        args = [rewrite(a) for a in e.args]
        base, power = (args + [None])[:2]
        if (e.is_Pow and base.is_Float and base > 0 and power is not None
                and not power.is_number):
            return sympy.exp(sympy.Float(sympy.log(base).evalf(17)) * power)
        return e.func(*args)

    return rewrite(expr)
