"""``PCF``: a polynomial continued fraction ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))``.

Convention (as in ramanujantools, Blind-Delta, LIReC): ``a(n)`` is the partial
denominator, used from ``n = 0``; ``b(n)`` is the partial numerator, used from
``n = 1``.  Values are computed exactly (``srkit.contfrac.exact``) and converted
to ``mpmath.mpf`` only at the end.
"""

from __future__ import annotations

import math
from typing import Any

from srkit.contfrac import exact
from srkit.contfrac.polynomials import Poly, as_poly, degree, poly_divmod, poly_mul, poly_shift, poly_str

__all__ = ["PCF", "UndefinedConvergentError"]

# The tail error L - x(N) is estimated from x(N + m) - x(N); m doubles until the
# next step changes the estimate by less than this relative amount (or N + m = 2N,
# which is ramanujantools' choice L = x(2N)).
_TAIL_RTOL_LOG = math.log(1e-12)

class UndefinedConvergentError(ValueError):
    """A convergent ``x(k) = p(k)/q(k)`` has ``q(k) = 0``: the fraction passes through a pole (or 0/0) there."""

    def __init__(self, message: str, depth: int) -> None:
        super().__init__(message)
        self.depth = depth


class PCF:
    """A polynomial continued fraction with integer coefficients.

    Parameters
    ----------
    a, b : str, sympy expression, int or list of ints
        ``a(n)`` (partial denominators, from n = 0) and ``b(n)`` (partial
        numerators, from n = 1); a list gives coefficients lowest degree first.

    Examples
    --------
    >>> pcf = PCF("2*n + 1", "n**2")          # 4/pi (Euler)
    >>> pcf.a, pcf.b
    ((1, 2), (0, 0, 1))
    >>> round(float(pcf.limit(200)), 12)
    1.273239544735
    >>> PCF([1], [1]).digits(100) > 40       # the golden ratio
    True
    """

    __slots__ = ("a", "b", "_walks")

    def __init__(self, a: Any, b: Any) -> None:
        self.a: Poly = as_poly(a, "a(n)")
        self.b: Poly = as_poly(b, "b(n)")
        if not self.a:
            raise ValueError("a(n) is identically zero: such a fraction has no finite convergents; give a nonzero a(n)")
        if not self.b:
            raise ValueError("b(n) is identically zero: the fraction is just a(0); give a nonzero b(n)")
        self._walks: dict[int, exact.Mat] = {}

    # ----------------------------------------------------------------- basics
    def __repr__(self) -> str:
        return f"PCF({poly_str(self.a)!r}, {poly_str(self.b)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PCF) and (self.a, self.b) == (other.a, other.b)

    def __hash__(self) -> int:
        return hash((self.a, self.b))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (PCF, (list(self.a), list(self.b)))

    @property
    def degrees(self) -> tuple[int, int]:
        """``(deg a, deg b)``."""
        return degree(self.a), degree(self.b)

    def a_at(self, n: int) -> int:
        """``a(n)``."""
        return exact.poly_values(self.a, n, n + 1)[0]

    def b_at(self, n: int) -> int:
        """``b(n)``."""
        return exact.poly_values(self.b, n, n + 1)[0]

    def to_dict(self) -> dict[str, list[int]]:
        """``{"a": [...], "b": [...]}``, coefficients lowest degree first."""
        return {"a": list(self.a), "b": list(self.b)}

    # ------------------------------------------------------------- exact values
    def walk(self, *depths: int) -> dict[int, exact.Mat]:
        """Exact ``(p(n-1), p(n), q(n-1), q(n))`` at each depth (cached on the instance)."""
        missing = [d for d in depths if d not in self._walks]
        if missing:
            start = [d for d in self._walks if d <= min(missing)]
            if start:  # continue from the deepest cached checkpoint below
                d0 = max(start)
                seg = {d0: self._walks[d0]}
                cur, done = self._walks[d0], d0
                for n in sorted(set(missing)):
                    cur = exact._mul(cur, exact.segment_product(self.a, self.b, done + 1, n + 1))
                    done = n
                    seg[n] = cur
                self._walks.update(seg)
            else:
                self._walks.update(exact.walk(self.a, self.b, missing))
        return {d: self._walks[d] for d in depths}

    def convergent(self, depth: int) -> tuple[int, int]:
        """The exact convergent ``(p(depth), q(depth))`` (not reduced)."""
        m = self.walk(_check_depth(depth))[depth]
        return int(m[1]), int(m[3])

    def _defined(self, depth: int) -> exact.Mat:
        """The walk at ``depth``; :class:`UndefinedConvergentError` if ``q(depth) = 0``."""
        m = self.walk(_check_depth(depth))[depth]
        if m[3] == 0:
            kind = "0/0" if m[1] == 0 else "a pole"
            k = self.terminates(depth)
            fix = (f"b({k}) = 0, so the fraction stops at depth {k - 1}: its value is x({k - 1}) (use depth {k - 1})"
                   if k is not None else
                   f"evaluate at another depth (e.g. {depth + 1}), or check a(n) and b(n): a fraction whose "
                   "denominators keep vanishing does not converge")
            raise UndefinedConvergentError(
                f"{self!r}: q({depth}) = 0, so the convergent x({depth}) = p({depth})/q({depth}) is undefined "
                f"({kind}); {fix}", depth)
        return m

    def self_digits(self, depth: int) -> float:
        """Digits on which ``x(depth)`` and ``x(depth-1)`` agree: ``-log10|x(N) - x(N-1)|``.

        ``-inf`` when ``x(depth-1)`` is undefined (``q(depth-1) = 0``): the two do not agree at all.
        """
        m = self._defined(depth)
        if m[2] == 0:
            return -math.inf
        det = m[0] * m[3] - m[1] * m[2]
        log_err = exact.log_abs(det) - exact.log_abs(m[1 + 2]) - exact.log_abs(m[2])
        return exact.digits_from_log(log_err)

    def limit(self, depth: int):  # type: ignore[no-untyped-def]
        """The convergent at ``depth`` as an ``mpmath.mpf`` holding every digit it has converged to.

        Raises :class:`UndefinedConvergentError` (a ``ValueError``) when ``q(depth) = 0``.

        >>> str(PCF(1, 1).limit(60))[:12]
        '1.6180339887'
        """
        self._defined(depth)
        p, q = self.convergent(depth)
        d = self.self_digits(depth)
        dps = 30 if not math.isfinite(d) else max(20, int(d) + 3)
        return exact.ratio_to_mpf(p, q, dps)

    def value(self, digits: int, max_depth: int = 1 << 20):  # type: ignore[no-untyped-def]
        """The limit to ``digits`` correct digits: the depth doubles until the convergent holds them.

        Raises ``ValueError`` if ``max_depth`` terms are not enough (slow convergence), if
        not one digit holds at depth 1024 (divergence), or if ``q = 0`` at a depth it uses.

        >>> import mpmath
        >>> mpmath.nstr(PCF("2*n+1", "n**2").value(30), 30)
        '1.27323954473516268615107010698'
        """
        import mpmath

        if digits < 1:
            raise ValueError(f"digits must be positive, got {digits}")
        depth = 64
        while (held := self.digits(depth)) < digits + 2:
            if depth >= max_depth:
                raise ValueError(f"{self!r} holds only {held:.1f} digits at depth {depth}; it converges "
                                 f"too slowly for {digits} digits (raise max_depth or ask for fewer digits)")
            if depth >= 1024 and not held >= 1:  # not one digit after 1024 terms: do not walk on to max_depth
                raise ValueError(f"{self!r} does not converge: its convergents disagree in the first digit at "
                                 f"depth {depth} (it diverges, e.g. they cycle, or converges far too slowly)")
            depth = min(2 * depth, max_depth)
        with mpmath.workdps(digits):
            return +self.limit(depth)

    def _tail_log_error(self, depth: int) -> float:
        """Natural log of ``|L - x(depth)|``, L from deeper exact convergents (see ``_TAIL_RTOL_LOG``)."""
        n = _check_depth(depth)
        ext, m = [], max(8, n // 128)
        while n + m < 2 * n:
            ext.append(n + m)
            m *= 2
        ext.append(2 * n)
        walks = self.walk(n, *ext)
        base = self._defined(n)
        # a deeper convergent with q = 0 is a pole of the fraction, not an estimate of L: use the others
        ext = [e for e in ext if walks[e][3] != 0]
        if not ext:
            k = self.terminates(2 * n)
            if k is not None and k - 1 <= n:  # b(k) = 0 stopped the fraction: x(n) = x(k - 1) is its exact value
                return -math.inf
            why = f" (b({k}) = 0: the fraction stops at depth {k - 1}, its value is x({k - 1}))" if k else ""
            raise UndefinedConvergentError(
                f"{self!r}: every convergent deeper than depth {n} that estimates the error of x({n}) has q = 0, "
                f"so its digits cannot be estimated{why}; evaluate at another depth", 2 * n)
        prev = walks[ext[0]]
        if len(ext) == 1:
            return exact.log_abs_diff(prev, base)
        for e in ext[1:]:
            cur = walks[e]
            err = exact.log_abs_diff(cur, base)
            step = exact.log_abs_diff(cur, prev)
            if step - err <= _TAIL_RTOL_LOG or err == -math.inf:
                return err
            prev = cur
        return exact.log_abs_diff(walks[ext[-1]], base)

    def digits(self, depth: int) -> float:
        """Digits of agreement ``-log10|L - x(depth)|`` with the limit L (estimated from deeper exact convergents).

        Never NaN: ``inf`` for a fraction that stopped (its value is exact), ``0`` or less
        when deeper convergents disagree in the first digit (no convergence at this depth);
        :class:`UndefinedConvergentError` (a ``ValueError``) when ``q(depth) = 0``.

        >>> round(PCF(1, 1).digits(1000))
        418
        """
        return exact.digits_from_log(self._tail_log_error(depth))

    def delta(self, depth: int, L: Any = None) -> float:
        """Irrationality measure delta with ``|L - p/q| = q^-(1+delta)``, q reduced by gcd(p, q).

        ``L`` defaults to the limit estimated from deeper exact convergents (at most
        depth ``2*depth``, ramanujantools' choice).

        >>> round(PCF("2*n+1", "n**2").delta(1000), 4)
        -0.2022
        """
        import gmpy2

        self._defined(depth)
        p, q = self.convergent(depth)
        g = gmpy2.gcd(p, q)
        log_q = exact.log_abs(q) - exact.log_abs(g)
        if log_q == 0.0:
            return math.inf
        if L is None:
            log_err = self._tail_log_error(depth)
        else:
            import mpmath

            d = self.self_digits(depth)
            with mpmath.workdps(max(30, int(min(d, 1e6)) + 30) if math.isfinite(d) else 60):
                diff = mpmath.mpf(L) - mpmath.mpf(gmpy2.mpz(p)) / mpmath.mpf(gmpy2.mpz(q))
                log_err = float(mpmath.log(abs(diff))) if diff != 0 else -math.inf
        if log_err == -math.inf:
            return math.inf
        return -1.0 - log_err / log_q

    def metrics(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        """Convergence-dynamics metrics of the blind-delta method (see ``srkit.contfrac.metrics``)."""
        from srkit.contfrac.metrics import blind_metrics

        return blind_metrics(self, **kwargs)

    def eigenvalue_class(self) -> str:
        """``"exponential"``, ``"polynomial"`` (degenerate eigenvalues) or ``"complex"``, from the leading terms."""
        from srkit.contfrac.screen import EIGEN_CLASSES

        # the rule of screen.eigenvalue_class, on exact ints: coefficients may exceed int64
        da, db = degree(self.a), degree(self.b)
        la, lb = self.a[-1], self.b[-1]
        if 2 * da > db:
            return EIGEN_CLASSES[0]
        if 2 * da < db:
            return EIGEN_CLASSES[1 if lb > 0 else 2]
        disc = la * la + 4 * lb
        return EIGEN_CLASSES[0 if disc > 0 else (1 if disc == 0 else 2)]

    def terminates(self, up_to: int | None = None) -> int | None:
        """The first ``k >= 1`` with ``b(k) = 0`` (the fraction then stops: a rational value), or None."""
        import numpy as np

        if len(self.b) == 1:
            return None
        # scaled to the largest coefficient: int / int is a correctly rounded float even for huge ints
        top = max(abs(c) for c in self.b)
        roots = np.roots([c / top for c in reversed(self.b)])
        ks = sorted({int(round(r.real)) for r in roots if abs(r.imag) < 1e-9 and r.real > 0.5})
        for k in ks:
            if (up_to is None or k <= up_to) and self.b_at(k) == 0:
                return k
        return None

    # ------------------------------------------------------- equivalent forms
    def negate(self) -> PCF:
        """``(-a, b)``: the limit changes sign."""
        return PCF([-c for c in self.a], list(self.b))

    def shift(self, k: int) -> PCF:
        """``(a(n+k), b(n+k))``: the tail from term k; the limit is a Moebius image of the original."""
        return PCF(list(poly_shift(self.a, k)), list(poly_shift(self.b, k)))

    def inflate(self, c: Any) -> PCF:
        """``(c(n) a(n), c(n) c(n-1) b(n))``: same convergents up to the factor c(0) on a(0)."""
        cp = as_poly(c, "c(n)")
        return PCF(list(poly_mul(cp, self.a)), list(poly_mul(poly_mul(cp, poly_shift(cp, -1)), self.b)))

    def deflate(self, c: Any) -> PCF:
        """Inverse of :meth:`inflate`; ``ValueError`` if ``c`` does not divide."""
        cp = as_poly(c, "c(n)")
        qa = poly_divmod(self.a, cp)
        qb = poly_divmod(self.b, poly_mul(cp, poly_shift(cp, -1)))
        if qa is None or qb is None or qa[1] or qb[1]:
            raise ValueError(f"{poly_str(cp)} does not deflate {self!r}: it must divide a(n) and c(n)c(n-1) must divide b(n)")
        return PCF(list(qa[0]), list(qb[0]))

    def deflate_all(self) -> PCF:
        """Remove the largest common polynomial ``c(n)`` (see :meth:`inflate`)."""
        import sympy

        n = sympy.Symbol("n")
        pcf = self
        ca = math.gcd(*pcf.a)
        cb = math.gcd(*pcf.b)
        const = 1
        for p, e in sympy.factorint(math.gcd(ca * ca, cb)).items():
            const *= int(p) ** (e // 2)
        while const > 1 and (ca % const or cb % (const * const)):
            const -= 1  # pragma: no cover - factorint gives a divisor; guard only
        if const > 1:
            pcf = pcf.deflate(const)
        _, factors = sympy.factor_list(sympy.Poly(list(reversed(pcf.a)), n))
        for f, mult in factors:
            fp = as_poly(f.as_expr())
            if len(fp) < 2:
                continue
            for _ in range(mult):
                try:
                    pcf = pcf.deflate(list(fp))
                except ValueError:
                    break
        return pcf

    def canonical(self) -> PCF:
        """A representative of the class of this PCF under deflation, sign flip and index shift.

        Two PCFs with the same canonical form have Moebius-related limits, so a
        search reports one formula per class.  Steps: :meth:`deflate_all`; make
        the leading coefficient of a(n) positive; shift n so that the second
        coefficient of a(n) (of b(n) if a is constant) lies in ``[0, deg*|lead|)``.

        >>> PCF("2*n+3", "n**2+2*n+1").canonical()
        PCF('2*n + 1', 'n**2')
        """
        pcf = self.deflate_all()
        if pcf.a[-1] < 0:
            pcf = pcf.negate()
        poly = pcf.a if len(pcf.a) > 1 else pcf.b
        if len(poly) > 1:
            d = len(poly) - 1
            step = d * poly[-1]
            r = poly[-2] % abs(step)
            k = (r - poly[-2]) // step
            if k:
                pcf = pcf.shift(k)
        return pcf


def _check_depth(depth: int) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    return depth
