"""Units of the AI Feynman problems, from the shared units table (read at run time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from srkit import problems
from srkit.problems.units import feynman_units_table
from srkit.units import as_unit, check_dimensions
from srkit.units.analysis import analyse

TABLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "feynman_units.csv"
needs_table = pytest.mark.skipif(not TABLE.is_file(), reason="the shared AI Feynman units table is not here")


@needs_table
def test_every_feynman_problem_has_units_and_its_law_is_consistent() -> None:
    import numpy as np

    from srkit.core import Operator, default_registry
    from srkit.core.parse import parse

    registry = default_registry()  # two laws use arcsin (a pure number of a pure number)
    registry.register(Operator("asin", 1, np.arcsin, "asin", "asin"))
    feynman = problems.suite("feynman")
    assert len(feynman) == 100
    for p in feynman:
        x_units, y_unit = p.units
        assert len(x_units) == p.n_variables
        # the law itself is consistent with the table's units (constants such as 4*pi are pure numbers)
        law = parse(str(p.ground_truth_float), list(p.variables), registry=registry)
        check = check_dimensions(law, x_units, y_unit, free_constants=False)
        assert check.consistent, (p.name, check.reason)
        assert analyse(p.variables, x_units, y_unit).reachable, p.name


@needs_table
def test_table_values() -> None:
    table = feynman_units_table(str(TABLE))
    assert table["F"] == as_unit("kg*m/s**2")
    assert table["kb"] == as_unit({"kg": 1, "m": 2, "s": -2, "K": -1})  # the table's T column is the kelvin
    assert table["q"] == as_unit({"kg": 1, "m": 2, "s": -2, "V": -1})  # the volt is a base unit there
    assert table["mu_drift"] == as_unit("s/kg")  # corrected: the table's kg/s breaks I.43.16
    assert problems.get("I.12.1").units == ((as_unit("1"), as_unit("N")), as_unit("N"))


def test_no_units_outside_feynman_or_without_the_table(monkeypatch, tmp_path) -> None:
    assert problems.get("Nguyen-1").units is None
    import srkit.problems.units as units_module

    monkeypatch.setattr(units_module, "feynman_units_path", lambda: None)
    units_module.feynman_units_table.cache_clear()
    try:
        assert problems.get("I.12.1").units is None
    finally:
        units_module.feynman_units_table.cache_clear()
