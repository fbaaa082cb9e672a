"""Unit: a physical dimension as a vector of rational exponents over named base units.

A unit is given either as text over SI base and derived unit names, read by
srkit's own small parser (never ``eval``/``sympify``)::

    "kg*m**2/s**2"   "N"   "m/s"   "kg m s^-2"   "1"  (dimensionless)

or as a mapping from base-unit name to exponent, ``{"m": 1, "s": -2}``, where any
base names are allowed: the algebra only adds and scales exponent vectors, so a
user may work outside SI (``{"V": 1}`` as a base, as the AI Feynman tables do).
Text is expanded to the SI base units m, kg, s, A, K, mol and cd; scale (``km``,
``g``, ``min``) does not change a dimension and is ignored.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Iterator, Mapping

__all__ = ["Unit", "UnitError", "as_unit", "parse_unit", "DIMENSIONLESS", "SI_BASE", "KNOWN_UNITS"]


class UnitError(ValueError):
    """A unit (or a set of units) is unusable; the message says what and how to fix it."""


#: The SI base units, in the order units are printed.
SI_BASE: tuple[str, ...] = ("kg", "m", "s", "A", "K", "mol", "cd")

_D = dict[str, int]
# Derived units by their SI base-unit exponents.
_DERIVED: dict[str, _D] = {
    "N": {"kg": 1, "m": 1, "s": -2},
    "J": {"kg": 1, "m": 2, "s": -2},
    "W": {"kg": 1, "m": 2, "s": -3},
    "Pa": {"kg": 1, "m": -1, "s": -2},
    "Hz": {"s": -1},
    "C": {"A": 1, "s": 1},
    "V": {"kg": 1, "m": 2, "s": -3, "A": -1},
    "ohm": {"kg": 1, "m": 2, "s": -3, "A": -2},
    "F": {"kg": -1, "m": -2, "s": 4, "A": 2},
    "T": {"kg": 1, "s": -2, "A": -1},
    "H": {"kg": 1, "m": 2, "s": -2, "A": -2},
    "Wb": {"kg": 1, "m": 2, "s": -2, "A": -1},
    "S": {"kg": -1, "m": -2, "s": 3, "A": 2},
    "eV": {"kg": 1, "m": 2, "s": -2},
    # scaled or non-SI units of an SI dimension
    "g": {"kg": 1},
    "min": {"s": 1},
    "h": {"s": 1},
    "L": {"m": 3},
    # angles are dimensionless in SI
    "rad": {},
    "sr": {},
}
_ALIASES = {"Ohm": "ohm", "Ω": "ohm", "hr": "h", "l": "L"}
# SI prefixes: "km" is a length, "ms" a time, "uF" a capacitance (scale is ignored)
_PREFIXES = ("Y", "Z", "E", "P", "G", "M", "k", "h", "da", "d", "c", "m", "u", "µ", "n", "p", "f", "a", "z", "y")

#: Every unit name the text parser knows without a prefix.
KNOWN_UNITS: tuple[str, ...] = SI_BASE + tuple(_DERIVED) + tuple(_ALIASES)


def _fraction(value: Any, what: str) -> Fraction:
    """An exponent as a Fraction: ints, Fractions, and floats that are simple rationals."""
    if isinstance(value, bool):
        raise UnitError(f"{what}: an exponent must be a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise UnitError(f"{what}: an exponent must be finite, got {value!r}")
        f = Fraction(value).limit_denominator(1000)
        if abs(float(f) - value) > 1e-9:
            raise UnitError(f"{what}: exponent {value!r} is not a simple fraction; give it as Fraction or 'a/b'")
        return f
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise UnitError(f"{what}: exponent {value!r} is not a number such as 2, -1 or 1/2") from None
    raise UnitError(f"{what}: an exponent must be a number, got {type(value).__name__} {value!r}")


class Unit:
    """A dimension: rational exponents over base-unit names (absent names have exponent 0).

    Units multiply, divide and take rational powers; equal exponent vectors are equal
    units whatever way they were written.

    Examples
    --------
    >>> force = Unit.parse("kg*m/s**2")
    >>> force == Unit.parse("N"), str(force), str(force / Unit.parse("kg"))
    (True, 'kg*m/s**2', 'm/s**2')
    >>> str(Unit.parse("m**2") ** Fraction(1, 2)), Unit.parse("m/m").is_dimensionless
    ('m', True)
    """

    __slots__ = ("_exponents",)

    def __init__(self, exponents: Mapping[str, Any] | None = None) -> None:
        clean: dict[str, Fraction] = {}
        for name, power in (exponents or {}).items():
            if not isinstance(name, str) or not re.fullmatch(r"[^\W\d]\w*", name):
                raise UnitError(f"base unit name {name!r} must be a word of letters, digits and _ (e.g. 'm', 'V')")
            p = _fraction(power, f"unit {name!r}")
            if p:
                clean[name] = p
        self._exponents = dict(sorted(clean.items(), key=lambda kv: _order(kv[0])))

    # ------------------------------------------------------------------ building
    @classmethod
    def parse(cls, text: str) -> Unit:
        """A unit from text; see :func:`parse_unit`."""
        return parse_unit(text)

    @property
    def exponents(self) -> dict[str, Fraction]:
        """A copy of the non-zero exponents by base name."""
        return dict(self._exponents)

    @property
    def is_dimensionless(self) -> bool:
        return not self._exponents

    def bases(self) -> Iterator[str]:
        return iter(self._exponents)

    def exponent(self, base: str) -> Fraction:
        return self._exponents.get(base, Fraction(0))

    # ------------------------------------------------------------------ algebra
    def __mul__(self, other: Unit) -> Unit:
        out = dict(self._exponents)
        for k, v in other._exponents.items():
            out[k] = out.get(k, Fraction(0)) + v
        return Unit(out)

    def __truediv__(self, other: Unit) -> Unit:
        return self * other ** -1

    def __pow__(self, power: int | Fraction) -> Unit:
        p = Fraction(power)
        return Unit({k: v * p for k, v in self._exponents.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unit) and self._exponents == other._exponents

    def __hash__(self) -> int:
        return hash(tuple(self._exponents.items()))

    # ------------------------------------------------------------------ printing
    def __str__(self) -> str:
        if not self._exponents:
            return "1"
        num = [_power(k, v) for k, v in self._exponents.items() if v > 0]
        den = [_power(k, -v) for k, v in self._exponents.items() if v < 0]
        text = "*".join(num) or "1"
        if den:
            text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
        return text

    def __repr__(self) -> str:
        return f"Unit({str(self)!r})"

    def to_dict(self) -> dict[str, int | str]:
        """Exponents for JSON: ints where whole, ``"a/b"`` text otherwise."""
        return {k: int(v) if v.denominator == 1 else str(v) for k, v in self._exponents.items()}


def _order(name: str) -> tuple[int, str]:
    return (SI_BASE.index(name), "") if name in SI_BASE else (len(SI_BASE), name)


def _power(name: str, p: Fraction) -> str:
    if p == 1:
        return name
    return f"{name}**{p.numerator}" if p.denominator == 1 else f"{name}**({p})"


#: The unit of pure numbers.
DIMENSIONLESS = Unit()


# ---------------------------------------------------------------------- parser
_TOKEN = re.compile(r"\s*(?:(\*\*|\^)|([*/·()])|(\d+(?:\.\d+)?)|([^\W\d]\w*|Ω|µ\w+)|(-))")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, value, position) tokens; kinds: pow, op, num, name, minus."""
    out, pos, end = [], 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise UnitError(f"cannot read unit {text!r}: unexpected {text[pos:].strip()[:1]!r} at position {pos}; "
                            "write units like 'kg*m**2/s**2', 'm/s' or '1'")
        kind = next(k for k, g in zip(("pow", "op", "num", "name", "minus"), m.groups()) if g is not None)
        out.append((kind, m.group(m.lastindex or 0), m.start(m.lastindex or 0)))
        pos = m.end()
    return out


def _named(name: str, text: str) -> Unit:
    name = _ALIASES.get(name, name)
    if name in SI_BASE:
        return Unit({name: 1})
    if name in _DERIVED:
        return Unit(_DERIVED[name])
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        rest = _ALIASES.get(name[len(prefix):], name[len(prefix):])
        if name.startswith(prefix) and rest and (rest in SI_BASE or rest in _DERIVED) and rest not in ("kg",):
            return _named(rest, text)
    from srkit.core.operators import suggest

    raise UnitError(
        f"unknown unit {name!r} in {text!r}.{suggest(name, KNOWN_UNITS)} Known units: {', '.join(KNOWN_UNITS)} "
        "(with SI prefixes such as k, m, u); for other base units pass a mapping such as {'V': 1}"
    )


class _Parser:
    """Recursive descent: product := power ((*|/|space) power)*; power := atom ((**|^) exponent)?"""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def fail(self, what: str) -> UnitError:
        tok = self.peek()
        where = f"at position {tok[2]}" if tok else "at the end"
        return UnitError(f"cannot read unit {self.text!r}: {what} {where}; write units like 'kg*m**2/s**2' or '1'")

    def product(self) -> Unit:
        unit = self.power()
        while (tok := self.peek()) is not None:
            if tok[1] in ("*", "·", "/"):
                self.i += 1
                rhs = self.power()
                unit = unit / rhs if tok[1] == "/" else unit * rhs
            elif tok[0] in ("name", "num") or tok[1] == "(":  # "kg m s^-2": a space multiplies
                unit = unit * self.power()
            else:
                break
        return unit

    def power(self) -> Unit:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[0] == "pow":
            self.i += 1
            base = base ** self.exponent()
        return base

    def atom(self) -> Unit:
        tok = self.peek()
        if tok is None:
            raise self.fail("expected a unit name")
        self.i += 1
        if tok[0] == "name":
            return _named(tok[1], self.text)
        if tok[0] == "num":
            if tok[1] not in ("1", "1.0"):
                raise UnitError(f"cannot read unit {self.text!r}: a number other than 1 ({tok[1]}) is a scale, not "
                                "a unit; write '1' for dimensionless")
            return DIMENSIONLESS
        if tok[1] == "(":
            unit = self.product()
            if self.peek() is None or self.peek()[1] != ")":  # type: ignore[index]
                raise self.fail("expected ')'")
            self.i += 1
            return unit
        self.i -= 1
        raise self.fail(f"unexpected {tok[1]!r}")

    def exponent(self) -> Fraction:
        tok = self.peek()
        if tok is not None and tok[1] == "(":  # (1/2), (-3/2)
            self.i += 1
            sign = self.sign()
            num = self.number()
            den = Fraction(1)
            if self.peek() is not None and self.peek()[1] == "/":  # type: ignore[index]
                self.i += 1
                den = self.number()
            if self.peek() is None or self.peek()[1] != ")":  # type: ignore[index]
                raise self.fail("expected ')' after the exponent")
            self.i += 1
            return sign * num / den
        sign = self.sign()
        return sign * self.number()

    def sign(self) -> int:
        tok = self.peek()
        if tok is not None and tok[0] == "minus":
            self.i += 1
            return -1
        return 1

    def number(self) -> Fraction:
        tok = self.peek()
        if tok is None or tok[0] != "num":
            raise self.fail("expected an exponent such as 2, -1 or (1/2)")
        self.i += 1
        return Fraction(tok[1])


def parse_unit(text: str) -> Unit:
    """A unit from text over SI base and derived unit names.

    ``*`` (or a space) multiplies, ``/`` divides, ``**`` or ``^`` raises to an integer
    or parenthesised fraction; ``1`` is dimensionless.

    Examples
    --------
    >>> str(parse_unit("J/(kg*K)")), str(parse_unit("kg m s^-2")), str(parse_unit("m**(1/2)"))
    ('m**2/(s**2*K)', 'kg*m/s**2', 'm**(1/2)')
    >>> parse_unit("N") == parse_unit("kg*m/s**2") == parse_unit("kN")
    True
    """
    if not isinstance(text, str):
        raise UnitError(f"parse_unit reads text such as 'm/s', got {text!r}; as_unit also takes a mapping "
                        "such as {'m': 1, 's': -1}")
    if not text.strip():
        raise UnitError("a unit is empty; write '1' for a dimensionless quantity")
    parser = _Parser(text)
    unit = parser.product()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return unit


def as_unit(spec: Any, what: str = "unit") -> Unit:
    """A :class:`Unit` from text, a mapping of base name to exponent, or a Unit.

    >>> as_unit({"m": 1, "s": -2}) == as_unit("m/s**2"), str(as_unit({"V": 1, "m": -1}))
    (True, 'V/m')
    """
    if isinstance(spec, Unit):
        return spec
    if isinstance(spec, str):
        return parse_unit(spec)
    if isinstance(spec, Mapping):
        return Unit(spec)
    if isinstance(spec, (int, float)) and not isinstance(spec, bool) and spec == 1:
        return DIMENSIONLESS
    raise UnitError(
        f"{what} must be text such as 'kg*m/s**2' or '1', or a mapping such as {{'m': 1, 's': -2}}, got {spec!r}"
    )
