"""Coefficient fitting: Levenberg-Marquardt with restarts, linear scaling, snapping.

The fitter only changes ``expr.coefs``; the structure is the searcher's business.
It evaluates through a residual function handed to it by the Evaluator, so every
evaluation it makes is counted against the budget.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.rationals import simple_rational

__all__ = ["CoefficientFitter", "simple_rational", "snap_value"]

Array = NDArray[np.float64]
# residual(coefs) -> weighted residual vector (non-finite allowed)
Residual = Callable[[Array], Array]
# loss(coefs) -> float
LossOf = Callable[[Array], float]

_BIG = 1e30  # stands in for non-finite residuals so that LM can back away from them
_EPS = float(np.finfo(np.float64).eps)
_FD_STEP = 1.4901161193847656e-08  # sqrt(float64 eps): forward-difference step, relative
_XTOL = 1e-12  # stop when the scaled step is this small relative to the scaled point
_FTOL = 1e-12  # ... or when the sum of squares falls by less than this fraction
# initial trust radius: this factor times the scaled start point (MINPACK's ``factor``)
_RADIUS_FACTOR = 100.0


@dataclass(frozen=True)
class CoefficientFitter:
    """Levenberg-Marquardt (srkit's own, deterministic; see ``_levenberg_marquardt``) with restarts.

    Parameters
    ----------
    max_iter : trial points per LM run (each Jacobian costs one more evaluation per
        coefficient; the Evaluator counts every evaluation against its budget).
    n_restarts : extra runs from the start values perturbed log-normally; the best wins.
    restart_scale : spread of the perturbation (std of the log-factor, with random sign flips).
    snap : after fitting, try to replace each coefficient by a nearby simple rational
        (p/q, q <= ``snap_max_denominator``) and keep it when the loss does not get worse.

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


def snap_value(value: float, max_denominator: int = 12, rel_tol: float = 1e-6) -> float:
    """``value`` snapped to a simple rational (see :func:`simple_rational`) when one is that close.

    >>> snap_value(1.9999999997), snap_value(0.33333333), snap_value(3.39)
    (2.0, 0.3333333333333333, 3.39)
    """
    frac = simple_rational(value, max_denominator, rel_tol)
    return value if frac is None else frac.numerator / frac.denominator


def _levenberg_marquardt(residual: Residual, x0: Array, max_iter: int) -> Array | None:
    """Minimise ``sum(residual(c)**2)`` from ``x0``; None when ``x0`` is not finite.

    srkit's own Levenberg-Marquardt rather than scipy's MINPACK, because scipy
    1.17's ``least_squares(method="lm")`` reads one float past the end of its
    Jacobian (valgrind: ``enorm`` called from ``qrfac``), so the same fit could
    give another answer in another process.  The algorithm is MINPACK's (Moré
    1978): a forward-difference Jacobian, Marquardt's column scaling, a trust
    region in the scaled coefficients whose radius follows the ratio of actual
    to predicted reduction; the damping that fits the step to the radius comes
    from one SVD per Jacobian.  Plain numpy, so it is deterministic.
    ``max_iter`` counts trial points, not the Jacobian's evaluations (as scipy's
    MINPACK counted them).
    """

    def safe(c: Array) -> Array:
        r = residual(c)
        return np.where(np.isfinite(r), r, _BIG)

    x = np.array(x0, dtype=np.float64)
    r = residual(x)
    if not np.all(np.isfinite(r)):
        return None
    cost = float(np.sum(r * r))
    k = len(x)
    scale = np.zeros(k)
    radius = -1.0  # set from the first scaled point
    n_trials = 0
    while n_trials < max_iter and cost > 0.0:
        jac = np.empty((len(r), k))
        frozen = np.zeros(k, dtype=bool)
        for j in range(k):
            # absolute step for coefficients near zero: a relative one would drown
            # in the round-off of the residual there
            step = _FD_STEP * max(abs(x[j]), 1.0)
            col = _difference(residual, x, j, step, r)
            frozen[j] = col is None
            jac[:, j] = 0.0 if col is None else col
        if not np.all(np.isfinite(jac)):
            break
        # Marquardt's scaling: each coefficient in units of its column norm (the
        # largest seen so far, as MINPACK keeps it), so the radius is scale-free.
        scale = np.maximum(scale, np.sqrt(np.sum(jac * jac, axis=0)))
        unit = np.where(scale > 0.0, scale, 1.0)
        if radius < 0.0:
            norm_x = float(np.sqrt(np.sum((unit * x) ** 2)))
            radius = _RADIUS_FACTOR * norm_x if norm_x > 0.0 else _RADIUS_FACTOR
        u, s, vt = np.linalg.svd(jac / unit, full_matrices=False)
        # singular directions below round-off get no step (pseudo-inverse)
        kept = s > (s[0] * _EPS * max(jac.shape) if len(s) else 0.0)
        a = np.where(kept, s * (u.T @ r), 0.0)
        s2 = np.where(kept, s * s, 1.0)
        while n_trials < max_iter:
            coef = _step_coefficients(a, s2, kept, radius)
            dz = -(vt.T @ coef)
            dx = np.where(frozen, 0.0, dz / unit)  # exactly 0: round-off would leave the point
            step_norm = float(np.sqrt(np.sum(dz * dz)))
            x_new = x + dx
            r_new = safe(x_new)
            n_trials += 1
            cost_new = float(np.sum(r_new * r_new))
            predicted = cost - float(np.sum((r + jac @ dx) ** 2))
            rho = (cost - cost_new) / predicted if predicted > 0.0 else -1.0
            if rho < 0.25:
                radius = 0.5 * min(radius, step_norm)
            elif rho > 0.75:
                radius = max(radius, 2.0 * step_norm)
            if rho >= 1e-4:  # MINPACK's acceptance threshold
                norm_x = float(np.sqrt(np.sum((unit * x_new) ** 2)))
                small_gain = cost - cost_new <= _FTOL * cost and predicted <= _FTOL * cost
                x, r, cost = x_new, r_new, cost_new
                if small_gain or step_norm <= _XTOL * norm_x:
                    return x
                break
            if radius <= _XTOL * float(np.sqrt(np.sum((unit * x) ** 2))) or radius == 0.0:
                return x  # no step of any length helps: a (local) minimum
        else:
            break
    return x


def _difference(residual: Residual, x: Array, j: int, step: float, r: Array) -> Array | None:
    """Finite-difference column ``d r / d x_j``: forward, else backward; None when the
    formula is undefined on both sides.

    Some coefficients sit where the formula is defined on one side only, or at a single
    point: the exponent 2 in ``(x1 - x2)**2`` with negative bases is defined at 2 and
    nan at 2 +- 1e-8.  A column of stand-in residuals there (``_BIG / step``) would
    dwarf every other column, the SVD would drop all other directions as round-off, and
    the fit would stop where it started.  Such a coefficient is frozen for the step
    (a zero column, and exactly zero change) and the others move.
    """
    for h in (step, -step):
        shifted = x.copy()
        shifted[j] += h
        col = (residual(shifted) - r) / h
        if np.all(np.isfinite(col)):
            return col
    return None


def _step_coefficients(a: Array, s2: Array, kept: NDArray[np.bool_], radius: float) -> Array:
    """Step components ``a / (s² + λ)`` in the SVD basis, with the smallest λ >= 0 that
    keeps the step within ``radius`` (to 10%, as MINPACK's lmpar does)."""
    if not radius > 0.0:  # (a radius halved below the smallest float: no step at all)
        return np.zeros_like(a)
    gauss_newton = np.where(kept, a / s2, 0.0)
    norm = float(np.sqrt(np.sum(gauss_newton**2)))
    if norm <= 1.1 * radius:
        return gauss_newton
    # Newton's method on 1/||p(λ)|| - 1/radius, nearly linear in λ (Hebden, Moré):
    # from λ = 0 it climbs monotonically to the root.
    lam = 0.0
    coef = gauss_newton
    with np.errstate(all="ignore"):  # residuals of _BIG make huge intermediate values
        for _ in range(30):
            d = s2 + lam
            coef = np.where(kept, a / d, 0.0)
            norm2 = float(np.sum(coef**2))
            norm = math.sqrt(norm2)
            if norm <= 1.1 * radius:
                break
            # Newton step (1/radius - 1/norm) / slope, written without norm**3
            update = (norm / radius - 1.0) * norm2 / float(np.sum(np.where(kept, a * a / d**3, 0.0)))
            if not (math.isfinite(update) and update > 0.0):
                update = max(lam, float(np.max(s2)) * _EPS)  # still too long: double λ
            lam += update
    return coef
