"""Losses and metrics: the one place each is defined.

A loss takes ``(y_true, y_pred, weights)`` and returns a float, lower is better;
a non-finite prediction gives ``inf``.  ``r2`` as a loss is ``1 - R^2``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import NDArray

from srkit.core.operators import suggest

__all__ = ["LOSSES", "get_loss", "mse", "nmse", "rmse", "mae", "r2_loss", "r2_score", "Loss"]

Array = NDArray[np.float64]
Loss = Callable[[Array, Array, "Array | None"], float]


def _mean(values: Array, weights: Array | None) -> float:
    if weights is None:
        return float(np.mean(values))
    return float(np.dot(values, weights) / weights.sum())


def _finite_or_inf(value: float) -> float:
    return value if np.isfinite(value) else float("inf")


def mse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean squared error.

    >>> mse(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    2.0
    """
    with np.errstate(all="ignore"):
        r = y_pred - y
        return _finite_or_inf(_mean(r * r, weights))


def rmse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Root mean squared error."""
    return float(np.sqrt(mse(y, y_pred, weights)))


def nmse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean squared error divided by the variance of ``y`` (1.0 for predicting the mean)."""
    var = _mean((y - _mean(y, weights)) ** 2, weights)
    return mse(y, y_pred, weights) / var if var > 0 else mse(y, y_pred, weights)


def mae(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean absolute error."""
    with np.errstate(all="ignore"):
        return _finite_or_inf(_mean(np.abs(y_pred - y), weights))


def r2_score(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Coefficient of determination R^2 (1 is perfect; -inf for non-finite predictions).

    >>> r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    err = mse(y, y_pred, weights)
    var = _mean((y - _mean(y, weights)) ** 2, weights)
    if not np.isfinite(err):
        return float("-inf")
    if var == 0:
        return 1.0 if err == 0 else float("-inf")
    return 1.0 - err / var


def r2_loss(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """``1 - R^2`` (the same ranking as nmse)."""
    return 1.0 - r2_score(y, y_pred, weights)


LOSSES: dict[str, Loss] = {"mse": mse, "nmse": nmse, "rmse": rmse, "mae": mae, "r2": r2_loss}


def get_loss(loss: str | Loss) -> Loss:
    """Look up a loss by name, or pass a callable through."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}.{suggest(str(loss), LOSSES)} Known: {', '.join(LOSSES)}")
    return LOSSES[loss]
