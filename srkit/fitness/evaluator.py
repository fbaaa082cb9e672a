"""The Evaluator: every score in srkit comes from here.

It interprets expressions on the training data, turns non-finite predictions
into ``loss = inf``, fits coefficients through its :class:`CoefficientFitter`,
caches fitted results by skeleton, counts evaluations against a budget, and
maps many candidates in parallel.  Searchers never evaluate on their own.

The Evaluator owns the budget.  Its :class:`Meter` counts every pass of the
interpreter over the data and, while a search runs (:meth:`Evaluator.limited`),
raises :class:`BudgetSpent` at the first evaluation past the evaluation limit or
the deadline -- inside a batch, inside a coefficient fit, in the first
population alike -- so no searcher can overshoot by more than one batch of
parallel fits.  Evaluators over a row subset or a transformed target are made with
:meth:`Evaluator.derive` and charge the same meter.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.data import Dataset
from srkit.core.expr import Expr
from srkit.core.rationals import rational_cost, simple_rational
from srkit.fitness.coefficients import CoefficientFitter
from srkit.fitness.interpreter import interpret
from srkit.fitness.linear import linear_scale
from srkit.fitness.losses import Loss, get_loss, mse
from srkit.fitness.parallel import parallel_map

__all__ = ["BudgetSpent", "Evaluator", "FitResult", "Meter"]

Array = NDArray[np.float64]


#: Candidates fitted per batch of :meth:`Evaluator.fit_many`.  The budget is checked
#: between batches (and inside them, for time), whatever ``n_jobs``: the same seed and
#: evaluation budget then give the same front in serial and in parallel.
BATCH_SIZE = 32

#: Seconds between two progress ticks of a :class:`Meter`.
TICK_INTERVAL = 0.25

#: Evaluations between two readings of the clock (deadline, progress ticks).
CLOCK_EVERY = 4


class BudgetSpent(BaseException):
    """The evaluation budget or the deadline is spent: the search stops here.

    A ``BaseException`` (like ``KeyboardInterrupt``), so that a searcher's
    ``except Exception`` around a failing candidate does not swallow it;
    :func:`srkit.search.base.run_search` catches it and keeps what was found.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "time" or "evals"


class Meter:
    """Counts evaluations and enforces the budget of every evaluator that shares it.

    ``deadline`` is a :func:`time.perf_counter` time; ``max_evals`` an absolute count.
    ``tick`` (if set) is called at most every :data:`TICK_INTERVAL` seconds from
    inside the evaluation loop, so a progress line appears even while one slow
    batch is being scored.  The evaluation limit is exact; the clock is read every
    :data:`CLOCK_EVERY` evaluations (an evaluation on 700k rows takes milliseconds).

    Examples
    --------
    >>> m = Meter(max_evals=2)
    >>> m.spend(); m.spend()
    >>> m.spend()
    Traceback (most recent call last):
    ...
    srkit.fitness.evaluator.BudgetSpent: evals
    >>> m.n
    2
    """

    __slots__ = ("n", "_max_evals", "_deadline", "_tick", "_next_tick", "_defer_evals", "_limit", "_interrupted")

    def __init__(self, max_evals: int | None = None, deadline: float | None = None) -> None:
        self.n = 0
        self._max_evals = max_evals
        self._deadline = deadline
        self._tick: Callable[[], None] | None = None
        self._next_tick = 0.0
        self._defer_evals = 0
        #: the count past which ``spend`` takes its slow path (any change of the limits resets it)
        self._limit: float = -1
        self._interrupted = False

    # the limits; setting one makes the next ``spend`` look at them again
    @property
    def max_evals(self) -> int | None:
        return self._max_evals

    @max_evals.setter
    def max_evals(self, value: int | None) -> None:
        self._max_evals, self._limit = value, -1

    @property
    def deadline(self) -> float | None:
        return self._deadline

    @deadline.setter
    def deadline(self, value: float | None) -> None:
        self._deadline, self._limit = value, -1

    @property
    def tick(self) -> Callable[[], None] | None:
        return self._tick

    @tick.setter
    def tick(self, value: Callable[[], None] | None) -> None:
        self._tick, self._next_tick, self._limit = value, 0.0, -1

    def spend(self, k: int = 1) -> None:
        """Charge ``k`` evaluations, first raising :class:`BudgetSpent` if the budget is gone."""
        if self.n + k > self._limit:  # the fast path is this comparison: it runs per evaluation
            self._check_limits(k)
        self.n += k

    def interrupt(self) -> None:
        """Note a Ctrl-C: the next evaluation raises KeyboardInterrupt.  Python may raise the
        signal's KeyboardInterrupt where it is ignored (in a finalizer, for example); the
        search then still stops at its next evaluation (see :func:`srkit.search.base.run_search`)."""
        self._interrupted, self._limit = True, -1

    def clear_interrupt(self) -> None:
        """The Ctrl-C has been handled."""
        self._interrupted = False

    def _check_limits(self, k: int) -> None:
        if self._interrupted:
            self._interrupted = False
            raise KeyboardInterrupt
        evals_at = math.inf
        if self._max_evals is not None and not self._defer_evals:
            if self.n + k > self._max_evals:
                raise BudgetSpent("evals")
            evals_at = self._max_evals
        clock_at = math.inf
        if self._deadline is not None or self._tick is not None:
            now = time.perf_counter()
            if self._deadline is not None and now >= self._deadline:
                raise BudgetSpent("time")
            if self._tick is not None and now >= self._next_tick:
                self._next_tick = now + TICK_INTERVAL
                self._tick()
            clock_at = self.n + CLOCK_EVERY
        self._limit = min(evals_at, clock_at)

    def check(self) -> None:
        """Raise :class:`BudgetSpent` if no evaluation may start now (charges nothing)."""
        if self._max_evals is not None and self.n >= self._max_evals:
            raise BudgetSpent("evals")
        if self._deadline is not None and time.perf_counter() >= self._deadline:
            raise BudgetSpent("time")

    @contextlib.contextmanager
    def limited(self, max_evals: int | None = None, deadline: float | None = None,
                tick: Callable[[], None] | None = None) -> Iterator[Meter]:
        """Tighten the limits inside the block (a nested search never loosens its
        caller's); the previous limits afterwards."""
        saved = (self._max_evals, self._deadline, self._tick)
        if max_evals is not None:
            self.max_evals = max_evals if self._max_evals is None else min(self._max_evals, max_evals)
        if deadline is not None:
            self.deadline = deadline if self._deadline is None else min(self._deadline, deadline)
        if tick is not None:
            self.tick = tick
        try:
            yield self
        finally:
            self._max_evals, self._deadline, self._tick = saved
            self._limit = -1

    @contextlib.contextmanager
    def evals_deferred(self) -> Iterator[None]:
        """Inside the block the evaluation limit is checked by the caller at batch ends
        (the deadline still holds): a batch costs the same in serial and in parallel."""
        self._defer_evals += 1
        self._limit = -1
        try:
            yield
        finally:
            self._defer_evals -= 1
            self._limit = -1


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
    max_evals : a hard evaluation budget (:class:`BudgetSpent` past it); each pass of the
        interpreter over the data counts one.  A search's :class:`~srkit.search.base.Budget`
        is enforced the same way while it runs.
    cache_size : fitted skeletons remembered.
    n_jobs, backend : parallel map of :meth:`fit_many` through joblib ("loky",
        "threading", or "dask" with a running ``distributed.Client``).
    penalty : ``penalty(expr) -> float`` added to every loss this evaluator reports (after
        fitting, which minimises the data loss alone): a prior that ranks formulas
        beyond their fit, such as dimensional consistency
        (:class:`srkit.units.penalty.DimensionalPenalty`).  ``None``: no penalty.

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
        penalty: Callable[[Expr], float] | None = None,
    ) -> None:
        if max_evals is not None and max_evals < 0:
            raise ValueError(f"max_evals must be >= 0 or None, got {max_evals}")
        self.dataset = dataset
        self.loss_fn = get_loss(loss)
        self.fitter = fitter if fitter is not None else CoefficientFitter()
        self.meter = Meter(max_evals=max_evals)
        self.cache_size = cache_size
        self.n_jobs = n_jobs
        self.backend = backend
        self.penalty = penalty
        self.cache_hits = 0
        #: the last finite results scored (fitted or not): what an interrupted search
        #: still returns when its searcher had not offered them yet
        self.recent: deque[tuple[Expr, float]] = deque(maxlen=256)
        # (opset, skeleton) of the expression handed in -> (fitted expression, loss).  The
        # opset is part of the key: equal code arrays mean different formulas in different opsets.
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
        #: the loss as a power of the residuals' scale (mse: 2), for "mdl" selection; None
        #: for losses that are not likelihoods (rank IC) or panels
        self.loss_power: float | None = getattr(self.loss_fn, "power", None) if len(shape) == 1 else None

    def is_exact(self, expr: Expr, loss: float) -> bool:
        """True when ``loss`` is round-off (at most ``loss_floor``) and ``expr`` has too few
        coefficients to have met the data by accident: at most ``n/2 - 1`` for ``n`` rows.
        With as many coefficients as rows, a formula interpolates noisy data exactly, and a
        search that stopped on that "exact" fit would stop on noise.

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> x = np.array([[1.0], [2.0], [3.0]])
        >>> ev = Evaluator(as_dataset(x, np.array([1.0, 5.0, 2.0])))  # three noisy rows
        >>> line = parse("1.5*x0 + 0.1")
        >>> ev.is_exact(line, 0.0), Evaluator(as_dataset(np.ones((8, 1)), np.arange(8.0))).is_exact(line, 0.0)
        (False, True)
        """
        return loss <= self.loss_floor and 2 * (expr.n_coefs + 1) <= self.dataset.n_samples

    # ------------------------------------------------------------------ budget
    @property
    def n_evals(self) -> int:
        """Evaluations charged so far (by this evaluator and those derived from it)."""
        return self.meter.n

    @n_evals.setter
    def n_evals(self, value: int) -> None:
        self.meter.n = value

    def limited(self, *, max_evals: int | None = None, time_budget: float | None = None,
                tick: Callable[[], None] | None = None) -> contextlib.AbstractContextManager[Meter]:
        """Enforce a budget inside the block: evaluations past ``max_evals`` (absolute)
        or after ``time_budget`` seconds from now raise :class:`BudgetSpent`.

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> ev = Evaluator(as_dataset(np.arange(5.0)[:, None], np.arange(5.0)))
        >>> with ev.limited(max_evals=1):
        ...     ev.loss(parse("x0")); ev.loss(parse("x0"))
        Traceback (most recent call last):
        ...
        srkit.fitness.evaluator.BudgetSpent: evals
        """
        deadline = None if time_budget is None else time.perf_counter() + time_budget
        return self.meter.limited(max_evals, deadline, tick)

    def derive(self, dataset: Dataset, loss: str | Loss | None = None, *,
               fitter: CoefficientFitter | None = None, same_variables: bool = True) -> Evaluator:
        """An evaluator over other data (a row subset, a transformed target) that charges
        this one's budget: its evaluations count here, and it stops when this one does.
        It keeps this one's ``penalty`` unless ``same_variables`` is False (data in other
        variables, such as dimensionless groups, which the penalty does not know).

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> ev = Evaluator(as_dataset(np.arange(6.0)[:, None], np.arange(6.0)))
        >>> sub = ev.derive(ev.dataset.subset(np.arange(3)))
        >>> _ = sub.loss(parse("x0")); ev.n_evals
        1
        """
        child = Evaluator(dataset, self.loss_fn if loss is None else loss,
                          fitter=self.fitter if fitter is None else fitter,
                          cache_size=self.cache_size, n_jobs=self.n_jobs, backend=self.backend,
                          penalty=self.penalty if same_variables else None)
        child.meter = self.meter
        return child

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, expr: Expr, coefs: Array | None = None) -> tuple[Array, bool]:
        """Values on the training data and whether all are finite; counts one evaluation."""
        self.meter.spend()
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
        loss = self._loss_of_values(values)
        if loss < math.inf:
            if self.penalty is not None:
                loss += self.penalty(expr)
            self.recent.append((expr, loss))
        return loss

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
            loss = self._loss_of_values(a + b * values)
        if self.penalty is not None and loss < math.inf:
            loss += self.penalty(expr)
        return float(a), float(b), loss

    # ------------------------------------------------------------------ fitting
    def fit(self, expr: Expr) -> tuple[Expr, float]:
        """Fit the coefficients of ``expr``; cached by skeleton.  Returns (expr, loss)."""
        key = _key(expr)
        hit = self._cache.get(key)
        if hit is not None:
            self.cache_hits += 1
            self._cache.move_to_end(key)
            return hit
        fitted, loss = _fit_one(self, expr, self.meter.spend)
        return self._remember(key, fitted, loss)

    def snap(self, expr: Expr, loss: float | None = None) -> tuple[Expr, float]:
        """``expr`` with each constant rounded to a simple rational (denominator at most 12,
        or 0) wherever the data cannot tell the difference; returns ``(expr, loss)``.

        The fitter snaps only what costs nothing (round-off), which is all an exact fit
        needs.  On noisy data a law's constants come out as 1.0021 or 0.4987 and its
        spurious terms with weights like 0.003: each is kept only if the loss it saves is
        worth a free parameter by the Bayesian information criterion, i.e. the snapped loss
        may be at most ``n**(power / (2 n))`` times the loss per constant rounded (0.09%
        on 10,000 rows, 16% on 20).  Losses that are not likelihoods (``power`` unknown)
        and exact fits are returned as they are.

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> x = np.linspace(-1, 1, 200)
        >>> y = x**2 + x + np.random.default_rng(0).normal(0, 0.01, 200)
        >>> ev = Evaluator(as_dataset(x[:, None], y))
        >>> fitted, loss = ev.fit(parse("1.1*x0*x0 + 0.9*x0 + 0.1"))
        >>> print(fitted.format(3), "->", ev.snap(fitted, loss)[0].format(3))
        0.998 * x0 * x0 + 0.999 * x0 + 0.000841 -> 1 * x0 * x0 + 1 * x0 + 0
        """
        if loss is None:
            loss = self.loss(expr)
        if self.loss_power is None or not expr.n_coefs or not (self.loss_floor < loss < math.inf):
            return expr, loss
        n = self.dataset.n_samples
        per_constant = math.exp(self.loss_power * math.log(n) / (2 * n))
        coefs = expr.coefs.copy()
        budget, snapped = loss, 0
        # nearest candidates first: a constant that is 1.0002 is tried before one that is 0.87
        # (only rationals cheaper to write than a free constant, log(n)/2 nats: on 20 rows
        # 0, 1, 2, 1/2; on 10,000 also 29/8; "mdl" selection charges constants the same way)
        candidates = sorted(
            (abs(c - r) / max(1.0, abs(c)), j, r) for j, c in enumerate(coefs)
            for r in _rationals_near(float(c), max_cost=0.5 * math.log(n))
        )
        # all at once first: constants that only matter together (the two of a denominator
        # -1.0047*x + 1.0040, whose ratio is the pole) cannot be rounded one at a time
        nearest: dict[int, float] = {}
        for _, j, r in candidates:
            nearest.setdefault(j, r)
        if len(nearest) > 1:
            trial = coefs.copy()
            trial[list(nearest)] = list(nearest.values())
            trial_loss = self.loss(expr.with_coefs(trial))
            if trial_loss <= budget * per_constant ** len(nearest):
                return expr.with_coefs(trial), trial_loss
        done: set[int] = set()
        for _, j, r in candidates:
            if j in done:
                continue
            trial = coefs.copy()
            trial[j] = r
            trial_loss = self.loss(expr.with_coefs(trial))
            if trial_loss <= budget * per_constant ** (snapped + 1):
                coefs, loss, snapped = trial, trial_loss, snapped + 1
                done.add(j)
        return (expr.with_coefs(coefs), loss) if snapped else (expr, loss)

    def loss_of_rewrite(self, expr: Expr, loss: float, rewritten: Expr) -> float:
        """The loss of ``rewritten``, a form of ``expr`` with the same values (such as
        :func:`~srkit.core.simplify.drop_identities` makes), without evaluating it: ``loss``
        with the ``penalty`` of the new form in place of the old one's (a ``1.0*t`` that
        carried units is inconsistent as ``t``).

        >>> import numpy as np
        >>> from srkit.core.data import as_dataset
        >>> from srkit.core.parse import parse
        >>> ev = Evaluator(as_dataset(np.ones((4, 1)), np.ones(4)), penalty=lambda e: float(e.size == 1))
        >>> ev.loss_of_rewrite(parse("1.0*x0"), 0.5, parse("x0"))
        1.5
        """
        if self.penalty is None or not loss < math.inf:
            return loss
        return loss - self.penalty(expr) + self.penalty(rewritten)

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
        """Fit many expressions, in parallel when ``n_jobs > 1``; same results as serial.

        They are fitted in batches of :data:`BATCH_SIZE`; the evaluation budget is
        checked before each batch, the deadline also inside it.
        """
        todo: dict[tuple[Any, bytes], Expr] = {}
        for e in exprs:
            key = _key(e)
            if key not in self._cache and key not in todo:
                todo[key] = e
        pending = list(todo.values())
        for start in range(0, len(pending), BATCH_SIZE):
            batch = pending[start:start + BATCH_SIZE]
            self.meter.check()
            if self.n_jobs == 1 or self.backend == "sequential" or len(batch) < 2:
                with self.meter.evals_deferred():
                    for e in batch:  # in this process: the deadline and progress ticks hold per evaluation
                        fitted, loss = _fit_one(self, e, self.meter.spend)
                        self._remember(_key(e), fitted, loss)
                continue
            results = parallel_map(
                _fit_chunk, batch, state=self._worker_state(), n_jobs=self.n_jobs, backend=self.backend
            )
            cut = False
            for e, (fitted, loss, used) in zip(batch, results):
                self.meter.n += used
                if fitted is None:  # the worker reached the deadline before finishing it
                    cut = True
                else:
                    self._remember(_key(e), fitted, loss)
            if cut:
                raise BudgetSpent("time")
        # (a cache smaller than one batch may have dropped some: fit() redoes those)
        out = [self._cache[k] if (k := _key(e)) in self._cache else self.fit(e) for e in exprs]
        self.cache_hits += len(exprs) - len(todo)
        return out

    def _remember(self, key: tuple[Any, bytes], fitted: Expr, loss: float) -> tuple[Expr, float]:
        """Cache a fit (its loss with the penalty added) and return ``(fitted, loss)``."""
        if self.penalty is not None and loss < math.inf:
            loss += self.penalty(fitted)
        self._cache[key] = (fitted, loss)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        if loss < math.inf:
            self.recent.append((fitted, loss))
        return fitted, loss

    def _worker_state(self) -> Evaluator:
        """A cache-free copy to ship to parallel workers, with a meter of its own that
        knows only the deadline (as wall-clock time, which other processes share)."""
        clone = object.__new__(Evaluator)
        clone.__dict__.update(self.__dict__)
        clone._cache = OrderedDict()
        clone.recent = deque(maxlen=1)
        clone.meter = Meter(deadline=self.meter.deadline)
        if self.meter.deadline is not None:
            clone._wall_deadline = time.time() + (self.meter.deadline - time.perf_counter())
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = OrderedDict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        wall = state.get("_wall_deadline")
        if wall is not None:  # a worker: the caller's deadline on this process's clock
            self.meter.deadline = time.perf_counter() + (wall - time.time())


def _key(expr: Expr) -> tuple[Any, bytes]:
    """Cache key: the skeleton within its operator set."""
    return (expr.opset, expr.skeleton)


def _fit_one(ev: Evaluator, expr: Expr, spend: Callable[[], None]) -> tuple[Expr, float]:
    """Fit one expression on ``ev``'s data; returns it fitted and its loss.  ``spend``
    charges each evaluation (and may raise :class:`BudgetSpent`)."""
    y = ev.dataset.y
    sqrt_w = ev._sqrt_w

    def residual(c: Array) -> Array:
        spend()
        r = interpret(expr, ev._columns, ev._n, c) - y
        return r if sqrt_w is None else r * sqrt_w

    def loss_of(c: Array) -> float:
        spend()
        return ev._loss_of_values(interpret(expr, ev._columns, ev._n, c))

    with np.errstate(all="ignore"):
        coefs, loss = ev.fitter.fit(expr, residual, loss_of, loss_floor=ev.loss_floor)
    return expr.with_coefs(coefs), loss


def _fit_chunk(ev: Evaluator, exprs: Sequence[Expr]) -> list[tuple[Expr | None, float, int]]:
    """Worker side of :meth:`Evaluator.fit_many`: ``(fitted, loss, evaluations)`` per
    expression; ``fitted`` is None for those the deadline cut (they are not cached)."""
    meter = Meter(deadline=ev.meter.deadline)  # one per call: threads share ``ev``
    out: list[tuple[Expr | None, float, int]] = []
    for e in exprs:
        before = meter.n
        try:
            fitted, loss = _fit_one(ev, e, meter.spend)
        except BudgetSpent:
            out.append((None, math.inf, meter.n - before))
            continue
        out.append((fitted, loss, meter.n - before))
    return out


def _rationals_near(c: float, max_denominator: int = 12, rel_tol: float = 0.05,
                    max_cost: float = math.inf) -> list[float]:
    """Values a noisy constant ``c`` may stand for: the simple rational with the smallest
    denominator within 5% (0 for a small ``c``) and the nearest one with denominator at most
    12, where they differ, differ from ``c`` and cost at most ``max_cost`` nats to write
    (:func:`~srkit.core.rationals.rational_cost`).

    >>> _rationals_near(1.0021), _rationals_near(0.6671), _rationals_near(0.003), _rationals_near(2.0)
    ([1.0], [0.6666666666666666], [0.0], [])
    >>> _rationals_near(3.6251), _rationals_near(3.6251, max_cost=2.0)
    ([3.5, 3.625], [])
    """
    out = []
    simplest = simple_rational(c, max_denominator, rel_tol)
    if simplest is not None:
        out.append(simplest)
    if math.isfinite(c):
        out.append(Fraction(c).limit_denominator(max_denominator))
    values = [f.numerator / f.denominator for f in out if rational_cost(f) <= max_cost]
    return [r for r in dict.fromkeys(values) if r != c]
