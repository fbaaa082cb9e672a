"""Units of a data set's columns: ``X_units`` and ``y_units`` as users give them, checked
against the feature names, with messages that say what is wrong and how to fix it."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from srkit.units.unit import Unit, UnitError, as_unit

__all__ = ["assign_units"]


def assign_units(
    X_units: Sequence[Any] | Mapping[str, Any] | None,
    y_units: Any,
    feature_names: Sequence[str],
) -> tuple[tuple[Unit, ...] | None, Unit | None]:
    """One :class:`Unit` per feature (from a list in column order, or a dict by feature
    name) and the target's unit; ``(None, None)`` when no units are given.

    Examples
    --------
    >>> xs, y = assign_units({"m": "kg", "a": "m/s**2"}, "N", ["m", "a"])
    >>> [str(u) for u in xs], str(y)
    (['kg', 'm/s**2'], 'kg*m/s**2')
    >>> assign_units(["kg"], None, ["m", "a"])
    Traceback (most recent call last):
    ...
    srkit.units.unit.UnitError: X_units has 1 unit for 2 features (m, a); give one per feature, in column order, '1' for dimensionless ones
    """
    names = list(feature_names)
    if X_units is None:
        if y_units is not None:
            raise UnitError("y_units needs X_units too: give the units of every feature (X_units=[...] or "
                            "{'name': 'unit'}), '1' for dimensionless ones")
        return None, None
    if isinstance(X_units, str):
        raise UnitError(f"X_units must be a list with one unit per feature or a dict by feature name, not the "
                        f"text {X_units!r}; e.g. X_units=[{X_units!r}]")
    if isinstance(X_units, Mapping):
        from srkit.core.operators import suggest

        unknown = [k for k in X_units if k not in names]
        if unknown:
            hints = "".join(suggest(str(k), names) for k in unknown)
            raise UnitError(
                f"X_units gives units for {', '.join(map(repr, unknown))}, which {'is' if len(unknown) == 1 else 'are'} "
                f"not among the features ({', '.join(names)}): a dropped or misspelt column?{hints}"
            )
        missing = [n for n in names if n not in X_units]
        if missing:
            raise UnitError(f"X_units lacks units for the feature(s) {', '.join(missing)}; give every feature a unit, "
                            "'1' for dimensionless ones")
        units = [as_unit(X_units[n], f"the unit of {n!r}") for n in names]
    else:
        given = list(X_units)
        if len(given) != len(names):
            raise UnitError(
                f"X_units has {len(given)} unit{'s' if len(given) != 1 else ''} for {len(names)} features "
                f"({', '.join(names)}); give one per feature, in column order, '1' for dimensionless ones"
            )
        units = [as_unit(u, f"the unit of {n!r}") for n, u in zip(names, given)]
    y = None if y_units is None else as_unit(y_units, "y_units")
    return tuple(units), y
