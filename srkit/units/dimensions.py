"""Dimension algebra on expressions: is a formula dimensionally consistent, and what
units do its fitted constants carry?

Each operator says how it treats units (:attr:`srkit.core.operators.Operator.units`):
add and sub need equal units; mul and div add and subtract exponent vectors; a power
with a constant exponent scales them (``sqrt(m**2)`` is ``m``); exp, log, sin and the
other functions need a dimensionless argument and return a pure number.

A fitted constant may take any unit (as a physical constant does, ``G`` in
``G*m1*m2/r**2``) unless ``free_constants=False`` (PySR's
``dimensionless_constants_only``).  Such a constant makes its subtree's unit *free*:
``c*x`` can be made to have whatever unit its context needs.  The check runs bottom
up to find violations, then top down to give each constant the unit its context
requires (``None`` where the context leaves it open, as for ``c1*c2*x``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR
from srkit.units.unit import DIMENSIONLESS, Unit

__all__ = ["DimensionCheck", "check_dimensions"]


@dataclass(frozen=True)
class DimensionCheck:
    """What :func:`check_dimensions` found.

    consistent : no operation mixes units, and the formula can have the target's unit.
    unit : the formula's unit; ``None`` when its constants leave it free.
    violations : how many operations break the rules (0 when consistent).
    reason : the first violation in words ("" when consistent).
    constant_units : per coefficient slot, the unit the constant must carry
        (``None`` where the formula leaves it open).
    """

    consistent: bool
    unit: Unit | None
    violations: int
    reason: str
    constant_units: tuple[Unit | None, ...]

    def constant_units_text(self) -> dict[str, str]:
        """``{"c0": "m/s**2", ...}`` for the constants that carry a unit (not dimensionless)."""
        return {f"c{j}": str(u) for j, u in enumerate(self.constant_units)
                if u is not None and not u.is_dimensionless}


def _exponent_value(expr: Expr, i: int) -> float | None:
    """The value of the subtree at ``i`` when it holds no variable (a constant exponent)."""
    j = expr.subtree_end(i)
    if (expr.codes[i:j] == VAR).any():
        return None
    from srkit.fitness.interpreter import interpret  # values come from the one interpreter

    sub = expr.subtree(i)
    with np.errstate(all="ignore"):
        v = float(interpret(sub, np.zeros((sub.opset.n_variables, 1)), 1)[0])
    return v if math.isfinite(v) else None


def _rational(v: float) -> Fraction:
    """A fitted exponent as a rational; 1.9999999 reads as 2."""
    f = Fraction(v).limit_denominator(1000)
    return f if abs(float(f) - v) <= 1e-6 * max(1.0, abs(v)) else Fraction(v).limit_denominator(10**6)


def check_dimensions(
    expr: Expr,
    variable_units: Sequence[Unit],
    target: Unit | None = None,
    *,
    free_constants: bool = True,
) -> DimensionCheck:
    """Check ``expr`` against the units of its variables (by feature index) and of the target.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> from srkit.units.unit import parse_unit as u
    >>> names, X = ["m1", "m2", "r"], [u("kg"), u("kg"), u("m")]
    >>> e = parse("6.674e-11 * m1 * m2 / (r * r)", names)
    >>> c = check_dimensions(e, X, u("N"))
    >>> c.consistent, c.constant_units_text()
    (True, {'c0': 'm**3/(kg*s**2)'})
    >>> c = check_dimensions(parse("m1 + r", names), X)
    >>> c.consistent, c.reason
    (False, 'm1 + r adds kg to m')
    >>> check_dimensions(e, X, u("N"), free_constants=False).reason
    'the formula has units kg**2/m**2, the target N = kg*m/s**2'
    """
    if len(variable_units) != expr.opset.n_variables:
        raise ValueError(f"expected {expr.opset.n_variables} variable units, got {len(variable_units)}")
    checker = _Checker(expr, list(variable_units), free_constants)
    unit = checker.up(0)
    if target is not None and unit is not None and unit != target:
        checker.violate(f"the formula has units {unit}, the target {_named(target)}")
    required = target if target is not None else unit
    checker.down(0, required)
    return DimensionCheck(
        consistent=not checker.violations, unit=unit if unit is not None else target,
        violations=checker.violations, reason=checker.reason,
        constant_units=tuple(checker.constant_units),
    )


def _named(unit: Unit) -> str:
    from srkit.units.unit import parse_unit

    for name in ("N", "J", "W", "Pa", "C", "V", "ohm", "F", "T", "H"):
        if parse_unit(name) == unit:
            return f"{name} = {unit}"
    return str(unit)


class _Checker:
    def __init__(self, expr: Expr, variable_units: list[Unit], free_constants: bool) -> None:
        self.expr = expr
        self.var_units = variable_units
        self.free = free_constants
        self.units: dict[int, Unit | None] = {}  # node -> inferred unit (None: free)
        self.exponents: dict[int, Fraction | None] = {}  # pow node -> its constant exponent
        self.violations = 0
        self.reason = ""
        self.constant_units: list[Unit | None] = [None] * expr.n_coefs

    def violate(self, why: str) -> None:
        self.violations += 1
        if not self.reason:
            self.reason = why

    def text(self, i: int) -> str:
        return self.expr.subtree(i).format(4)

    # ------------------------------------------------------------------ bottom up
    def up(self, i: int) -> Unit | None:  # noqa: C901 - one branch per rule
        expr = self.expr
        code, arg = int(expr.codes[i]), int(expr.args[i])
        if code == VAR:
            unit: Unit | None = self.var_units[arg]
        elif code == COEF:
            unit = None if self.free else DIMENSIONLESS
        else:
            op = expr.opset.operator(code)
            kids = expr.children(i)
            us = [self.up(k) for k in kids]
            rule = op.units
            if op.arity == 0:
                unit = DIMENSIONLESS
            elif rule == "match":
                a, b = us
                if a is not None and b is not None and a != b:
                    self.violate(f"{self.text(i)} {'adds' if op.name != 'sub' else 'subtracts'} {a} "
                                 f"{'to' if op.name != 'sub' else 'and'} {b}")
                unit = a if a is not None else b
            elif rule == "product":
                unit = None if None in us else us[0] * us[1]  # type: ignore[operator]
            elif rule == "quotient":
                unit = None if None in us else us[0] / us[1]  # type: ignore[operator]
            elif rule == "power":
                unit = self._power(i, kids, us)
            elif rule.startswith("power:"):
                unit = None if us[0] is None else us[0] ** Fraction(rule[6:])
            else:  # dimensionless in, dimensionless out
                for k, u in zip(kids, us):
                    if u is not None and not u.is_dimensionless:
                        self.violate(f"{op.name}() needs a dimensionless argument, {self.text(k)} has units {u}")
                unit = DIMENSIONLESS
        self.units[i] = unit
        return unit

    def _power(self, i: int, kids: list[int], us: list[Unit | None]) -> Unit | None:
        base, exponent = us
        if exponent is not None and not exponent.is_dimensionless:
            self.violate(f"the exponent {self.text(kids[1])} has units {exponent}")
        value = _exponent_value(self.expr, kids[1])
        self.exponents[i] = None if value is None else _rational(value)
        if base is None or base.is_dimensionless:
            return base
        if self.exponents[i] is None:
            self.violate(f"{self.text(i)} raises {base} to a power that is not a constant")
            return base
        return base ** self.exponents[i]  # type: ignore[operator]

    # ------------------------------------------------------------------ top down
    def down(self, i: int, required: Unit | None) -> None:  # noqa: C901 - one branch per rule
        expr = self.expr
        code = int(expr.codes[i])
        unit = self.units[i] if self.units[i] is not None else required
        if code == COEF:
            self.constant_units[int(expr.args[i])] = unit if self.free else DIMENSIONLESS
            return
        if code == VAR:
            return
        op = expr.opset.operator(code)
        kids = expr.children(i)
        if op.arity == 0:
            return
        us = [self.units[k] for k in kids]
        rule = op.units
        if rule == "match":
            for k in kids:
                self.down(k, unit)
        elif rule in ("product", "quotient"):
            a, b = us
            if unit is not None and a is None and b is not None:
                self.down(kids[0], unit * b if rule == "quotient" else unit / b)
                self.down(kids[1], b)
            elif unit is not None and b is None and a is not None:
                self.down(kids[0], a)
                self.down(kids[1], a / unit if rule == "quotient" else unit / a)
            else:  # both known, or both free (c1*c2*x: each left open)
                self.down(kids[0], a)
                self.down(kids[1], b)
        elif rule == "power":
            p = self.exponents.get(i)
            base = us[0]
            if base is None and unit is not None and p:
                base = unit ** (1 / p)
            self.down(kids[0], base)
            self.down(kids[1], DIMENSIONLESS)
        elif rule.startswith("power:"):
            k = Fraction(rule[6:])
            self.down(kids[0], us[0] if us[0] is not None or unit is None or not k else unit ** (1 / k))
        else:
            for k in kids:
                self.down(k, DIMENSIONLESS)
