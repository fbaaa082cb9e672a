"""A loss penalty for dimensionally inconsistent formulas (PySR's
``dimensional_constraint_penalty``), for searches in the original variables."""

from __future__ import annotations

from typing import Any, Sequence

from srkit.core.expr import Expr
from srkit.units.dimensions import check_dimensions
from srkit.units.unit import Unit

__all__ = ["DimensionalPenalty"]


class DimensionalPenalty:
    """``penalty(expr)``: ``weight`` per rule a formula breaks, 0 for a consistent one.

    Give ``weight`` on the loss's scale; srkit uses the loss of the best constant
    model, so that an inconsistent formula ranks below every consistent one that beats
    the mean, yet a search can still pass through it.  Results are cached by skeleton
    (a refit rarely changes consistency: only a constant exponent can).

    >>> from srkit.core.parse import parse
    >>> from srkit.units import parse_unit as u
    >>> penalty = DimensionalPenalty([u("m"), u("s")], u("m/s"), weight=2.0)
    >>> penalty(parse("r / t", ["r", "t"])), penalty(parse("r + t", ["r", "t"]))
    (0.0, 4.0)
    """

    def __init__(self, variable_units: Sequence[Unit], target: Unit | None, *, weight: float,
                 free_constants: bool = True, cache_size: int = 100_000) -> None:
        self.variable_units = tuple(variable_units)
        self.target = target
        self.weight = float(weight)
        self.free_constants = free_constants
        self.cache_size = cache_size
        self._cache: dict[tuple[Any, bytes], int] = {}

    def violations(self, expr: Expr) -> int:
        key = (expr.opset, expr.skeleton)
        hit = self._cache.get(key)
        if hit is None:
            hit = check_dimensions(expr, self.variable_units, self.target,
                                   free_constants=self.free_constants).violations
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def __call__(self, expr: Expr) -> float:
        return self.weight * self.violations(expr)
