"""The Evaluator: every score in srkit comes from here.

It interprets expressions on the training data, turns non-finite predictions
into ``loss = inf``, fits coefficients through its :class:`CoefficientFitter`,
caches fitted results by skeleton, counts evaluations against a budget, and
maps many candidates in parallel.  Searchers never evaluate on their own.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.data import Dataset
from srkit.core.expr import Expr
from srkit.fitness.coefficients import CoefficientFitter
from srkit.fitness.interpreter import interpret
from srkit.fitness.linear import linear_head, linear_scale
from srkit.fitness.losses import Loss, get_loss, mse
from srkit.fitness.parallel import parallel_map

__all__ = ["Evaluator", "FitResult"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class FitResult:
    """An expression with fitted coefficients and its training loss."""

    expr: Expr
    loss: float


class Evaluator:
    """Score expressions on one dataset.

    Parameters
    ----------
    dataset : the validated training data.
    loss : a name from :data:`srkit.fitness.losses.LOSSES` or a callable
        ``(y, y_pred, weights) -> float``.
    fitter : coefficient fitter (default :class:`CoefficientFitter`).
    max_evals : evaluation budget; each pass of the interpreter over the data counts one.
    cache_size : fitted skeletons remembered.
    n_jobs, backend : parallel map of :meth:`fit_many` through joblib ("loky",
        "threading", or "dask" with a running ``distributed.Client``).

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core.data import as_dataset
    >>> from srkit.core.parse import parse
    >>> X = np.linspace(0, 1, 20)[:, None]
    >>> ev = Evaluator(as_dataset(X, 3 * X[:, 0] + 1))
    >>> ev.loss(parse("3*x0 + 1"))
    0.0
    >>> ev.n_evals
    1
    """

    def __init__(
        self,
        dataset: Dataset,
        loss: str | Loss = "mse",
        *,
        fitter: CoefficientFitter | None = None,
        max_evals: int | None = None,
        cache_size: int = 200_000,
        n_jobs: int = 1,
        backend: str = "loky",
    ) -> None:
        if max_evals is not None and max_evals < 0:
            raise ValueError(f"max_evals must be >= 0 or None, got {max_evals}")
        self.dataset = dataset
        self.loss_fn = get_loss(loss)
        self.fitter = fitter if fitter is not None else CoefficientFitter()
        self.max_evals = max_evals
        self.cache_size = cache_size
        self.n_jobs = n_jobs
        self.backend = backend
        self.n_evals = 0
        self.cache_hits = 0
        # (opset, skeleton) of the expression handed in -> (fitted expression, loss); with
        # the linear head the fitted expression may have another skeleton.  The opset is
        # part of the key: equal code arrays mean different formulas in different opsets.
        self._cache: OrderedDict[tuple[Any, bytes], tuple[Expr, float]] = OrderedDict()
        self._columns = dataset.columns
        # a panel data set (srkit.alpha) has a (dates, assets) sample shape
        shape = getattr(dataset, "sample_shape", (dataset.n_samples,))
        self._n: int | tuple[int, ...] = shape[0] if len(shape) == 1 else tuple(shape)
        # nan-aware losses (the rank-IC family) score partial data; others need all finite
        self._nan_ok = bool(getattr(self.loss_fn, "nan_aware", False))
        self._sqrt_w = None if dataset.weights is None else np.sqrt(dataset.weights / dataset.weights.mean())
        y = dataset.y
        # Losses below this are round-off: exact fits are all equally exact.
        # (the minimum is applied after scaling: 1e-300 * 1e-24 would underflow to 0)
        self.loss_floor = max(float(np.mean(y * y)) * 1e-24, 1e-300) if self.loss_fn is mse else 0.0

    # ------------------------------------------------------------------ budget
    @property
    def exhausted(self) -> bool:
        """True once the evaluation budget is spent."""
        return self.max_evals is not None and self.n_evals >= self.max_evals

    @property
    def evals_left(self) -> float:
        return math.inf if self.max_evals is None else max(0, self.max_evals - self.n_evals)

    # ------------------------------------------------------------------ evaluation
    def predict(self, expr: Expr, X: Any) -> Array:
        """Values of ``expr`` on new inputs ``X`` of shape (n_samples, n_features); not counted."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(expr.opset.variables):
            raise ValueError(
                f"X must have shape (n_samples, {len(expr.opset.variables)}), got {X.shape}"
            )
        from srkit.export.numpy import to_numpy

        return to_numpy(expr)(X)

    def evaluate(self, expr: Expr, coefs: Array | None = None) -> tuple[Array, bool]:
        """Values on the training data and whether all are finite; counts one evaluation."""
        self.n_evals += 1
        values = interpret(expr, self._columns, self._n, coefs)
        return values, bool(np.isfinite(values).all())

    def _loss_of_values(self, values: Array) -> float:
        if not self._nan_ok and not np.isfinite(values).all():
            return math.inf
        loss = self.loss_fn(self.dataset.y, values, self.dataset.weights)
        return loss if math.isfinite(loss) else math.inf

    def loss(self, expr: Expr) -> float:
        """Training loss of ``expr`` with its coefficients as they are."""
        values, _ = self.evaluate(expr)
        return self._loss_of_values(values)

    def scaled_loss(self, expr: Expr) -> float:
        """Loss of the best ``a + b*expr`` (closed form, one evaluation): how good the
        shape of ``expr`` is, whatever its scale."""
        return self.scaled_fit(expr)[2]

    def scaled_fit(self, expr: Expr) -> tuple[float, float, float]:
        """``(a, b, loss)`` of the best ``a + b*expr`` (closed form, one evaluation).

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> X = np.linspace(0, 1, 20)[:, None]
        >>> a, b, loss = Evaluator(as_dataset(X, 2 * np.sin(X[:, 0]) - 1)).scaled_fit(parse("sin(x0)"))
        >>> round(a, 9), round(b, 9), loss < 1e-25
        (-1.0, 2.0, True)
        """
        values, ok = self.evaluate(expr)
        if not ok:
            return math.nan, math.nan, math.inf
        with np.errstate(all="ignore"):
            a, b = linear_scale(self.dataset.y, values, self._sqrt_w)
            return float(a), float(b), self._loss_of_values(a + b * values)

    # ------------------------------------------------------------------ fitting
    def fit(self, expr: Expr) -> tuple[Expr, float]:
        """Fit the coefficients of ``expr``; cached by skeleton.  Returns (expr, loss)."""
        key = _key(expr)
        hit = self._cache.get(key)
        if hit is not None:
            self.cache_hits += 1
            self._cache.move_to_end(key)
            return hit
        fitted, loss, used = _fit_one(self, expr)
        self.n_evals += used
        self._remember(key, fitted, loss)
        return fitted, loss

    def is_cached(self, expr: Expr) -> bool:
        """Whether the skeleton of ``expr`` has been fitted already."""
        return _key(expr) in self._cache

    def cached_fit(self, expr: Expr) -> tuple[Expr, float] | None:
        """The fitted result for this skeleton if known (free), else None."""
        hit = self._cache.get(_key(expr))
        if hit is None:
            return None
        self.cache_hits += 1
        return hit

    def fit_many(self, exprs: Sequence[Expr]) -> list[tuple[Expr, float]]:
        """Fit many expressions, in parallel when ``n_jobs > 1``; same results as serial."""
        todo: dict[tuple[Any, bytes], Expr] = {}
        for e in exprs:
            key = _key(e)
            if key not in self._cache and key not in todo:
                todo[key] = e
        if todo:
            pending = list(todo.values())
            results = parallel_map(
                _fit_chunk, pending, state=self._worker_state(), n_jobs=self.n_jobs, backend=self.backend
            )
            for e, (fitted, loss, used) in zip(pending, results):
                self.n_evals += used
                self._remember(_key(e), fitted, loss)
        # (a cache smaller than one batch may have dropped some: fit() redoes those)
        out = [self._cache[k] if (k := _key(e)) in self._cache else self.fit(e) for e in exprs]
        self.cache_hits += len(exprs) - len(todo)
        return out

    def _remember(self, key: tuple[Any, bytes], fitted: Expr, loss: float) -> None:
        self._cache[key] = (fitted, loss)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _worker_state(self) -> Evaluator:
        """A cache-free copy to ship to parallel workers."""
        clone = object.__new__(Evaluator)
        clone.__dict__.update(self.__dict__)
        clone._cache = OrderedDict()
        clone.max_evals = None
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = OrderedDict()
        return state


def _key(expr: Expr) -> tuple[Any, bytes]:
    """Cache key: the skeleton within its operator set."""
    return (expr.opset, expr.skeleton)


def _fit_one(ev: Evaluator, expr: Expr) -> tuple[Expr, float, int]:
    """Fit one expression on ``ev``'s data; returns it fitted, its loss and evaluations used."""
    y = ev.dataset.y
    sqrt_w = ev._sqrt_w
    count = [0]

    def term_values(sub: Expr) -> Array:
        count[0] += 1
        return interpret(sub, ev._columns, ev._n)

    if ev.fitter.linear_terms:
        with np.errstate(all="ignore"):
            expr = linear_head(expr, term_values, y, sqrt_w)

    def residual(c: Array) -> Array:
        count[0] += 1
        r = interpret(expr, ev._columns, ev._n, c) - y
        return r if sqrt_w is None else r * sqrt_w

    def loss_of(c: Array) -> float:
        count[0] += 1
        return ev._loss_of_values(interpret(expr, ev._columns, ev._n, c))

    with np.errstate(all="ignore"):
        coefs, loss = ev.fitter.fit(expr, residual, loss_of, loss_floor=ev.loss_floor)
    return expr.with_coefs(coefs), loss, count[0]


def _fit_chunk(ev: Evaluator, exprs: Sequence[Expr]) -> list[tuple[Expr, float, int]]:
    return [_fit_one(ev, e) for e in exprs]
