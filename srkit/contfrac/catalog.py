"""Published polynomial continued fractions: what makes a search result *known* or *new*.

A verified relation is known when its PCF is, up to the equivalences the search
already reports one formula per class for (deflation, sign flip, index shift:
:meth:`~srkit.contfrac.pcf.PCF.canonical`), a formula of this catalogue; anything
else the search verifies is new to it.  The catalogue holds the classical formulas
collected in the project's research notes on continued fractions (Euler, Lambert,
Brouncker, Apery; the e, ln 2, zeta(2), zeta(3) and Gompertz families): extend
:data:`KNOWN_PCFS` as published formulas are added.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from srkit.contfrac.pcf import PCF

__all__ = ["KNOWN_PCFS", "is_known", "tag_known"]

#: (a(n), b(n), limit, source) of published formulas; a(n) from n = 0, b(n) from n = 1.
KNOWN_PCFS: tuple[tuple[str, str, str, str], ...] = (
    ("1", "1", "(1+sqrt(5))/2", "golden ratio"),
    ("2", "1", "1+sqrt(2)", "silver ratio"),
    ("2", "2", "1+sqrt(3)", "classical"),
    ("n", "n", "1/(e-1)", "Euler"),
    ("n+1", "n", "1/(e-2)", "Euler"),
    ("n+4", "-n", "e/(e-2)", "Euler"),
    ("4*n+2", "1", "(e+1)/(e-1)", "Euler (coth 1/2)"),
    ("2*n+1", "1", "coth(1)", "Lambert"),
    ("2*n+1", "-1", "cot(1)", "Lambert"),
    ("n", "1", "I1(2)/I0(2)", "Bessel ratio"),
    ("2*n+1", "n**2", "4/pi", "Euler / Lord Brouncker"),
    ("2", "(2*n-1)**2", "1+4/pi", "Brouncker"),
    ("6", "(2*n-1)**2", "3+pi", "Nilakantha form"),
    ("6*n+3", "-n**2", "2/ln(2)", "classical"),
    ("3*n+2", "-2*n**2", "1/ln(2)", "classical"),
    ("5", "n**2", "2/(2*ln(2)-1)", "classical"),
    ("34*n**3+51*n**2+27*n+5", "-n**6", "6/zeta(3)", "Apery"),
    ("(2*n+1)*(3*n**2+3*n+1)", "-n**6", "8/(7*zeta(3))", "Apery family"),
    ("11*n**2+11*n+3", "n**4", "5/zeta(2)", "Apery (zeta(2))"),
    ("2*n+2", "-n**2", "1/delta_G (Gompertz)", "Gompertz"),
)


@functools.lru_cache(maxsize=1)
def _canonical_forms() -> frozenset[str]:
    return frozenset(repr(PCF(a, b).canonical()) for a, b, _, _ in KNOWN_PCFS)


def is_known(pcf: PCF | str) -> bool:
    """Whether ``pcf`` (or the ``canonical`` text of a search record) is a catalogue formula
    up to deflation, sign flip and index shift.

    >>> is_known(PCF("2*n+3", "(n+1)**2")), is_known(PCF("3*n+3", "-2*n**2+n"))
    (True, False)
    """
    text = pcf if isinstance(pcf, str) else repr(pcf.canonical())
    return text in _canonical_forms()


def tag_known(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with ``known`` set, the new ones first (each group in index order)."""
    out = []
    for rec in records:
        rec = dict(rec)
        rec["known"] = is_known(rec["canonical"]) if "canonical" in rec else is_known(PCF(rec["a"], rec["b"]))
        out.append(rec)
    return sorted(out, key=lambda r: (r["known"], r.get("index", 0)))
