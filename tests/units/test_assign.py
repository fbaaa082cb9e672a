"""X_units / y_units as users give them: every bad case gives its message."""

from __future__ import annotations

import pytest

from srkit.units import UnitError, parse_unit
from srkit.units.assign import assign_units

NAMES = ["m", "a", "t"]


def test_lists_and_dicts() -> None:
    xs, y = assign_units(["kg", "m/s**2", {"s": 1}], "N", NAMES)
    assert xs == (parse_unit("kg"), parse_unit("m/s**2"), parse_unit("s")) and y == parse_unit("N")
    assert assign_units({"t": "s", "m": "kg", "a": "m/s**2"}, None, NAMES) == (xs, None)
    assert assign_units(None, None, NAMES) == (None, None)


@pytest.mark.parametrize("X_units, y_units, message", [
    (["kg", "m/s**2"], "N", "X_units has 2 units for 3 features (m, a, t); give one per feature"),
    ({"m": "kg", "a": "m/s**2", "tt": "s"}, None, "X_units gives units for 'tt', which is not among the features "
                                                  "(m, a, t): a dropped or misspelt column? Did you mean 't'?"),
    ({"m": "kg", "a": "m/s**2"}, None, "X_units lacks units for the feature(s) t"),
    (None, "N", "y_units needs X_units too"),
    ("kg", None, "X_units must be a list with one unit per feature or a dict by feature name"),
    (["kg", "m/s**2", "sec"], None, "unknown unit 'sec'"),
    (["kg", "m/s**2", "s"], "Newton", "unknown unit 'Newton'"),
])
def test_bad_units(X_units, y_units, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnitError) as info:
        assign_units(X_units, y_units, NAMES)
    assert message in str(info.value)
