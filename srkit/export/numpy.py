"""A picklable numpy callable for an Expr (the same interpreter that scored it)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr

__all__ = ["NumpyFunction", "to_numpy"]


class NumpyFunction:
    """``f(X)`` for ``X`` of shape ``(n, n_features)``; picklable (no lambdas inside).

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> f = to_numpy(parse("x0 * x1"))
    >>> f(np.array([[2.0, 3.0]])).tolist()
    [6.0]
    """

    def __init__(self, expr: Expr) -> None:
        self.expr = expr

    def __call__(self, X: Any) -> NDArray[np.float64]:
        from srkit.fitness.interpreter import interpret

        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return interpret(self.expr, np.ascontiguousarray(X.T), X.shape[0])

    def __repr__(self) -> str:
        return f"NumpyFunction({self.expr})"


def to_numpy(expr: Expr) -> NumpyFunction:
    """A numpy callable computing ``expr``."""
    return NumpyFunction(expr)
