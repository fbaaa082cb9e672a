"""The basis of named constants that limits are identified against.

Each constant is a name (used in CSV/JSON), a printable symbol and an mpmath
recipe.  The basis holds no two constants that are Moebius images of each
other (e.g. phi but not sqrt(5), zeta(2) but not pi**2), so one limit gives at
most one relation per class.  Values are computed on demand at the requested
precision and memoised per (name, dps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

__all__ = ["Constant", "CONSTANTS", "constant_value", "get_constants"]


@dataclass(frozen=True)
class Constant:
    """A named constant: ``name`` (identifier), ``symbol`` (for printing), ``recipe`` (mpmath, current precision)."""

    name: str
    symbol: str
    recipe: Callable[[], Any]
    description: str = ""
    quadratic: tuple[int, int] | None = None  # (m0, m1) with c**2 = m1*c + m0, for rationalising


def _m():  # type: ignore[no-untyped-def]
    import mpmath

    return mpmath


def _c(name: str, symbol: str, recipe: Callable[[], Any], description: str = "",
       quadratic: tuple[int, int] | None = None) -> Constant:
    return Constant(name, symbol, recipe, description, quadratic)


CONSTANTS: tuple[Constant, ...] = (
    _c("pi", "pi", lambda: _m().pi, "Archimedes' constant"),
    _c("e", "e", lambda: _m().e, "Euler's number"),
    _c("ln2", "log(2)", lambda: _m().log(2)),
    _c("ln3", "log(3)", lambda: _m().log(3)),
    _c("ln5", "log(5)", lambda: _m().log(5)),
    _c("sqrt2", "sqrt(2)", lambda: _m().sqrt(2), quadratic=(2, 0)),
    _c("sqrt3", "sqrt(3)", lambda: _m().sqrt(3), quadratic=(3, 0)),
    _c("phi", "phi", lambda: (1 + _m().sqrt(5)) / 2, "golden ratio (sqrt(5) is a Moebius image of it)",
       quadratic=(1, 1)),
    _c("cbrt2", "2**(1/3)", lambda: _m().cbrt(2)),
    _c("zeta2", "zeta(2)", lambda: _m().zeta(2), "pi**2/6"),
    _c("zeta3", "zeta(3)", lambda: _m().zeta(3), "Apery's constant"),
    _c("zeta4", "zeta(4)", lambda: _m().zeta(4), "pi**4/90"),
    _c("zeta5", "zeta(5)", lambda: _m().zeta(5)),
    _c("zeta6", "zeta(6)", lambda: _m().zeta(6), "pi**6/945"),
    _c("zeta7", "zeta(7)", lambda: _m().zeta(7)),
    _c("catalan", "Catalan", lambda: _m().catalan, "Catalan's constant G"),
    _c("gauss", "gauss", lambda: 1 / _m().agm(1, _m().sqrt(2)), "Gauss' constant 1/agm(1, sqrt(2))"),
    _c("lemniscate", "lemniscate", lambda: _m().pi / _m().agm(1, _m().sqrt(2)), "lemniscate constant (varpi)"),
    _c("euler_gamma", "euler_gamma", lambda: _m().euler, "Euler-Mascheroni constant"),
    _c("gompertz", "gompertz", lambda: -_m().e * _m().ei(-1), "Gompertz constant -e*Ei(-1)"),
    _c("e2", "e**2", lambda: _m().e ** 2, "coth(1) is a Moebius image"),
    _c("sqrt_e", "sqrt(e)", lambda: _m().sqrt(_m().e)),
    _c("sqrt_pi", "sqrt(pi)", lambda: _m().sqrt(_m().pi)),
    _c("pi_sqrt2", "pi*sqrt(2)", lambda: _m().pi * _m().sqrt(2)),
    _c("pi_sqrt3", "pi*sqrt(3)", lambda: _m().pi * _m().sqrt(3)),
    _c("pi3", "pi**3", lambda: _m().pi ** 3),
    _c("pi_ln2", "pi*log(2)", lambda: _m().pi * _m().log(2)),
    _c("ln_pi", "log(pi)", lambda: _m().log(_m().pi)),
    _c("ln_1_sqrt2", "log(1+sqrt(2))", lambda: _m().log(1 + _m().sqrt(2))),
    _c("gamma_1_4", "Gamma(1/4)", lambda: _m().gamma(_m().mpf(1) / 4)),
    _c("gamma_1_3", "Gamma(1/3)", lambda: _m().gamma(_m().mpf(1) / 3)),
    _c("bessel_i1_i0", "I1(2)/I0(2)", lambda: _m().besseli(1, 2) / _m().besseli(0, 2), "ratio of Bessel functions"),
    _c("tan1", "tan(1)", lambda: _m().tan(1), "cot(1) is a Moebius image"),
    _c("e_pi", "exp(pi)", lambda: _m().exp(_m().pi), "Gelfond's constant"),
    _c("glaisher", "glaisher", lambda: _m().glaisher, "Glaisher-Kinkelin constant"),
    _c("khinchin", "khinchin", lambda: _m().khinchin, "Khinchin's constant"),
)

_BY_NAME = {c.name: c for c in CONSTANTS}


def get_constants(names: Sequence[str | Constant] | None = None) -> tuple[Constant, ...]:
    """The constants with these names (all of :data:`CONSTANTS` if None); a clear error for unknown names.

    >>> [c.symbol for c in get_constants(["pi", "zeta3"])]
    ['pi', 'zeta(3)']
    """
    if names is None:
        return CONSTANTS
    out: list[Constant] = []
    for n in names:
        if isinstance(n, Constant):
            out.append(n)
            continue
        if n not in _BY_NAME:
            import difflib

            close = difflib.get_close_matches(str(n), list(_BY_NAME), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(_BY_NAME)}"
            raise ValueError(f"unknown constant {n!r}{hint}")
        out.append(_BY_NAME[n])
    return tuple(out)


@lru_cache(maxsize=512)
def _value(name: str, dps: int):  # type: ignore[no-untyped-def]
    import mpmath

    with mpmath.workdps(dps + 10):
        v = +_BY_NAME[name].recipe()
    return v


def constant_value(c: Constant | str, dps: int):  # type: ignore[no-untyped-def]
    """The constant as an ``mpmath.mpf`` accurate to ``dps`` digits (memoised; dps rounded up to a multiple of 50).

    >>> str(constant_value("pi", 20))[:12]
    '3.1415926535'
    """
    const = c if isinstance(c, Constant) else get_constants([c])[0]
    if const.name not in _BY_NAME or _BY_NAME[const.name] is not const:
        import mpmath

        with mpmath.workdps(dps + 10):
            return +const.recipe()
    return _value(const.name, -(-int(dps) // 50) * 50)
