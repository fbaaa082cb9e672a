"""Simple rationals: the numbers a formula's constants snap to.

One definition for the fitter's snapping (fitness), the description length of a
constant in model selection (core.pareto) and the recovery rules (problems).
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["rational_cost", "simple_rational"]


def simple_rational(value: float, max_denominator: int = 12, rel_tol: float = 1e-6) -> Fraction | None:
    """The rational p/q with the smallest ``q <= max_denominator`` within
    ``rel_tol * max(1, |value|)`` of ``value``, or None.

    >>> simple_rational(0.4999999), simple_rational(3e-9), simple_rational(3.39)
    (Fraction(1, 2), Fraction(0, 1), None)
    """
    if not math.isfinite(value):
        return None
    bound = rel_tol * max(1.0, abs(value))
    for q in range(1, max_denominator + 1):
        p = round(value * q)
        if abs(value - p / q) <= bound:
            return Fraction(p, q)
    return None


def rational_cost(value: Fraction) -> float:
    """Nats to write the rational ``p/q``: ``log(1 + |p|) + log(q)`` (0 costs nothing, 1
    and 2 less than 7/3).  A fitted constant of full precision costs ``log(n) / 2`` on ``n``
    rows (BIC); a rational is worth snapping to only where it is cheaper than that.

    >>> [round(rational_cost(Fraction(v)), 2) for v in ("0", "1", "1/2", "7/3")]
    [0.0, 0.69, 1.39, 3.18]
    """
    return math.log1p(abs(value.numerator)) + math.log(value.denominator)
