"""Unit parsing and algebra against hand-computed exponent vectors."""

from __future__ import annotations

from fractions import Fraction

import pytest

from srkit.units import DIMENSIONLESS, Unit, UnitError, as_unit, parse_unit


@pytest.mark.parametrize("text, expected", [
    ("kg*m**2/s**2", {"kg": 1, "m": 2, "s": -2}),
    ("J", {"kg": 1, "m": 2, "s": -2}),
    ("N", {"kg": 1, "m": 1, "s": -2}),
    ("W", {"kg": 1, "m": 2, "s": -3}),
    ("Pa", {"kg": 1, "m": -1, "s": -2}),
    ("Hz", {"s": -1}),
    ("C", {"A": 1, "s": 1}),
    ("V", {"kg": 1, "m": 2, "s": -3, "A": -1}),
    ("ohm", {"kg": 1, "m": 2, "s": -3, "A": -2}),
    ("F", {"kg": -1, "m": -2, "s": 4, "A": 2}),
    ("T", {"kg": 1, "s": -2, "A": -1}),
    ("H", {"kg": 1, "m": 2, "s": -2, "A": -2}),
    ("m/s", {"m": 1, "s": -1}),
    ("m/s/s", {"m": 1, "s": -2}),
    ("kg m s^-2", {"kg": 1, "m": 1, "s": -2}),
    ("J/(kg*K)", {"m": 2, "s": -2, "K": -1}),
    ("m**(1/2)", {"m": Fraction(1, 2)}),
    ("s^(-3/2)", {"s": Fraction(-3, 2)}),
    ("(m/s)**2", {"m": 2, "s": -2}),
    ("km/h", {"m": 1, "s": -1}),
    ("mol*cd", {"mol": 1, "cd": 1}),
    ("1", {}),
    ("1/s", {"s": -1}),
    ("m/m", {}),
])
def test_parse_gives_the_hand_computed_exponents(text: str, expected: dict) -> None:
    assert parse_unit(text).exponents == {k: Fraction(v) for k, v in expected.items()}


def test_algebra_and_printing() -> None:
    newton = parse_unit("N")
    assert newton * parse_unit("m") == parse_unit("J")
    assert parse_unit("J") / parse_unit("s") == parse_unit("W")
    assert parse_unit("m**2") ** Fraction(1, 2) == parse_unit("m")
    assert (newton / newton).is_dimensionless and newton / newton == DIMENSIONLESS
    assert str(newton) == "kg*m/s**2" and str(parse_unit("Hz")) == "1/s" and str(DIMENSIONLESS) == "1"
    assert str(parse_unit("m**(1/2)")) == "m**(1/2)"
    assert parse_unit(str(parse_unit("J/(kg*K)"))) == parse_unit("J/(kg*K)")  # prints what it reads


def test_mappings_allow_any_base_names() -> None:
    assert as_unit({"m": 1, "s": -2}) == parse_unit("m/s**2")
    volt_based = as_unit({"V": 1, "m": -1})  # the AI Feynman tables use the volt as a base
    assert volt_based.exponents == {"V": 1, "m": -1}
    assert volt_based != parse_unit("V/m")  # as SI text, V expands to kg*m**2/(s**3*A)
    assert as_unit({"m": "1/2"}).exponent("m") == Fraction(1, 2)
    assert as_unit({"m": 0.5}).exponent("m") == Fraction(1, 2)
    assert as_unit(1) == DIMENSIONLESS and as_unit(Unit()) == DIMENSIONLESS


@pytest.mark.parametrize("spec, message", [
    ("Nn", "unknown unit 'Nn' in 'Nn'. Did you mean 'N'?"),
    ("kgs", "unknown unit 'kgs'"),
    ("", "a unit is empty; write '1'"),
    ("m**", "expected an exponent"),
    ("m/(s", "expected ')'"),
    ("2*m", "a number other than 1 (2) is a scale"),
    ("m$", "unexpected '$'"),
    ({"m": 0.123456}, "is not a simple fraction"),
    ({"m": "x"}, "is not a number"),
    ({"2m": 1}, "must be a word"),
    (3.5, "must be text such as"),
    (None, "must be text such as"),
])
def test_bad_units_say_what_is_wrong(spec: object, message: str) -> None:
    with pytest.raises(UnitError, match=None) as info:
        as_unit(spec)
    assert message in str(info.value)
