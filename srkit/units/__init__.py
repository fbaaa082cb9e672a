"""Physical units: parsing, dimension algebra on formulas, and dimensional analysis.

This layer sits above the core and the evaluator (it reads constant exponents through
the interpreter) and below the searchers' shared floor, which uses it to search in
dimensionless groups (:mod:`srkit.search.floor.dimensionless`).
"""

from srkit.units.dimensions import DimensionCheck, check_dimensions
from srkit.units.unit import DIMENSIONLESS, Unit, UnitError, as_unit, parse_unit

__all__ = ["DIMENSIONLESS", "Unit", "UnitError", "as_unit", "parse_unit", "DimensionCheck", "check_dimensions"]
