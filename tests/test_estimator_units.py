"""SymbolicRegressor.fit(..., X_units=, y_units=): the search uses the units, the front
says which formulas are consistent, bad units are refused before any search."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from srkit import SymbolicRegressor
from srkit.units import UnitError


def _coulomb(n: int = 200, noise: float = 0.0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (n, 4))
    q1, q2, eps, r = X.T
    y = q1 * q2 / (4 * np.pi * eps * r**2)
    return X, y + rng.normal(0, noise * np.sqrt(np.mean(y**2)), n)


def test_units_find_coulombs_law_in_its_dimensionless_group() -> None:
    X, y = _coulomb()
    model = SymbolicRegressor(time_budget=30, random_state=0).fit(
        X, y, feature_names=["q1", "q2", "epsilon", "r"], X_units=["C", "C", "F/m", "m"], y_units="N")
    assert model.result_.stopped_by == "exact"
    import sympy

    q1, q2, eps, r = sympy.symbols("q1 q2 epsilon r", real=True)
    ratio = sympy.simplify(model.sympy().subs({s: sympy.Symbol(s.name, real=True) for s in model.sympy().free_symbols})
                           / (q1 * q2 / (eps * r**2)))
    assert ratio.is_number and abs(float(ratio) - 1 / (4 * np.pi)) < 1e-12
    chosen = next(r for r in model.pareto_front_ if r["selected"])
    assert chosen["dimensionally_consistent"] and chosen["constant_units"] == []


def test_constants_with_units_are_reported() -> None:
    # v = v0 + g*t: only t is an input, so the constants carry m/s and m/s**2
    t = np.linspace(0, 3, 40)
    model = SymbolicRegressor(operators=["add", "mul"], time_budget=20, random_state=0).fit(
        t[:, None], 2.0 + 9.81 * t, feature_names=["t"], X_units=["s"], y_units="m/s")
    chosen = next(r for r in model.pareto_front_ if r["selected"])
    assert chosen["dimensionally_consistent"]
    assert sorted(c["unit"] for c in chosen["constant_units"]) == ["m/s", "m/s**2"]
    assert sorted(round(c["value"], 6) for c in chosen["constant_units"]) == [2.0, 9.81]


def test_an_inconsistent_formula_is_not_chosen_even_when_exact() -> None:
    # y = r + t adds a length to a time: exact, but wrong for a physicist
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, (50, 2))
    model = SymbolicRegressor(operators=["add", "mul"], time_budget=10, max_iterations=30, random_state=0).fit(
        X, X[:, 0] + X[:, 1], feature_names=["r", "t"], X_units={"r": "m", "t": "s"}, y_units="m")
    records = model.pareto_front_
    assert all(r["dimensionally_consistent"] for r in records)
    assert model.best_.loss > 1e-6  # no consistent formula is exact here (a constant may carry m/s: 1.0*t is kept)
    # without units the same search stops on r + t
    plain = SymbolicRegressor(operators=["add", "mul"], time_budget=10, max_iterations=30, random_state=0).fit(
        X, X[:, 0] + X[:, 1], feature_names=["r", "t"])
    assert str(plain.best_.expr) in ("r + t", "t + r")


def test_unreachable_target_warns_or_refuses() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(1, 2, (30, 3))
    y = 6.674 * X[:, 0] * X[:, 1] / X[:, 2] ** 2
    names, units = ["m1", "m2", "r"], ["kg", "kg", "m"]
    with pytest.warns(UserWarning, match="no product of the inputs .* has the target's units kg\\*m/s\\*\\*2: "
                                         "a consistent law needs a constant with units"):
        SymbolicRegressor(time_budget=2, random_state=0).fit(X, y, feature_names=names, X_units=units, y_units="N")
    with pytest.raises(UnitError, match="dimensionless_constants_only=True no formula can be consistent"):
        SymbolicRegressor(time_budget=2, dimensionless_constants_only=True).fit(
            X, y, feature_names=names, X_units=units, y_units="N")


@pytest.mark.parametrize("kwargs, message", [
    ({"X_units": ["kg", "m"]}, "X_units has 2 units for 3 features"),
    ({"X_units": {"m1": "kg", "m2": "kg", "rr": "m"}}, "Did you mean 'r'?"),
    ({"X_units": ["kg", "kg", "metre"]}, "unknown unit 'metre'"),
    ({"y_units": "N"}, "y_units needs X_units too"),
])
def test_bad_units_are_refused_before_searching(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    X = np.random.default_rng(3).uniform(1, 2, (20, 3))
    with pytest.raises(UnitError, match=None) as info:
        SymbolicRegressor(time_budget=1).fit(X, X[:, 0], feature_names=["m1", "m2", "r"], **kwargs)
    assert message in str(info.value)


def test_without_units_nothing_changes() -> None:
    X, y = _coulomb(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SymbolicRegressor(time_budget=None, max_iterations=3, random_state=0).fit(X, y)
    assert "dimensionally_consistent" not in model.pareto_front_[0]


def test_units_are_saved_and_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import srkit

    t = np.linspace(0, 3, 40)
    model = SymbolicRegressor(operators=["add", "mul"], time_budget=None, max_iterations=5, random_state=0).fit(
        t[:, None], 2.0 + 9.81 * t, feature_names=["t"], X_units=["s"], y_units="m/s")
    model.save(tmp_path / "m.json")
    loaded = srkit.load(tmp_path / "m.json")
    assert loaded._units == model._units
    assert loaded.pareto_front_ == model.pareto_front_  # flags and constants' units included


def test_pure_numbers_are_searched_as_they_are() -> None:
    # all inputs dimensionless: no groups stage (it would only rename the variables)
    rng = np.random.default_rng(5)
    X = rng.uniform(1, 2, (40, 2))
    model = SymbolicRegressor(operators=["add", "mul"], time_budget=None, max_iterations=5, random_state=0).fit(
        X, X[:, 0] * X[:, 1], feature_names=["a", "b"], X_units=["1", "1"], y_units="1")
    assert not any(h.get("stage") == "groups" for h in model.result_.history)
    assert str(model.best_.expr) in ("a * b", "b * a")
