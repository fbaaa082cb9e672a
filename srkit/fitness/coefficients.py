"""Coefficient fitting: Levenberg-Marquardt with restarts, linear scaling, snapping.

The fitter only changes ``expr.coefs``; the structure is the searcher's business.
It evaluates through a residual function handed to it by the Evaluator, so every
evaluation it makes is counted against the budget.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr

__all__ = ["CoefficientFitter", "simple_rational", "snap_value"]

Array = NDArray[np.float64]
# residual(coefs) -> weighted residual vector (non-finite allowed)
Residual = Callable[[Array], Array]
# loss(coefs) -> float
LossOf = Callable[[Array], float]

_BIG = 1e30  # stands in for non-finite residuals so that LM can back away from them


@dataclass(frozen=True)
class CoefficientFitter:
    """Levenberg-Marquardt (scipy's MINPACK ``least_squares(method="lm")``) with restarts.

    Parameters
    ----------
    max_iter : function evaluations per LM run (the Jacobian's included).
    n_restarts : extra runs from the start values perturbed log-normally; the best wins.
    restart_scale : spread of the perturbation (std of the log-factor, with random sign flips).
    snap : after fitting, try to replace each coefficient by a nearby simple rational
        (p/q, q <= ``snap_max_denominator``) and keep it when the loss does not get worse.
    linear_terms : before LM, give each top-level additive term a least-squares
        weight (see :mod:`srkit.fitness.linear`); the Evaluator applies it.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core.parse import parse
    >>> from srkit.core.data import as_dataset
    >>> from srkit.fitness.evaluator import Evaluator
    >>> x = np.linspace(1, 2, 30)[:, None]
    >>> ev = Evaluator(as_dataset(x, 2.5 * x[:, 0] ** 1.5))
    >>> fitted, loss = ev.fit(parse("1.0*x0**1.0"))
    >>> np.round(fitted.coefs, 6).tolist()
    [2.5, 1.5]
    """

    max_iter: int = 60
    n_restarts: int = 2
    restart_scale: float = 1.0
    snap: bool = True
    snap_max_denominator: int = 12
    linear_terms: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_iter < 1 or self.n_restarts < 0:
            raise ValueError("max_iter must be >= 1 and n_restarts >= 0")

    def _rng_for(self, expr: Expr) -> np.random.Generator:
        # Restarts depend only on the skeleton and the seed, never on call order, so
        # cached, serial and parallel fits give identical results.
        return np.random.default_rng([self.seed, zlib.crc32(expr.skeleton)])

    def fit(
        self, expr: Expr, residual: Residual, loss_of: LossOf, *, loss_floor: float = 0.0
    ) -> tuple[Array, float]:
        """Best coefficients found and their loss (``inf`` when nothing is finite).

        ``loss_floor`` is the loss that counts as round-off on this data (the
        Evaluator's ``loss_floor``); snapping may raise the loss up to it.
        """
        start = np.array(expr.coefs, dtype=np.float64)
        best_c, best_loss = start, loss_of(start)
        if expr.n_coefs == 0:
            return best_c, best_loss
        rng = self._rng_for(expr)
        starts = [start]
        for _ in range(self.n_restarts):
            factor = np.exp(rng.normal(0.0, self.restart_scale, start.shape))
            sign = np.where(rng.random(start.shape) < 0.2, -1.0, 1.0)
            base = np.where(start == 0, 1.0, start)
            starts.append(base * factor * sign)
        for x0 in starts:
            c = _levenberg_marquardt(residual, x0, self.max_iter)
            if c is None:
                continue
            loss = loss_of(c)
            if loss < best_loss:
                best_c, best_loss = c, loss
        if self.snap and math.isfinite(best_loss):
            best_c, best_loss = self._snap(best_c, best_loss, loss_of, loss_floor)
        return best_c, best_loss

    def _snap(
        self, coefs: Array, loss: float, loss_of: LossOf, loss_floor: float = 0.0
    ) -> tuple[Array, float]:
        """Round coefficients to simple rationals where that costs (almost) nothing."""
        # "Almost nothing": within float round-off of the fitted loss.  The absolute
        # slack must scale with the data: a fixed 1e-28 let data of scale 1e-15
        # (physical constants) snap every coefficient to 0.
        tol = loss * (1 + 1e-9) + loss_floor
        best = coefs.copy()
        snapped = np.array([snap_value(c, self.snap_max_denominator) for c in coefs])
        if np.array_equal(snapped, coefs):
            return coefs, loss
        trial_loss = loss_of(snapped)
        if trial_loss <= tol:
            return snapped, trial_loss
        for j in range(len(coefs)):
            if snapped[j] == best[j]:
                continue
            trial = best.copy()
            trial[j] = snapped[j]
            trial_loss = loss_of(trial)
            if trial_loss <= tol:
                best, loss = trial, min(loss, trial_loss)
        return best, loss


def simple_rational(value: float, max_denominator: int = 12, rel_tol: float = 1e-6) -> Fraction | None:
    """The rational p/q with the smallest ``q <= max_denominator`` within
    ``rel_tol * max(1, |value|)`` of ``value``, or None.

    >>> simple_rational(0.4999999), simple_rational(3e-9), simple_rational(3.39)
    (Fraction(1, 2), Fraction(0, 1), None)
    """
    if not math.isfinite(value):
        return None
    bound = rel_tol * max(1.0, abs(value))
    for q in range(1, max_denominator + 1):
        p = round(value * q)
        if abs(value - p / q) <= bound:
            return Fraction(p, q)
    return None


def snap_value(value: float, max_denominator: int = 12, rel_tol: float = 1e-6) -> float:
    """``value`` snapped to a simple rational (see :func:`simple_rational`) when one is that close.

    >>> snap_value(1.9999999997), snap_value(0.33333333), snap_value(3.39)
    (2.0, 0.3333333333333333, 3.39)
    """
    frac = simple_rational(value, max_denominator, rel_tol)
    return value if frac is None else frac.numerator / frac.denominator


def _levenberg_marquardt(residual: Residual, x0: Array, max_iter: int) -> Array | None:
    from scipy.optimize import least_squares

    def safe(c: Array) -> Array:
        r = residual(c)
        return np.where(np.isfinite(r), r, _BIG)

    r0 = residual(x0)
    if not np.all(np.isfinite(r0)):
        return None
    n = len(r0)
    try:
        if n >= len(x0):
            sol = least_squares(safe, x0, method="lm", max_nfev=max_iter, xtol=1e-12, ftol=1e-12)
        else:  # MINPACK needs at least as many residuals as unknowns
            sol = least_squares(safe, x0, method="trf", max_nfev=max_iter)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    return np.asarray(sol.x, dtype=np.float64)
