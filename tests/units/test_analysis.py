"""Buckingham-π groups against hand-computed ones for three Feynman laws (units as in the
AI Feynman table: exponents of m, s, kg, K and the volt V as a base)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from srkit.core.builtins import default_registry
from srkit.core.parse import parse
from srkit.fitness.interpreter import interpret
from srkit.units import as_unit
from srkit.units.analysis import analyse, power_product

NEWTON = {"m": 1, "s": -2, "kg": 1}
CHARGE = {"m": 2, "s": -2, "kg": 1, "V": -1}
FIELD = {"m": -1, "V": 1}


def vec(*xs: int) -> tuple[Fraction, ...]:
    return tuple(Fraction(x) for x in xs)


def test_friction_law_I_12_1() -> None:
    # F = mu * Nn: one group, mu itself; the prefactor is Nn
    a = analyse(["mu", "Nn"], [as_unit({}), as_unit(NEWTON)], as_unit(NEWTON))
    assert a.prefactor == vec(0, 1) and a.groups == (vec(1, 0),)
    assert a.describe() == "y = Nn * f(pi1) with pi1 = mu"


def test_driven_oscillator_II_11_3() -> None:
    # x = q*Ef / (m*(omega_0**2 - omega**2)) = q*Ef/(m*omega_0**2) * 1/(1 - (omega/omega_0)**2)
    a = analyse(["q", "Ef", "m", "omega_0", "omega"],
                [as_unit(CHARGE), as_unit(FIELD), as_unit({"kg": 1}), as_unit({"s": -1}), as_unit({"s": -1})],
                as_unit({"m": 1}))
    assert a.prefactor == vec(1, 1, -1, -2, 0)
    assert a.groups == (vec(0, 0, 0, 1, -1),)  # omega_0/omega
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (50, 5))
    q, Ef, m, w0, w = X.T
    y = q * Ef / (m * (w0**2 - w**2))
    Z, target = a.transform(X, y)
    np.testing.assert_allclose(target, 1 / (1 - Z[:, 0] ** -2), rtol=1e-12)


def test_newton_gravitation_I_9_18() -> None:
    # F = G*m1*m2/((x2-x1)**2 + (y2-y1)**2 + (z2-z1)**2): rank 3 of 9 variables, 6 groups,
    # each a ratio of two masses or two lengths
    names = ["m1", "m2", "G", "x1", "x2", "y1", "y2", "z1", "z2"]
    units = [as_unit({"kg": 1})] * 2 + [as_unit({"m": 3, "s": -2, "kg": -1})] + [as_unit({"m": 1})] * 6
    a = analyse(names, units, as_unit(NEWTON))
    assert a.prefactor == vec(2, 0, 1, -2, 0, 0, 0, 0, 0)  # G*m1**2/x1**2
    assert a.groups == (vec(1, -1, 0, 0, 0, 0, 0, 0, 0),) + tuple(
        vec(0, 0, 0, 1, *[-1 if k == j else 0 for k in range(5)]) for j in range(5))
    # every group is dimensionless and the prefactor has the target's units
    for g in a.groups:
        assert _unit_of(g, units).is_dimensionless
    assert _unit_of(a.prefactor, units) == as_unit(NEWTON)


def _unit_of(v, units):  # type: ignore[no-untyped-def]
    out = as_unit({})
    for p, u in zip(v, units):
        out = out * u ** p
    return out


def test_unreachable_target_and_no_groups() -> None:
    # F from masses and a distance only: a constant must carry s**-2 (G is not an input)
    a = analyse(["m1", "m2", "r"], [as_unit("kg"), as_unit("kg"), as_unit("m")], as_unit("N"))
    assert not a.reachable and a.prefactor is None and a.transform(np.ones((3, 3)), np.ones(3)) is None
    assert "no product of the inputs has the target's units" in a.describe()
    # v from g and h: v = C*sqrt(g*h), no group left
    a = analyse(["g", "h"], [as_unit("m/s**2"), as_unit("m")], as_unit("m/s"))
    assert a.prefactor == (Fraction(1, 2), Fraction(1, 2)) and a.groups == ()


def test_map_back_writes_the_law_in_the_original_variables() -> None:
    names = ["q", "Ef", "m", "omega_0", "omega"]
    a = analyse(names, [as_unit(CHARGE), as_unit(FIELD), as_unit({"kg": 1}), as_unit({"s": -1}),
                        as_unit({"s": -1})], as_unit({"m": 1}))
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sqrt", "pow"], names)
    g = parse("1 / (1 - 1 / (pi1 * pi1))", ["pi1"])
    law = a.map_back(g, ops)
    X = np.random.default_rng(1).uniform(1, 3, (20, 5))
    q, Ef, m, w0, w = X.T
    np.testing.assert_allclose(interpret(law, np.ascontiguousarray(X.T), 20), q * Ef / (m * (w0**2 - w**2)),
                               rtol=1e-12)


@pytest.mark.parametrize("exponents, text", [
    ((2, -1, 0), "a * a / b"),
    ((0, 0, -1), "inv(c)"),
    ((Fraction(1, 2), 0, Fraction(3, 2)), "sqrt(a) * c * sqrt(c)"),
    ((Fraction(1, 3), 0, 0), "a ** 0.3333333333333333"),
    ((0, 0, 0), "1.0"),
])
def test_power_product_spends_no_fitted_constant_where_it_can(exponents, text) -> None:  # type: ignore[no-untyped-def]
    ops = default_registry().operator_set(["mul", "div", "inv", "sqrt", "pow"], ["a", "b", "c"])
    assert str(power_product(tuple(Fraction(e) for e in exponents), ops)) == text
    no_pow = default_registry().operator_set(["mul", "div"], ["a", "b", "c"])
    if any(Fraction(e).denominator != 1 for e in exponents):
        with pytest.raises(ValueError, match="needs the operator pow"):
            power_product(tuple(Fraction(e) for e in exponents), no_pow)


def test_many_variables_take_the_elimination_route_and_stay_right() -> None:
    import time

    names = [f"x{i}" for i in range(40)]
    units = [as_unit(["m", "s", "kg", "m/s", "1"][i % 5]) for i in range(40)]
    start = time.perf_counter()
    a = analyse(names, units, as_unit("J"))
    assert time.perf_counter() - start < 2.0  # C(40, k) subsets would take hours
    assert len(a.groups) == 40 - 3 and a.reachable
    for g in a.groups:
        assert _unit_of(g, units).is_dimensionless
    assert _unit_of(a.prefactor, units) == as_unit("J")
