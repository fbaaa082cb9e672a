"""Networks trained on ``y`` divided by a monomial: the factor a law is a multiple of.

Many laws are a monomial times one factor that is not: ``m*r*v*sin(theta)``,
``q*(Ef + B*v*sin(theta))``, ``G*m1*m2*(1/r2 - 1/r1)``.  A depth-2, width-3 network
cannot both multiply the monomial together and build the rest, and where the rest
changes sign the log space (:mod:`srkit.search.dsn.logspace`) does not apply.  But the
monomial shows in the data: regressing ``log|y|`` on ``log|x_j|`` (the variables that
keep one sign; trimmed least squares, see :func:`_trimmed_slopes`) gives a slope of 1
for ``m``, ``r`` and ``v`` in ``m*r*v*sin(theta)``, because ``log|sin(theta)|`` does
not depend on them.  Slopes within ``tolerance`` of a non-zero integer make the
monomial ``M``; networks are then trained on ``y / M`` (here ``sin(theta)``, one
variable) and a network ``f`` becomes the formula ``M * f`` in the
raw variables, refined and scored like every other.  The reciprocal and the square of
``y / M`` (``power``) are views of the same kind: ``G*m1*m2 / (dx**2 + dy**2 + dz**2)``
over ``G*m1*m2``, inverted, and ``sqrt(dx**2 + dy**2)`` squared are sums.

This is AI Feynman's multiplicative separability in its cheapest form: one least
squares fit, then one more input space for the same networks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.search.dsn.logspace import _one_sign

__all__ = ["FactorSpace"]


@dataclass(frozen=True)
class FactorSpace:
    """``(y / M) ** power`` for the monomial ``M = prod(x_j ** powers[j])``: a network
    fits ``h`` and the formula is ``M * h ** (1 / power)``.

    ``power=1`` divides the monomial out; ``power=-1``, the reciprocal, turns
    ``G*m1*m2 / (dx**2 + dy**2 + dz**2)`` into a sum of three squares and
    ``1 / (1/d1 + n/d2)`` into a sum of two quotients; ``power=2`` turns
    ``sqrt(dx**2 + dy**2)`` into a sum of squares.  Every power but 1 needs ``y / M``
    of one sign (no poles, no square root of a negative number); its sign is kept in
    ``sign``.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core.builtins import default_registry
    >>> from srkit.core.parse import parse
    >>> ops = default_registry().operator_set(["add", "mul", "div", "sin", "sqrt"], ["m", "r", "t"])
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 5, (500, 3))
    >>> space = FactorSpace.of(X, X[:, 0] * X[:, 1] * np.sin(X[:, 2]), ops)
    >>> space.powers
    (1, 1, 0)
    >>> str(space.to_raw(parse("2 * sin(t)", ops)))
    'm * r * (2.0 * sin(t))'
    >>> inverse = FactorSpace.of(X, X[:, 0] / (X[:, 1] + X[:, 2]), ops, power=-1)
    >>> inverse.powers, str(inverse.to_raw(parse("r + t", ops)))
    ((1, 0, 0), 'm / (r + t)')
    """

    powers: tuple[int, ...]
    opset: OperatorSet
    power: int = 1
    sign: float = 1.0

    #: no extra inputs: the networks see the raw variables
    n_log_inputs = 0

    @classmethod
    def of(
        cls, X: np.ndarray, y: np.ndarray, opset: OperatorSet, power: int = 1, tolerance: float = 0.1,
        max_power: int = 3,
    ) -> FactorSpace | None:
        """The monomial factor of ``y`` and the view ``(y / M) ** power``, or None where
        it does not apply.  ``M`` is made of the variables that keep one sign whose slope
        in the regression of ``log|y|`` on ``log|x_j|`` is within ``tolerance`` of a
        non-zero integer of at most ``max_power`` (negative ones only with ``div``); rows
        where ``y`` is 0 or not finite are left out of the regression.  None when:
        ``power=1`` and no such variable; another power and ``y / M`` changes sign, or
        the operator set cannot write ``h ** (1 / power)`` (``div`` for a negative power,
        ``sqrt`` or ``pow`` for 2 and -2)."""
        if power not in (1, -1, 2, -2):
            raise ValueError(f"power must be 1, -1, 2 or -2, got {power}")
        if (power < 0 and not opset.has("div")) or (abs(power) == 2 and not (opset.has("sqrt") or opset.has("pow"))):
            return None
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        columns = [j for j in range(X.shape[1]) if _one_sign(X[:, j])]
        ok = np.isfinite(y) & (y != 0)
        if not columns or ok.sum() < len(columns) + 2:
            return None
        design = np.column_stack([np.ones(int(ok.sum())), np.log(np.abs(X[ok][:, columns]))])
        slopes = _trimmed_slopes(design, np.log(np.abs(y[ok])))
        powers = [0] * X.shape[1]
        for j, slope in zip(columns, slopes):
            k = int(np.rint(slope))
            if k != 0 and abs(slope - k) <= tolerance and abs(k) <= max_power and (k > 0 or opset.has("div")):
                powers[j] = k
        space = cls(powers=tuple(powers), opset=opset)
        if power == 1:
            return space if any(powers) else None
        ratio = y / space.monomial(X)
        if not _one_sign(ratio):
            return None
        return cls(powers=tuple(powers), opset=opset, power=power, sign=float(np.sign(ratio[0])))

    @property
    def extended(self) -> OperatorSet:
        """The operator set the networks' formulas are written in: the raw one."""
        return self.opset

    def monomial(self, X: np.ndarray) -> np.ndarray:
        """``prod(x_j ** powers[j])`` on every row (1 when there is no factor)."""
        X = np.asarray(X, dtype=np.float64)
        return np.prod([X[:, j] ** k for j, k in enumerate(self.powers) if k], axis=0)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The raw inputs, unchanged."""
        return X

    def target(self, y: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``(y / M) ** power`` (of ``|y / M|`` for every power but 1)."""
        ratio = y / self.monomial(X)
        return ratio if self.power == 1 else np.abs(ratio) ** float(self.power)

    def to_raw(self, expr: Expr, max_size: int | None = None) -> Expr | None:
        """``sign * M * expr ** (1 / power)``, written with ``mul`` and ``div`` of the
        variables (and ``sqrt`` or ``pow`` for a power of 2 or -2); None when it has more
        than ``max_size`` nodes."""
        ops = self.opset

        def product(indices: list[int]) -> Expr | None:
            out: Expr | None = None
            for j in indices:
                v = Expr.variable(ops, j)
                out = v if out is None else Expr.apply(ops, "mul", out, v)
            return out

        numerator = product([j for j, k in enumerate(self.powers) if k > 0 for _ in range(k)])
        denominator = product([j for j, k in enumerate(self.powers) if k < 0 for _ in range(-k)])
        h = expr
        if abs(self.power) == 2:
            h = (Expr.apply(ops, "sqrt", h) if ops.has("sqrt")
                 else Expr.apply(ops, "pow", h, Expr.coefficient(ops, 0.5)))
        if self.sign < 0:
            h = Expr.apply(ops, "mul", Expr.coefficient(ops, -1.0), h)
        if self.power < 0:
            below = h if denominator is None else Expr.apply(ops, "mul", h, denominator)
            above = numerator if numerator is not None else Expr.coefficient(ops, 1.0)
            result = Expr.apply(ops, "div", above, below)
        else:
            result = h if numerator is None else Expr.apply(ops, "mul", numerator, h)
            if denominator is not None:
                result = Expr.apply(ops, "div", result, denominator)
        if max_size is not None and result.size > max_size:
            return None
        return result


def _trimmed_slopes(design: np.ndarray, target: np.ndarray, trim: float = 0.2, passes: int = 3) -> np.ndarray:
    """Least-squares slopes (intercept dropped) after leaving out, ``passes`` times, the
    ``trim`` share of rows with the largest residuals.  ``log|sin(theta)|`` and the
    like have a long tail towards -inf near the zeros of the factor, which pulls plain
    least squares off the integer slopes (m*r*v*sin(theta), 2,000 rows: 1.107 for r;
    trimmed: 1.014)."""
    keep = np.ones(len(target), dtype=bool)
    for _ in range(passes):
        coefs = np.linalg.lstsq(design[keep], target[keep], rcond=None)[0]
        residuals = np.abs(target - design @ coefs)
        keep = residuals <= np.quantile(residuals, 1 - trim)
    return np.linalg.lstsq(design[keep], target[keep], rcond=None)[0][1:]
