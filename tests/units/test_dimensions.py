"""The dimension algebra on formulas against hand-computed cases."""

from __future__ import annotations

import pytest

from srkit.core.parse import parse
from srkit.units import check_dimensions, parse_unit as u

NAMES = ["m", "v", "r", "t", "theta"]
UNITS = [u("kg"), u("m/s"), u("m"), u("s"), u("1")]


def check(text: str, target: str | None = None, free: bool = True):  # type: ignore[no-untyped-def]
    return check_dimensions(parse(text, NAMES), UNITS, None if target is None else u(target), free_constants=free)


@pytest.mark.parametrize("text, unit", [
    ("m * v * v", "J"),                   # products add exponents
    ("r / t", "m/s"),                      # quotients subtract them
    ("v - r / t", "m/s"),                  # sums of equal units
    ("sqrt(r * r * r / r)", "m"),          # a power 1/2
    ("(r * r) ** 1.5", "m**3"),            # a constant rational power
    ("r ** 0.5", "m**(1/2)"),
    ("square(v) * cube(t) / inv(m)", "kg*m**2*s"),
    ("-r + abs(r)", "m"),
    ("sin(theta) * r", "m"),               # a function of a pure number is a pure number
    ("exp(v * t / r)", "1"),
    ("pi * r", "m"),                       # named constants are pure numbers
])
def test_units_of_consistent_formulas(text: str, unit: str) -> None:
    c = check(text)
    assert c.consistent and c.violations == 0 and c.reason == ""
    assert c.unit == u(unit)


@pytest.mark.parametrize("text, reason", [
    ("r + t", "r + t adds m to s"),
    ("v - r", "v - r subtracts m/s and m"),
    ("sin(r)", "sin() needs a dimensionless argument, r has units m"),
    ("log(m * v)", "log() needs a dimensionless argument"),
    ("r ** t", "the exponent t has units s"),
    ("r ** theta", "raises m to a power that is not a constant"),
])
def test_violations_are_named(text: str, reason: str) -> None:
    c = check(text)
    assert not c.consistent and c.violations >= 1
    assert reason in c.reason


def test_target_units_are_checked() -> None:
    assert check("m * v / t", "N").consistent
    c = check("m * v", "N")
    assert not c.consistent and c.reason == "the formula has units kg*m/s, the target N = kg*m/s**2"


def test_free_constants_take_the_units_their_context_needs() -> None:
    # v = v0 + g*t: the constants carry m/s and m/s**2
    c = check("2.0 + 9.81 * t", "m/s")
    assert c.consistent
    assert [str(x) for x in c.constant_units] == ["m/s", "m/s**2"]
    assert c.constant_units_text() == {"c0": "m/s", "c1": "m/s**2"}
    # inside a function a constant is a pure number; c1*c2 together have a unit, neither alone
    c = check("1.5 * sin(0.5 * t / 2.0) * r", "m")
    assert c.consistent and str(c.constant_units[0]) == "1" and c.constant_units[1:] == (None, None)
    c = check("3.0 * 4.0 * r", "J")
    assert c.consistent and c.constant_units == (None, None)
    # a constant as the whole formula takes the target's unit
    assert [str(x) for x in check("7.0", "N").constant_units] == ["kg*m/s**2"]
    # a constant under a power: c**2 must be m**2, so c is m
    assert [str(x) for x in check("(5.0) ** 2.0", "m**2").constant_units] == ["m", "1"]


def test_dimensionless_constants_only() -> None:
    assert check("2.0 * r / t", "m/s", free=False).consistent
    c = check("9.81 * t", "m/s", free=False)
    assert not c.consistent and "the formula has units s" in c.reason
    assert check("r + 1.0", free=False).reason == "r + 1 adds m to 1"
    assert check("r + 1.0").consistent  # a free constant is a length here


def test_wrong_number_of_units() -> None:
    with pytest.raises(ValueError, match="expected 5 variable units, got 1"):
        check_dimensions(parse("r", NAMES), [u("m")])
