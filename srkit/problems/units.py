"""Units of the AI Feynman problems, read at run time from the AI Feynman units table.

The table (``feynman_units.csv``: one row per variable name, exponents of m, s, kg,
T for temperature and V, the volt, used as a base unit; one row corrected, see
:data:`UNIT_CORRECTIONS`) is not part of the package:
srkit looks for it in ``$SRKIT_FEYNMAN_UNITS``, then in the ``shared/data`` folder
beside the repository.  Without it, problems have no units (``units`` is None).
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path

from srkit.units.unit import Unit

__all__ = ["UNIT_CORRECTIONS", "feynman_units_path", "feynman_units_table"]

# the table's column -> srkit's base-unit name (its T is temperature, the kelvin)
_BASES = {"m": "m", "s": "s", "kg": "kg", "T": "K", "V": "V"}

#: Rows of the table that contradict the law that uses them, corrected (tests/problems/
#: test_units.py checks every law against the table).  mu_drift is a mobility in
#: I.43.16, v = mu_drift*q*Volt/d, so s/kg; the table gives kg/s.
UNIT_CORRECTIONS: dict[str, dict[str, int]] = {"mu_drift": {"s": 1, "kg": -1}}


def feynman_units_path() -> Path | None:
    """Where the units table is, or None when it cannot be found."""
    env = os.environ.get("SRKIT_FEYNMAN_UNITS")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo.parent / "shared" / "data" / "feynman_units.csv",
                   Path.cwd().parent / "shared" / "data" / "feynman_units.csv"]
    return next((p for p in candidates if p.is_file()), None)


@functools.lru_cache(maxsize=4)
def feynman_units_table(path: str | None = None) -> dict[str, Unit] | None:
    """Variable name -> :class:`Unit` from the table at ``path`` (default: found by
    :func:`feynman_units_path`); None when there is no table.

    >>> table = feynman_units_table()
    >>> table is None or (str(table["F"]), str(table["kb"])) == ("kg*m/s**2", "kg*m**2/(s**2*K)")
    True
    """
    where = Path(path) if path is not None else feynman_units_path()
    if where is None:
        return None
    out: dict[str, Unit] = {}
    with open(where, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("Variable") or "").strip()
            if not name:
                continue
            try:
                out[name] = Unit({base: int(float(row[col])) for col, base in _BASES.items() if row.get(col)})
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{where}: the row of {name!r} has an unreadable exponent ({exc})") from None
    for name, exponents in UNIT_CORRECTIONS.items():
        if name in out:
            out[name] = Unit(exponents)
    return out
