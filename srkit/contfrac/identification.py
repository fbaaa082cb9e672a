"""Identify limits as Moebius images ``(alpha + beta*c)/(gamma + delta*c)`` of named constants.

Two routes, one acceptance rule:

* :func:`identify` runs PSLQ on ``[1, c, x, c*x]`` at modest precision for each
  constant of the basis, then checks the relation on every digit the value has.
* :class:`MoebiusTable` holds the float64 Moebius values of the whole basis for
  small coefficients, sorted, so millions of screened values are matched with
  two ``searchsorted`` calls (a meet in the middle instead of millions of PSLQ runs).

A relation is accepted only if it agrees with the value far beyond the
information its four integers carry (``4*log10(2H+1)`` digits for height H) and
to at least 80% of the digits available.  :func:`verify_pcf` adds the check that
agreement grows with depth as the PCF's own convergence does; PCFs whose digits
grow only polynomially are reported as ``"slow"``, never as verified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from srkit.contfrac.constants import Constant, constant_value, get_constants

if TYPE_CHECKING:
    from srkit.contfrac.pcf import PCF

__all__ = ["Relation", "identify", "MoebiusTable", "verify_pcf", "info_digits", "simplest_form"]

MARGIN_DIGITS = 12.0  # agreement beyond the coefficients' information (chance ~1e-12)
MIN_FRACTION = 0.8    # agreement must cover this share of the available digits (LIReC's ratio)


def info_digits(coefficients: Sequence[int]) -> float:
    """Decimal digits of information in integer coefficients of height H: ``k * log10(2H + 1)``."""
    h = max(abs(int(c)) for c in coefficients)
    return len(coefficients) * math.log10(2 * h + 1)


def _normalise(coefs: Sequence[int]) -> tuple[int, int, int, int]:
    al, be, ga, de = (int(c) for c in coefs)
    g = reduce(math.gcd, (al, be, ga, de))
    al, be, ga, de = (v // g for v in (al, be, ga, de)) if g > 1 else (al, be, ga, de)
    if de < 0 or (de == 0 and ga < 0):
        al, be, ga, de = -al, -be, -ga, -de
    return al, be, ga, de


def simplest_form(constant: Constant | None, coefs: Sequence[int]) -> tuple[int, int, int, int]:
    """Normalised coefficients; for a quadratic irrational c also try the rationalised ``(u + v*c)/w``.

    >>> from srkit.contfrac.constants import get_constants
    >>> simplest_form(get_constants(["phi"])[0], (1, 0, -1, 1))   # 1/(phi - 1) = phi
    (0, 1, 1, 0)
    """
    best = _normalise(coefs)
    if constant is not None and constant.quadratic is not None:
        m0, m1 = constant.quadratic
        al, be, ga, de = best
        u = al * (ga + de * m1) - be * de * m0
        v = be * (ga + de * m1) - al * de - be * de * m1
        w = ga * ga + ga * de * m1 - de * de * m0
        if w != 0:
            alt = _normalise((u, v, w, 0))
            if sum(map(abs, alt)) <= sum(map(abs, best)):  # ties: prefer no constant in the denominator
                best = alt
    return best


def _linear(k0: int, k1: int, sym: str) -> tuple[str, int]:
    """Text of ``k0 + k1*sym`` and its number of terms."""
    parts = []
    if k0 < 0 and k1 > 0:  # "e - 2" reads better than "-2 + e"
        mono = sym if k1 == 1 else f"{k1}*{sym}"
        return f"{mono} - {-k0}", 2
    if k0:
        parts.append(str(k0))
    if k1:
        mono = sym if abs(k1) == 1 else f"{abs(k1)}*{sym}"
        if parts:
            parts.append(("- " if k1 < 0 else "+ ") + mono)
        else:
            parts.append(("-" if k1 < 0 else "") + mono)
    return (" ".join(parts) or "0"), len(parts)


@dataclass(frozen=True)
class Relation:
    """``limit = (alpha + beta*c)/(gamma + delta*c)`` for a named constant c (``constant=None``: rational).

    ``digits`` is the agreement found, ``status`` one of ``"verified"``, ``"slow"``
    (true-looking but converging too slowly to certify) or ``"rejected"``.

    Examples
    --------
    >>> r = Relation("pi", (4, 0, 0, 1))
    >>> str(r), r.coefficients, r.constant
    ('4/pi', (4, 0, 0, 1), 'pi')
    """

    constant: str | None
    coefficients: tuple[int, ...]
    digits: float = math.nan
    status: str = "unverified"
    symbol: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: a second constant: then ``limit = (a0 + a1*c + a2*c2 + a3*c*c2) / d`` with
    #: ``coefficients = (d, a0, a1, a2, a3)`` (see :func:`identify` with ``pairs=True``)
    constant2: str | None = None
    symbol2: str = ""

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @property
    def height(self) -> int:
        return max(abs(c) for c in self.coefficients)

    def formula(self) -> str:
        """The relation as readable text, e.g. ``'1/(e - 1)'`` or ``'(1 + 2*pi)/(3 - pi)'``."""
        if self.constant2 is not None:
            return self._pair_formula()
        sym = self.symbol or (get_constants([self.constant])[0].symbol if self.constant else "1")
        if "/" in sym:  # a ratio such as I1(2)/I0(2) is one factor
            sym = f"({sym})"
        al, be, ga, de = self.coefficients
        num, n_terms = _linear(al, be, sym)
        den, d_terms = _linear(ga, de, sym)
        if den == "1":
            return num
        if den == "-1":
            return f"-({num})" if n_terms > 1 else (num[1:] if num.startswith("-") else f"-{num}")
        num_t = f"({num})" if n_terms > 1 else num
        den_t = f"({den})" if d_terms > 1 or "*" in den else den
        return f"{num_t}/{den_t}"

    def _pair_formula(self) -> str:
        s1 = self.symbol or get_constants([self.constant])[0].symbol  # type: ignore[list-item]
        s2 = self.symbol2 or get_constants([self.constant2])[0].symbol  # type: ignore[list-item]
        s1, s2 = (f"({s})" if "/" in s else s for s in (s1, s2))
        d, *nums = self.coefficients
        terms = []
        for k, mono in zip(nums, ("", s1, s2, f"{s1}*{s2}")):
            if not k:
                continue
            body = str(abs(k)) if not mono else (mono if abs(k) == 1 else f"{abs(k)}*{mono}")
            terms.append((k < 0, body))
        text = " ".join(("- " if neg else "+ ") + body for neg, body in terms).lstrip("+ ")
        if terms and terms[0][0]:
            text = "-" + text[2:]
        if d == 1:
            return text
        return f"({text})/{d}" if len(terms) > 1 else f"{text}/{d}"

    def __str__(self) -> str:
        return self.formula()

    def value(self, dps: int = 50):  # type: ignore[no-untyped-def]
        """The right-hand side as an ``mpmath.mpf`` with ``dps`` digits."""
        import mpmath

        with mpmath.workdps(dps + 10):
            c = constant_value(self.constant, dps + 10) if self.constant else mpmath.mpf(0)
            if self.constant2 is not None:
                c2 = constant_value(self.constant2, dps + 10)
                d, a0, a1, a2, a3 = self.coefficients
                return (a0 + a1 * c + a2 * c2 + a3 * c * c2) / d
            al, be, ga, de = self.coefficients
            v = (al + be * c) / (ga + de * c)
        return v

    def to_dict(self) -> dict[str, Any]:
        out = {"constant": self.constant or "rational", "relation": self.formula(),
               "coefficients": list(self.coefficients), "digits": self.digits, "status": self.status}
        if self.constant2 is not None:
            out["constant2"] = self.constant2
        return out


def _agreement(rel: Relation, x: Any, dps: int) -> float:
    """Digits on which ``rel`` and ``x`` agree, looked at with ``dps`` digits (at most dps + 5)."""
    import mpmath

    with mpmath.workdps(dps + 15):
        r = rel.value(dps + 15)
        diff = abs(r - mpmath.mpf(x))
        if diff == 0:
            return float(dps + 5)
        scale = max(abs(r), mpmath.mpf(1))
        return float(min(dps + 5, -mpmath.log10(diff / scale)))


def _available_digits(value: Any) -> float:
    import mpmath

    if isinstance(value, str):
        mant = value.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
        return float(max(len(mant), 1))
    if isinstance(value, mpmath.mpf):
        bits = int(value._mpf_[1]).bit_length() if value._mpf_[1] else 53
        return max(15.0, bits * math.log10(2))
    return 15.0


def _pslq_relation(x: Any, c: Any, work_dps: int, maxcoeff: int):  # type: ignore[no-untyped-def]
    import mpmath

    with mpmath.workdps(work_dps):
        xv = mpmath.mpf(x)
        vec = [mpmath.mpf(1), c, xv, c * xv] if c is not None else [mpmath.mpf(1), xv]
        try:
            rel = mpmath.pslq(vec, tol=mpmath.mpf(10) ** (3 - work_dps), maxcoeff=maxcoeff, maxsteps=2000)
        except (ValueError, ZeroDivisionError):
            return None
    if rel is None:
        return None
    if c is None:  # r0 + r1 x = 0  ->  x = -r0 / r1
        return (-rel[0], 0, rel[1], 0) if rel[1] else None
    r0, r1, r2, r3 = rel  # r0 + r1 c + x (r2 + r3 c) = 0
    if r2 == 0 and r3 == 0:
        return None
    return (-r0, -r1, r2, r3)


def identify(value: Any, constants: Sequence[str | Constant] | None = None, *, digits: float | None = None,
             max_height: int = 10**4, pairs: bool = False) -> Relation | None:
    """The simplest verified Moebius relation ``value = (alpha + beta*c)/(gamma + delta*c)``, or None.

    Parameters
    ----------
    value : mpmath.mpf, str, float
        The number; give it with as many correct digits as you have (a string
        keeps them all).  ``PCF.limit(depth)`` returns a suitable mpf.
    constants : names from :data:`srkit.contfrac.constants.CONSTANTS` (default: all of them).
    digits : the number of correct digits of ``value`` (default: read from the value).
    max_height : largest coefficient PSLQ may return.
    pairs : when no single-constant relation is found, also try two constants c1, c2 of
        the basis: ``value = (a0 + a1*c1 + a2*c2 + a3*c1*c2) / d`` (PSLQ on
        ``[value, 1, c1, c2, c1*c2]``), where the digits allow five coefficients.

    A relation is returned only if it holds on at least 80% of the available
    digits and at least 12 digits beyond the information in its coefficients,
    so 15-digit floats can only be matched by very small relations.

    Examples
    --------
    >>> from srkit.contfrac import PCF
    >>> r = identify(PCF("2*n+1", "n**2").limit(300))
    >>> str(r), r.constant, r.coefficients
    ('4/pi', 'pi', (4, 0, 0, 1))
    """
    avail = float(digits) if digits is not None else _available_digits(value)
    if avail < MARGIN_DIGITS + 3:
        raise ValueError(f"value has only {avail:.0f} digits; identification needs at least {MARGIN_DIGITS + 3:.0f}")
    basis = get_constants(constants)  # type: ignore[arg-type]
    check = int(min(avail, 2000))
    work = int(min(max(15, avail - 1), 60))  # PSLQ precision: never more digits than the value has
    found: list[Relation] = []
    for const in [None, *basis]:
        n_coef = 2 if const is None else 4
        budget = (min(work, avail) - MARGIN_DIGITS) / n_coef  # digits per coefficient that can still be certified
        # mpmath's maxcoeff bounds the relation's norm (up to 2H for height H); the info rule below bounds H
        maxcoeff = int(min(max_height, max(3, 10**budget)))
        c = constant_value(const, work + 10) if const is not None else None
        coefs = _pslq_relation(value, c, work, maxcoeff)
        if coefs is None:
            continue
        coefs = simplest_form(const, coefs)
        rel = Relation(const.name if const else None, coefs, symbol=const.symbol if const else "")
        agree = _agreement(rel, value, check)
        need = max(MIN_FRACTION * check, info_digits(coefs) + MARGIN_DIGITS)
        if agree >= need:
            found.append(replace(rel, digits=agree, status="verified"))
    if not found and pairs:
        found = _pair_relations(value, basis, work, check, avail, max_height)
    if not found:
        return None
    return min(found, key=lambda r: (sum(abs(c) for c in r.coefficients), -r.digits))


def _pair_relations(value: Any, basis: Sequence[Constant], work: int, check: int, avail: float,
                    max_height: int) -> list[Relation]:
    """Verified relations ``value = (a0 + a1*c1 + a2*c2 + a3*c1*c2)/d`` over pairs of the basis."""
    import itertools

    import mpmath

    budget = (min(work, avail) - MARGIN_DIGITS) / 5
    if budget < 0.5:  # not even one digit per coefficient can be certified
        return []
    maxcoeff = int(min(max_height, max(3, 10**budget)))
    found = []
    with mpmath.workdps(work):
        x = mpmath.mpf(value)
        values = {c.name: constant_value(c, work + 10) for c in basis}
        for c1, c2 in itertools.combinations(basis, 2):
            v1, v2 = values[c1.name], values[c2.name]
            try:
                rel = mpmath.pslq([x, mpmath.mpf(1), v1, v2, v1 * v2], tol=mpmath.mpf(10) ** (3 - work),
                                  maxcoeff=maxcoeff, maxsteps=2000)
            except (ValueError, ZeroDivisionError):
                continue
            if rel is None or rel[0] == 0 or (rel[2] == 0 and rel[4] == 0) or (rel[3] == 0 and rel[4] == 0):
                continue  # needs both constants (a one-constant relation is found the other way)
            d, nums = rel[0], [-k for k in rel[1:]]
            if d < 0:
                d, nums = -d, [-k for k in nums]
            g = math.gcd(d, *nums)
            coefs = tuple(int(k) // g for k in (d, *nums))
            cand = Relation(c1.name, coefs, symbol=c1.symbol, constant2=c2.name, symbol2=c2.symbol)
            agree = _agreement(cand, value, check)
            if agree >= max(MIN_FRACTION * check, info_digits(coefs) + MARGIN_DIGITS):
                found.append(replace(cand, digits=agree, status="verified"))
    return found


def verify_pcf(pcf: "PCF", relation: Relation, depth: int = 1000, *, cap_digits: int = 500) -> Relation:
    """Check ``relation`` against the exact convergents of ``pcf`` at ``depth`` and ``2*depth``.

    Returns the relation with ``status`` set:

    * ``"verified"``: the PCF converges exponentially (distinct eigenvalue moduli, and
      its digits grow at least 1.5x from depth to 2*depth) and the relation agrees at both depths with 80% of
      the PCF's digits (up to ``cap_digits``) and 12 digits beyond the
      coefficients' information;
    * ``"slow"``: the same agreement, but the PCF's digits grow only slowly (for
      example polynomially): true-looking, not certified;
    * ``"rejected"``: a false positive, or a convergent with ``q = 0`` at a checked
      depth (``details["reason"]`` says why).

    >>> from srkit.contfrac import PCF
    >>> verify_pcf(PCF("2*n+1", "n**2"), Relation("pi", (4, 0, 0, 1), symbol="pi")).status
    'verified'
    """
    d1, d2 = int(depth), 2 * int(depth)
    try:
        s1, s2 = pcf.digits(d1), pcf.digits(d2)
    except ValueError as exc:  # UndefinedConvergentError: q = 0 at a checked depth, no value to verify
        details_q: dict[str, Any] = {"depths": [d1, d2], "reason": f"undefined convergent: {exc}"}
        return replace(relation, status="rejected", digits=math.nan, details=details_q)
    details: dict[str, Any] = {"depths": [d1, d2], "pcf_digits": [s1, s2]}
    if not (math.isfinite(s1) and math.isfinite(s2)):
        details["reason"] = "the fraction terminates (rational value)"
        return replace(relation, status="rejected", digits=math.nan, details=details)
    need_info = info_digits(relation.coefficients) + MARGIN_DIGITS
    agrees, full, enough = [], [], []
    for d, s in ((d1, s1), (d2, s2)):
        w = int(max(15, min(s, cap_digits)))
        a = _agreement(relation, pcf.limit(d), w)
        agrees.append(a)
        full.append(a >= MIN_FRACTION * min(s, cap_digits))  # agrees with (almost) every digit the PCF holds
        enough.append(a >= need_info)                        # ... and far beyond the coefficients' information
    details["agreement"] = agrees
    # Agreement must grow with depth as the recurrence predicts: distinct eigenvalue moduli give a
    # fixed number of digits per term (so doubling the depth at least ~doubles them); equal moduli
    # ("polynomial" class) give sub-exponential convergence that no depth certifies.
    details["eig_class"] = pcf.eigenvalue_class()
    exponential = s2 >= 1.5 * s1 and s2 - s1 >= 5 and details["eig_class"] == "exponential"
    if not all(full):
        k = full.index(False)
        details["reason"] = (f"agrees to only {agrees[k]:.1f} digits at depth {(d1, d2)[k]} "
                             f"(the PCF holds {(s1, s2)[k]:.1f}): a false positive")
        return replace(relation, status="rejected", digits=agrees[k], details=details)
    if not exponential:
        details["reason"] = (f"agrees with every digit the PCF holds, but its digits grow only from {s1:.1f} "
                             f"to {s2:.1f} when the depth doubles (slow convergence): not certified")
        return replace(relation, status="slow", digits=s1, details=details)
    if not all(enough):
        details["reason"] = f"agrees to {min(agrees):.1f} digits, not {need_info:.1f} beyond the coefficients' information"
        return replace(relation, status="rejected", digits=min(agrees), details=details)
    return replace(relation, status="verified", digits=s1, details=details)


class MoebiusTable:
    """Sorted float64 values ``(alpha + beta*c)/(gamma + delta*c)`` for every basis constant and |coefficient| <= H.

    Rational values (``alpha*delta == beta*gamma``) and non-primitive or sign-duplicate
    coefficient vectors are left out.

    Examples
    --------
    >>> t = MoebiusTable(["pi", "e"], max_coef=4)
    >>> qi, ti = t.match(np.array([4 / np.pi, 0.3]))
    >>> [str(t.relation(j)) for j in ti]
    ['4/pi']
    """

    def __init__(self, constants: Sequence[str | Constant] | None = None, max_coef: int = 8) -> None:
        if max_coef < 1:
            raise ValueError(f"max_coef must be >= 1, got {max_coef}")
        self.constants = get_constants(constants)  # type: ignore[arg-type]
        self.max_coef = int(max_coef)
        r = np.arange(-max_coef, max_coef + 1, dtype=np.int64)
        al, be, ga, de = (g.ravel() for g in np.meshgrid(r, r, r, r, indexing="ij"))
        keep = (al * de - be * ga != 0) & ((de > 0) | ((de == 0) & (ga > 0)))
        g = np.gcd(np.gcd(al, be), np.gcd(ga, de))
        keep &= g == 1
        coefs = np.stack([al[keep], be[keep], ga[keep], de[keep]], axis=1)
        values, owner, rows = [], [], []
        for k, const in enumerate(self.constants):
            c = float(constant_value(const, 30))
            with np.errstate(divide="ignore", invalid="ignore"):
                v = (coefs[:, 0] + coefs[:, 1] * c) / (coefs[:, 2] + coefs[:, 3] * c)
            ok = np.isfinite(v)
            values.append(v[ok])
            owner.append(np.full(int(ok.sum()), k, dtype=np.int16))
            rows.append(np.nonzero(ok)[0].astype(np.int32))
        vals = np.concatenate(values)
        order = np.argsort(vals, kind="stable")
        self.values = vals[order]
        self.owner = np.concatenate(owner)[order]
        self.coefs = coefs[np.concatenate(rows)[order]].astype(np.int16)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def match(self, x: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """All ``(query index, table index)`` pairs with ``|x - value| <= rtol * max(1, |x|)``."""
        x = np.asarray(x, dtype=float)
        tol = rtol * np.maximum(1.0, np.abs(x))
        lo = np.searchsorted(self.values, x - tol, side="left")
        hi = np.searchsorted(self.values, x + tol, side="right")
        count = np.where(np.isfinite(x), hi - lo, 0)
        q = np.repeat(np.arange(x.shape[0]), count)
        offsets = np.arange(q.shape[0]) - np.repeat(np.cumsum(count) - count, count)
        return q, np.repeat(lo, count) + offsets

    def relation(self, j: int) -> Relation:
        """The (unverified) relation of table entry ``j``."""
        const = self.constants[int(self.owner[j])]
        return Relation(const.name, simplest_form(const, self.coefs[j].tolist()), symbol=const.symbol)
