"""Exact convergents of a polynomial continued fraction by integer product trees.

The convergents of ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))`` are the columns of
``A * M(1) * ... * M(n) = [[p(n-1), p(n)], [q(n-1), q(n)]]`` with
``A = [[1, a(0)], [0, 1]]`` and ``M(k) = [[0, b(k)], [1, a(k)]]``.  A balanced
product tree over the ``M(k)`` costs about M(N log N) log N instead of the
quadratic cost of running the recurrence on big integers.  Small products are
Python ints (cheaper per operation); above ``_MPZ_BITS`` they become gmpy2
``mpz`` so that GMP's fast multiplication does the big products.

Logarithms of huge integers are taken from their bit length and top bits, so
digits, errors and delta never need a 100,000-bit float.
"""

from __future__ import annotations

import math
from typing import Sequence

import gmpy2
import numpy as np

__all__ = [
    "Mat",
    "poly_values",
    "segment_product",
    "walk",
    "log_abs",
    "log_abs_diff",
    "ratio_to_mpf",
    "ratio_float",
    "digits_from_log",
]

Mat = tuple  # (m00, m01, m10, m11) of ints / mpz
_MPZ_BITS = 256  # above this size GMP multiplies faster than Python's Karatsuba
_LN10 = math.log(10.0)


def poly_values(coefs: Sequence[int], start: int, stop: int) -> list[int]:
    """Exact values of the polynomial ``coefs`` (lowest degree first) at ``start..stop-1``.

    >>> poly_values([1, 0, 2], 0, 4)
    [1, 3, 9, 19]
    """
    if stop <= start:
        return []
    if not coefs:
        return [0] * (stop - start)
    bound = sum(abs(c) * max(abs(start), abs(stop)) ** i for i, c in enumerate(coefs))
    if bound < 2**62:  # exact in int64: one vectorised Horner pass
        n = np.arange(start, stop, dtype=np.int64)
        v = np.full(stop - start, coefs[-1], dtype=np.int64)
        for c in reversed(coefs[:-1]):
            v = v * n + c
        return v.tolist()
    n = np.arange(start, stop, dtype=np.int64).astype(object)  # Python ints, Horner in numpy's C loop
    v = np.full(stop - start, coefs[-1], dtype=object)
    for c in reversed(coefs[:-1]):
        v = v * n + c
    return v.tolist()


def _mul(x: Mat, y: Mat) -> Mat:
    a, b, c, d = x
    e, f, g, h = y
    return (a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h)


def segment_product(a: Sequence[int], b: Sequence[int], start: int, stop: int) -> Mat:
    """``M(start) * M(start+1) * ... * M(stop-1)`` as a flat 2x2 tuple (identity if empty).

    >>> segment_product([1], [1], 1, 4)  # Fibonacci: [[F1, F2], [F2, F3]] shifted
    (1, 2, 2, 3)
    """
    A = poly_values(a, start, stop)
    B = poly_values(b, start, stop)
    n = len(A)
    if n == 0:
        return (1, 0, 0, 1)
    # first level by hand: M(k) M(k+1) = [[b_k, b_k a_k1], [a_k, b_k1 + a_k a_k1]]
    level: list[Mat] = [
        (B[i], B[i] * A[i + 1], A[i], B[i + 1] + A[i] * A[i + 1]) for i in range(0, n - 1, 2)
    ]
    if n % 2:
        level.append((0, B[-1], 1, A[-1]))
    big = False
    while len(level) > 1:
        if not big and max(abs(x) for x in level[0]).bit_length() > _MPZ_BITS:
            level = [tuple(map(gmpy2.mpz, m)) for m in level]
            big = True
        nxt = [_mul(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def walk(a: Sequence[int], b: Sequence[int], depths: Sequence[int]) -> dict[int, Mat]:
    """``A * M(1) ... M(n)`` for each ``n`` in ``depths``: ``{n: (p(n-1), p(n), q(n-1), q(n))}``.

    Products are only formed between consecutive checkpoints, so asking for a few
    depths costs about as much as the deepest one.

    >>> walk([1, 2], [0, 0, 1], [2])[2]  # 4/pi: x2 = 1 + 1/(3 + 4/5) = 24/19
    (4, 24, 3, 19)
    """
    a0 = poly_values(a, 0, 1)[0]
    cur: Mat = (1, a0, 0, 1)
    done = 0
    out: dict[int, Mat] = {}
    for n in sorted(set(int(d) for d in depths)):
        if n < 0:
            raise ValueError(f"depth must be >= 0, got {n}")
        if n > done:
            cur = _mul(cur, segment_product(a, b, done + 1, n + 1))
            done = n
        out[n] = cur
    return out


def log_abs(z: int) -> float:
    """Natural log of ``|z|`` for an integer of any size (``-inf`` for 0)."""
    z = abs(gmpy2.mpz(z))
    if z == 0:
        return -math.inf
    k = int(z.bit_length()) - 64
    if k <= 0:
        return math.log(int(z))
    return math.log(int(z >> k)) + k * math.log(2.0)


def log_abs_diff(x: Mat, y: Mat) -> float:
    """Natural log of ``|p_x/q_x - p_y/q_y|`` for two convergent matrices (``-inf`` if equal).

    ``inf`` when either convergent is undefined (``q = 0``): no agreement, never NaN.
    """
    if x[3] == 0 or y[3] == 0:
        return math.inf
    num = x[1] * y[3] - y[1] * x[3]
    return log_abs(num) - log_abs(x[3]) - log_abs(y[3])


def ratio_float(p: int, q: int) -> float:
    """``p/q`` as a float (within an ulp or two) from the top bits; exact division of huge mpz costs milliseconds.

    >>> round(ratio_float(10**400 + 1, 3 * 10**400), 15)
    0.333333333333333
    """
    p, q = gmpy2.mpz(p), gmpy2.mpz(q)
    if q == 0:
        return math.nan
    k = int(min(abs(p).bit_length(), abs(q).bit_length())) - 64
    if k > 0:
        p, q = p >> k, q >> k
    if abs(p).bit_length() > 1000:  # |p/q| beyond the float range
        return math.inf if (p > 0) == (q > 0) else -math.inf
    if abs(q).bit_length() > 1000:  # |p/q| below the float range
        return 0.0
    return float(p) / float(q)


def ratio_to_mpf(p: int, q: int, dps: int):  # type: ignore[no-untyped-def]
    """``p/q`` as an ``mpmath.mpf`` correctly rounded to ``dps`` decimal digits."""
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.mpf(gmpy2.mpz(p)) / mpmath.mpf(gmpy2.mpz(q)) if q else mpmath.inf


def digits_from_log(log_err: float) -> float:
    """Decimal digits of agreement from a natural-log error."""
    return -log_err / _LN10
