"""SymbolicRegressor: the scikit-learn style shell and composition root.

``fit`` validates the data, builds the operator set, the Evaluator and the
Problem, runs the searcher and keeps the result.  ``predict`` runs the same
interpreter that scored the model.  Options are validated in ``fit``, never in
``__init__`` (scikit-learn's rule).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.builtins import DEFAULT_OPERATORS, default_registry
from srkit.core.data import as_dataset, check_fittable
from srkit.core.expr import Expr
from srkit.core.operators import Operator, OperatorRegistry, OperatorSet
from srkit.core.pareto import SELECTIONS, ParetoEntry, ParetoFront
from srkit.core.parse import parse
from srkit.core.rng import as_generator
from srkit.fitness.coefficients import CoefficientFitter
from srkit.fitness.evaluator import Evaluator
from srkit.fitness.losses import r2_score
from srkit.search import Budget, Callback, Problem, SearchResult, make_searcher

__all__ = ["NoFormulaError", "SymbolicRegressor", "load"]

_FORMAT_VERSION = 1


class NoFormulaError(RuntimeError):
    """A search ended (Ctrl-C, budget, error) before any formula had a finite loss.

    ``result`` is the :class:`~srkit.search.base.SearchResult` (empty front, how it
    stopped, evaluations used); :meth:`to_dict` is the record ``srkit fit --output``
    saves, so that the state of the run is not lost.
    """

    def __init__(self, result: SearchResult) -> None:
        self.result = result
        how = {"interrupt": "was interrupted", "time": "ran out of time", "evals": "ran out of evaluations"}.get(
            result.stopped_by, f"stopped ({result.stopped_by or 'budget spent'})")
        last_error = next((h["error"] for h in reversed(result.history) if h.get("error")), "")
        why = f" (last error: {last_error})" if last_error else ""
        if result.stopped_by == "interrupt":
            fix = "run it again and let it run longer"
        elif result.stopped_by == "llm_error":
            fix = "check that the LLM server runs and its address (llm base_url / --llm-base-url)"
        else:
            fix = ("give it more time (time_budget / --time-budget), or check that y can be produced from X "
                   "with the chosen operators")
        super().__init__(
            f"the {result.searcher} search {how} after {result.n_evals} evaluations and "
            f"{result.wall_time:.1f} s before any formula had a finite loss{why}; {fix}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record of the run: ``{"format": ..., "status": "empty", "front": [], "search": {...}}``."""
        r = self.result
        return {
            "format": "srkit.SymbolicRegressor", "format_version": _FORMAT_VERSION, "status": "empty",
            "front": [],
            "search": {"searcher": r.searcher, "n_evals": r.n_evals, "iterations": r.iterations,
                       "wall_time": r.wall_time, "seed": r.seed, "stopped_by": r.stopped_by,
                       "config": _jsonable(r.config)},
        }


class SymbolicRegressor:
    """Find a formula ``y = f(X)``.

    Parameters
    ----------
    searcher : ``"auto"`` (the default: the closed-form step, then mcts, dsn and gp as one
        portfolio, see :mod:`srkit.search.auto`), ``"gp"``, ``"mcts"``, ``"dsn"``, ``"llm"``, or
        a searcher object (e.g. ``GPSearcher(GPConfig(...))``).
    operators : operator names (``["add", "mul", "sin"]``), a mapping name -> sampling
        weight, or :class:`~srkit.core.operators.Operator` records of your own.
        Default: add, sub, mul, div, sin, cos, exp, log, sqrt, pow.
    time_budget : seconds of search (None: no time limit; then set ``max_evals``
        or ``max_iterations``).
    max_evals : budget in evaluations (one pass of a candidate over the data).
    max_iterations : budget in searcher iterations (gp: generations; mcts: epochs; dsn:
        controller batches; auto: its members' iterations, shared out like a time budget).
    loss : "mse", "nmse", "rmse", "mae" or "r2".
    max_size, max_depth : limits on the expressions searched.
    search_rows : with more rows than this, the search scores candidates on this many
        rows drawn at random (the same ones throughout), and the front is then refitted
        and re-scored on all rows (5% of a time budget is kept for that); None: always
        all rows.
    model_selection : "mdl" (the shortest description of the data: residuals plus formula;
        it does not keep terms that only fit noise), or "best", "accuracy", "score" as PySR
        defines them (see :mod:`srkit.core.pareto`).
    random_state : int or ``numpy.random.Generator``; the same seed gives the same
        front with a fixed ``max_evals``/``max_iterations`` budget, whatever ``n_jobs``.
    n_jobs, parallel_backend : parallel coefficient fitting through joblib
        ("loky", "threading", "dask").
    verbose : 0 silent, 1 a progress line with the best loss and equation.
    warm_start : start from the previous fit's Pareto front.
    fitter : a :class:`CoefficientFitter` (Levenberg-Marquardt settings).
    callbacks : extra :class:`~srkit.search.base.Callback` objects.
    dimensionless_constants_only : with units (``fit(..., X_units=, y_units=)``), fitted
        constants must be pure numbers (PySR's option); by default they may carry units,
        as ``G`` in ``G*m1*m2/r**2``.
    llm : settings of the ``"llm"`` searcher, e.g. ``{"base_url": "http://localhost:11434/v1",
        "model": "llama3.1", "api_key": ...}`` (see :class:`~srkit.search.llm.LLMConfig`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (40, 2))
    >>> y = X[:, 0] * X[:, 1] + X[:, 0]
    >>> model = SymbolicRegressor(operators=["add", "mul"], time_budget=None,
    ...                           max_iterations=30, random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.999999
    True
    """

    def __init__(
        self,
        searcher: str | Any = "auto",
        *,
        operators: Sequence[str | Operator] | Mapping[str, float] | None = None,
        time_budget: float | None = 60.0,
        max_evals: int | None = None,
        max_iterations: int | None = None,
        loss: str = "mse",
        max_size: int = 30,
        max_depth: int = 10,
        search_rows: int | None = 10_000,
        model_selection: str = "mdl",
        random_state: int | np.random.Generator | None = None,
        n_jobs: int = 1,
        parallel_backend: str = "loky",
        verbose: int = 0,
        warm_start: bool = False,
        fitter: CoefficientFitter | None = None,
        callbacks: Sequence[Callback] = (),
        llm: Mapping[str, Any] | None = None,
        dimensionless_constants_only: bool = False,
    ) -> None:
        self.searcher = searcher
        self.operators = operators
        self.time_budget = time_budget
        self.max_evals = max_evals
        self.max_iterations = max_iterations
        self.loss = loss
        self.max_size = max_size
        self.max_depth = max_depth
        self.search_rows = search_rows
        self.model_selection = model_selection
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.parallel_backend = parallel_backend
        self.verbose = verbose
        self.warm_start = warm_start
        self.fitter = fitter
        self.callbacks = callbacks
        self.llm = llm
        self.dimensionless_constants_only = dimensionless_constants_only

    # ------------------------------------------------------------------ sklearn
    _PARAMS = (
        "searcher", "operators", "time_budget", "max_evals", "max_iterations", "loss", "max_size",
        "max_depth", "search_rows", "model_selection", "random_state", "n_jobs", "parallel_backend", "verbose",
        "warm_start", "fitter", "callbacks", "llm", "dimensionless_constants_only",
    )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> SymbolicRegressor:
        for name, value in params.items():
            if name not in self._PARAMS:
                from srkit.core.operators import suggest

                raise ValueError(f"unknown parameter {name!r}.{suggest(name, self._PARAMS)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items()
            if v != type(self)().get_params()[k] and not callable(v)
        ]
        return f"SymbolicRegressor({', '.join(changed)})"

    # ------------------------------------------------------------------ fit
    def _validate_options(self) -> Budget:
        for name in ("time_budget", "max_evals", "max_iterations"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not value > 0 or math.isnan(value)):
                raise ValueError(
                    f"{name} must be a positive number or None, got {value!r}; e.g. time_budget=60 "
                    "for one minute of search"
                )
        if self.time_budget is None and self.max_evals is None and self.max_iterations is None:
            raise ValueError(
                "no budget: set time_budget (seconds), max_evals or max_iterations so the search can end"
            )
        if self.model_selection not in SELECTIONS:
            raise ValueError(
                f"model_selection must be one of {', '.join(map(repr, SELECTIONS))}, got {self.model_selection!r}"
            )
        for name in ("max_size", "max_depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.search_rows is not None and (isinstance(self.search_rows, bool) or not isinstance(self.search_rows, int)
                                             or self.search_rows < 2):
            raise ValueError(f"search_rows must be an integer >= 2 or None (all rows), got {self.search_rows!r}")
        if not isinstance(self.n_jobs, int) or self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {self.n_jobs!r}")
        return Budget(
            time=self.time_budget,
            evals=self.max_evals,
            iterations=self.max_iterations,
        )

    def _operator_set(self, feature_names: Sequence[str]) -> tuple[OperatorSet, OperatorRegistry]:
        registry = default_registry()
        spec = self.operators if self.operators is not None else DEFAULT_OPERATORS
        if isinstance(spec, str):
            raise TypeError(f"operators must be a list of names, not a string; did you mean [{spec!r}]?")
        if isinstance(spec, Mapping):
            return registry.operator_set(spec, feature_names), registry
        names = []
        for item in spec:
            if isinstance(item, Operator):
                if item.name not in registry:
                    registry.register(item)
                names.append(item.name)
            else:
                names.append(str(item))
        return registry.operator_set(names, feature_names), registry

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        feature_names: Sequence[str] | None = None,
        sample_weight: Any = None,
        X_units: Sequence[Any] | Mapping[str, Any] | None = None,
        y_units: Any = None,
    ) -> SymbolicRegressor:
        """Search for a formula; returns ``self``.

        Raises ValueError with the fix in the message for bad data or options,
        before any search work starts.  Ctrl-C stops the search and keeps the
        best formulas found so far (``result_.stopped_by == "interrupt"``); when
        it stops before any formula had a finite loss, :class:`NoFormulaError`
        says so (its ``result`` keeps the run's state).

        ``X_units`` (one unit per feature: a list, or a dict by feature name) and
        ``y_units`` make the search use physical units: a unit is text such as
        ``"kg*m/s**2"``, ``"N"`` or ``"1"``, or a mapping ``{"m": 1, "s": -2}``.  The
        search then runs first in the problem's dimensionless groups (Buckingham π),
        then in the original variables; the model is chosen among the dimensionally
        consistent formulas, and ``pareto_front_`` says which are and what units the
        constants carry.
        """
        budget = self._validate_options()
        data = as_dataset(X, y, feature_names=feature_names, weights=sample_weight)
        check_fittable(data, stacklevel=3)  # one row or a constant y: nothing to search for
        opset, registry = self._operator_set(data.feature_names)
        self._units, analysis = self._units_of(X_units, y_units, data.feature_names, opset)
        rng = as_generator(self.random_state)
        evaluator = Evaluator(
            data, self.loss, fitter=self.fitter, n_jobs=self.n_jobs, backend=self.parallel_backend
        )
        if self._units is not None:  # inconsistent formulas rank below the mean, as in PySR
            from srkit.units.penalty import DimensionalPenalty

            mean_model = evaluator.loss_fn(data.y, np.full_like(data.y, np.average(data.y, weights=data.weights)),
                                           data.weights)
            evaluator.penalty = DimensionalPenalty(
                *self._units, weight=max(float(mean_model), evaluator.loss_floor, 1e-300),
                free_constants=not self.dimensionless_constants_only)
        seeds: list[Expr] = []
        if self.warm_start and getattr(self, "result_", None) is not None:
            if tuple(self.feature_names_in_) == data.feature_names:
                seeds = [e.expr.with_opset(opset) for e in self.result_.front]
        problem = Problem(
            data, opset, evaluator, max_size=self.max_size, max_depth=self.max_depth,
            selection=self.model_selection,  # type: ignore[arg-type]
            seeds=seeds,
        )
        if self.llm is not None and self.searcher != "llm":
            raise ValueError("llm settings are for searcher='llm'; pass searcher='llm' or an LLMSearcher object")
        searcher = make_searcher(self.searcher, **({"llm": self.llm} if self.llm is not None else {}))
        callbacks = list(self.callbacks)
        if self.verbose:
            from srkit.callbacks import ProgressPrinter

            callbacks.append(ProgressPrinter())
        result = self._search(searcher, problem, budget, rng, callbacks, analysis)
        if result.best is None:
            raise NoFormulaError(result)
        self._set_result(result, data.feature_names, registry)
        return self

    def _search(self, searcher: Any, problem: Problem, budget: Budget, rng: np.random.Generator,
                callbacks: Sequence[Callback], analysis: Any = None) -> SearchResult:
        """Run the search (on a row subsample of large data, with the front refitted on all
        rows; first in dimensionless groups when units allow), then round the front's
        constants where the data cannot tell (``polish``)."""
        import time

        from srkit.search.floor.dimensionless import search_in_groups
        from srkit.search.floor.polish import POLISH_SHARE, polish

        written: list[ParetoEntry] = []
        if analysis is not None:
            result, written_front = search_in_groups(
                lambda p, b: self._search_rows(searcher, p, b, rng, callbacks), problem, analysis, budget,
                searcher_name=getattr(searcher, "name", ""))
            written = written_front.entries()
        else:
            result = self._search_rows(searcher, problem, budget, rng, callbacks)
        if self._units is not None and result.front:
            # a formula that adds a length to a time is wrong whatever its loss: with units the
            # front is that of the consistent formulas (if there is one), which an exact
            # inconsistent formula would otherwise push off it
            consistent = [e for e in [*result.front, *written] if self._dimensions(e.expr).consistent]
            kept = problem.new_front()
            if consistent:
                for e in consistent:
                    kept.update(e.expr, e.loss, e.complexity)
            else:  # none is: show the formulas with their losses on the data, without the penalty
                penalty, problem.evaluator.penalty = problem.evaluator.penalty, None
                with problem.evaluator.meter.limited() as meter:
                    meter.max_evals = meter.deadline = None
                    for e in result.front:
                        kept.update(e.expr, problem.evaluator.loss(e.expr), e.complexity)
                problem.evaluator.penalty = penalty
            result = replace(result, front=kept, best=kept.select(problem.selection))
        if not result.interrupted and result.front:
            deadline = None if budget.time is None else time.perf_counter() + POLISH_SHARE * budget.time
            result = polish(result, problem, deadline)
        return result

    def _units_of(self, X_units: Any, y_units: Any, feature_names: Sequence[str],
                  opset: OperatorSet) -> tuple[Any, Any]:
        """The checked units (or None) and the dimensional analysis to search with (or None)."""
        import warnings

        from srkit.units.analysis import analyse
        from srkit.units.assign import assign_units
        from srkit.units.unit import UnitError

        x_units, target = assign_units(X_units, y_units, feature_names)
        self.X_units_ = x_units
        self.y_units_ = target
        if x_units is None:
            return None, None
        units = (x_units, target)
        if target is None:
            return units, None
        analysis = analyse(feature_names, x_units, target)
        if not analysis.reachable:
            known = ", ".join(f"{n} [{u}]" for n, u in zip(feature_names, x_units))
            if self.dimensionless_constants_only:
                raise UnitError(
                    f"no product of the inputs ({known}) has the target's units {target}, so with "
                    "dimensionless_constants_only=True no formula can be consistent; check the units, or let "
                    "constants carry units (dimensionless_constants_only=False)"
                )
            warnings.warn(
                f"no product of the inputs ({known}) has the target's units {target}: a consistent law needs a "
                "constant with units (as G in G*m1*m2/r**2); searching without dimensional analysis",
                UserWarning, stacklevel=4,
            )
            return units, None
        if len(analysis.groups) == len(feature_names):
            return units, None  # every input is a pure number already: nothing to reduce
        from srkit.units.analysis import power_product

        try:
            for v in (analysis.prefactor, *analysis.groups):
                power_product(v, opset)  # type: ignore[arg-type]
            if not opset.has("mul"):
                raise ValueError("writing the groups back needs the operator mul")
        except ValueError as exc:
            warnings.warn(f"searching without dimensional analysis: {exc}", UserWarning, stacklevel=4)
            return units, None
        if self.verbose:
            print(f"dimensional analysis: {analysis.describe()}")
        return units, analysis

    def _dimensions(self, expr: Expr) -> Any:
        from srkit.units.dimensions import check_dimensions

        x_units, target = self._units
        return check_dimensions(expr, x_units, target, free_constants=not self.dimensionless_constants_only)

    def _search_rows(self, searcher: Any, problem: Problem, budget: Budget, rng: np.random.Generator,
                     callbacks: Sequence[Callback]) -> SearchResult:
        import time

        from srkit.search.floor.rows import REFIT_SHARE, choose_rows, on_rows, refit_on_all_rows

        rows = choose_rows(problem.dataset.n_samples, self.search_rows, rng)
        self.n_search_rows_ = problem.dataset.n_samples if rows is None else len(rows)
        if rows is None:
            return searcher.search(problem, budget=budget, rng=rng, callbacks=callbacks)  # type: ignore[no-any-return]
        # a share of a time or evaluation budget is kept for the refit on all rows
        search_budget = replace(
            budget, time=None if budget.time is None else budget.time * (1 - REFIT_SHARE),
            evals=None if budget.evals is None else int(budget.evals * (1 - REFIT_SHARE)))
        result = searcher.search(on_rows(problem, rows), budget=search_budget, rng=rng, callbacks=callbacks)
        if not result.front:
            return result  # type: ignore[no-any-return]
        deadline = None if budget.time is None else time.perf_counter() + budget.time * REFIT_SHARE
        if result.interrupted:  # after Ctrl-C: re-score on all rows, no refits
            deadline = time.perf_counter()
        return refit_on_all_rows(result, problem, deadline, budget.evals)

    def _set_result(self, result: SearchResult, feature_names: Sequence[str], registry: OperatorRegistry) -> None:
        self.result_ = result
        self.best_: ParetoEntry = result.best  # type: ignore[assignment]
        self.feature_names_in_ = np.array(feature_names, dtype=object)
        self.n_features_in_ = len(feature_names)
        self._registry = registry

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if getattr(self, "result_", None) is None:
            raise RuntimeError("this SymbolicRegressor is not fitted yet; call fit(X, y) first")

    @property
    def pareto_front_(self) -> list[dict[str, Any]]:
        """The Pareto front as records: complexity, loss, score, equation, size, and
        ``selected`` for the chosen one (``pandas.DataFrame(model.pareto_front_)``)."""
        self._check_fitted()
        records = self.result_.front.to_records()
        for rec, entry in zip(records, self.result_.front.entries()):
            rec["selected"] = entry.expr == self.best_.expr
            if getattr(self, "_units", None) is not None:
                check = self._dimensions(entry.expr)
                rec["dimensionally_consistent"] = check.consistent
                rec["constant_units"] = [
                    {"value": float(entry.expr.coefs[j]), "unit": str(u)}
                    for j, u in enumerate(check.constant_units) if u is not None and not u.is_dimensionless
                ]
                if not check.consistent:
                    rec["dimension_error"] = check.reason
        return records

    @property
    def expr_(self) -> Expr:
        self._check_fitted()
        return self.best_.expr

    def _entry(self, index: int | None) -> ParetoEntry:
        self._check_fitted()
        if index is None:
            return self.best_
        entries = self.result_.front.entries()
        if not -len(entries) <= index < len(entries):
            raise IndexError(f"the Pareto front has {len(entries)} entries; index {index} is out of range")
        return entries[index]

    def _as_matrix(self, X: Any) -> NDArray[np.float64]:
        self._check_fitted()
        if hasattr(X, "columns"):
            missing = [c for c in self.feature_names_in_ if c not in set(map(str, X.columns))]
            if missing:
                raise ValueError(f"X lacks the feature columns {missing} seen in fit")
            X = X[[c for c in self.feature_names_in_]].to_numpy()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_features_in_}) like the data seen in fit, got {X.shape}"
            )
        return X

    def predict(self, X: Any, index: int | None = None) -> NDArray[np.float64]:
        """Predictions of the chosen formula (or front entry ``index``) on ``X``."""
        from srkit.fitness.interpreter import to_numpy

        return to_numpy(self._entry(index).expr)(self._as_matrix(X))

    def score(self, X: Any, y: Any) -> float:
        """R^2 of the chosen formula on ``(X, y)``."""
        return r2_score(np.asarray(y, dtype=np.float64), self.predict(X))

    def sympy(self, index: int | None = None, *, precision: int | None = None) -> Any:
        """The formula as a sympy expression."""
        return self._entry(index).expr.to_sympy(precision=precision)

    def latex(self, index: int | None = None, precision: int = 4) -> str:
        """The formula in LaTeX."""
        return self._entry(index).expr.latex(precision)

    def torch(self, index: int | None = None) -> Any:
        """The formula as a ``torch.nn.Module`` with trainable coefficients."""
        from srkit.export.torch import to_torch

        return to_torch(self._entry(index).expr)

    def __str__(self) -> str:
        if getattr(self, "result_", None) is None:
            return repr(self)
        return str(self.best_.expr)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        opset = self.best_.expr.opset
        entries = self.result_.front.entries()
        return {
            "format": "srkit.SymbolicRegressor",
            "format_version": _FORMAT_VERSION,
            "feature_names": list(self.feature_names_in_),
            "operators": [op.name for op in opset.operators],
            "model_selection": self.model_selection,
            "loss_floor": self.result_.front.loss_floor,
            "n_samples": self.result_.front.n_samples,
            "loss_power": self.result_.front.loss_power,
            "selected": next(i for i, e in enumerate(entries) if e.expr == self.best_.expr),
            **self._units_record(),
            "front": [
                {"equation": str(e.expr), "loss": e.loss, "complexity": e.complexity} for e in entries
            ],
            "search": {
                "searcher": self.result_.searcher, "n_evals": self.result_.n_evals,
                "iterations": self.result_.iterations, "wall_time": self.result_.wall_time,
                "seed": self.result_.seed, "stopped_by": self.result_.stopped_by,
                "config": _jsonable(self.result_.config),
            },
        }

    def _units_record(self) -> dict[str, Any]:
        """The fit's units for the saved file (exponent mappings: they read back exactly)."""
        units = getattr(self, "_units", None)
        if units is None:
            return {}
        x_units, target = units
        return {"X_units": [u.to_dict() for u in x_units], "y_units": None if target is None else target.to_dict(),
                "dimensionless_constants_only": self.dimensionless_constants_only}

    def save(self, path: str | Path) -> None:
        """Write the fitted model (front, choice, settings) as JSON.

        The file is written atomically (a temporary file beside it, then renamed):
        a crash mid-write leaves an earlier file at ``path`` intact."""
        from srkit.io import atomic_write

        atomic_write(path, json.dumps(self.to_dict(), indent=2, allow_nan=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def load(path: str | Path, *, registry: OperatorRegistry | None = None) -> SymbolicRegressor:
    """Load a model saved with :meth:`SymbolicRegressor.save`.

    Pass ``registry`` when the model used operators of your own.

    Raises
    ------
    OSError
        When the file cannot be read (missing, a folder, no permission).
    ValueError
        Naming the file and what is wrong when it is not a usable saved model:
        empty, not JSON, another tool's file, a newer format, a missing key or a
        value of the wrong type, an unknown operator, an equation that does not
        parse, a bad ``selected`` index, or a saved search that found no formula.
    """
    data = _model_record(path)

    def bad(what: str) -> ValueError:
        return ValueError(f"{path}: {what}")

    names, ops, records, selected = data["feature_names"], data["operators"], data["front"], data["selected"]
    registry = registry or default_registry()
    try:
        opset = registry.operator_set(ops, names)
    except (ValueError, KeyError, TypeError) as exc:
        why = str(exc).split(" Known operators:")[0].rstrip(".")  # the full list is pages long
        raise bad(f"{why}; a model with operators of your own loads with load(path, registry=...)") from None
    front = ParetoFront(loss_floor=data["loss_floor"], n_samples=data.get("n_samples"),
                        loss_power=data.get("loss_power"))
    exprs = []
    for i, rec in enumerate(records):
        try:
            expr = parse(rec["equation"], opset)
        except (ValueError, RecursionError) as exc:  # ParseError is a ValueError
            why = str(exc).splitlines()[0]  # one line: the parser's caret drawing follows
            raise bad(f"front[{i}] equation {rec['equation']!r} does not parse: {why}") from None
        exprs.append(expr)
        front.update(expr, rec["loss"], rec["complexity"])
    chosen = exprs[selected]
    # the saved front was non-dominated; an edited file may not be, and then entries shift:
    # find the selected formula itself rather than trusting its position
    best = next((e for e in front.entries() if e.expr == chosen and e.complexity == records[selected]["complexity"]),
                None)
    if best is None:
        raise bad(
            f"the selected formula front[{selected}] {records[selected]['equation']!r} is not on the Pareto front "
            "the file describes (its loss is not finite, or another entry beats it): the file was edited or corrupted"
        )
    model = SymbolicRegressor(model_selection=data["model_selection"],
                              dimensionless_constants_only=bool(data.get("dimensionless_constants_only", False)))
    model._units = None
    if data.get("X_units") is not None:
        from srkit.units.unit import UnitError, as_unit

        try:
            x_units = tuple(as_unit(u) for u in data["X_units"])
            target = None if data.get("y_units") is None else as_unit(data["y_units"])
        except (UnitError, TypeError) as exc:
            raise bad(f"its units do not read: {exc}") from None
        if len(x_units) != len(names):
            raise bad(f"it has {len(x_units)} feature units for {len(names)} features")
        model._units = (x_units, target)
    search = data["search"]
    result = SearchResult(
        front=front, best=best, n_evals=search.get("n_evals", 0),
        iterations=search.get("iterations", 0), wall_time=search.get("wall_time", 0.0),
        seed=search.get("seed"), searcher=search.get("searcher", ""), config=search.get("config", {}),
        history=[], stopped_by=search.get("stopped_by", ""),
    )
    model._set_result(result, names, registry)
    return model


def _model_record(path: str | Path) -> dict[str, Any]:
    """The JSON record of a saved model, its schema checked: ValueError naming the file
    and the problem (never a raw KeyError, TypeError or JSONDecodeError)."""

    def bad(what: str) -> ValueError:
        return ValueError(f"{path}: {what}")

    raw = Path(path).read_bytes()
    if not raw.strip():
        raise bad("the file is empty; expected a model saved with SymbolicRegressor.save (a write cut short?)")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise bad("not a saved srkit model: the file is not UTF-8 text (a binary file?)") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        raise bad(f"not a saved srkit model: the file is not valid JSON{where}; was it cut short or edited?") from None
    kind = {list: "list", str: "string", bool: "boolean", type(None): "null"}
    if not isinstance(data, dict):
        raise bad(f"holds a JSON {kind.get(type(data), 'number')}, not a saved srkit model "
                  '(a JSON object with "format": "srkit.SymbolicRegressor")')
    fmt = data.get("format")
    if fmt != "srkit.SymbolicRegressor":
        if fmt is None:
            raise bad('not a saved srkit model: it has no "format" key (a file written by another tool?)')
        raise bad(f"holds format {fmt!r}, not a saved srkit.SymbolicRegressor model")
    version = data.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise bad(f"format_version must be an integer, got {version!r}")
    if version > _FORMAT_VERSION:
        raise bad(f"saved by a newer srkit (format_version {version}; this one reads {_FORMAT_VERSION}): upgrade srkit")
    search = data.get("search", {})
    if not isinstance(search, dict):
        raise bad(f'"search" must be an object, got {type(search).__name__}')
    if data.get("status") == "empty" or data.get("front") == []:
        why = f", stopped by {search['stopped_by']}" if isinstance(search.get("stopped_by"), str) else ""
        raise bad(f"the saved search found no formula (front empty{why}); there is no model to load: "
                  "run the search again with a larger budget")

    def need(key: str, ok: Any, expected: str, value: Any) -> Any:
        if not ok(value):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise bad(f'"{key}" must be {expected}, got {shown}')
        return value

    for key in ("feature_names", "operators", "front", "selected"):
        if key not in data:
            raise bad(f'the key "{key}" is missing; the file is incomplete or not a saved model')

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    def is_num(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def str_list(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(s, str) for s in v)

    need("feature_names", lambda v: str_list(v) and len(v) > 0, "a non-empty list of names", data["feature_names"])
    need("operators", str_list, "a list of operator names", data["operators"])
    front = need("front", lambda v: isinstance(v, list), "a list of formulas", data["front"])
    for i, rec in enumerate(front):
        need(f"front[{i}]", lambda v: isinstance(v, dict), 'an object with "equation", "loss", "complexity"', rec)
        for field, ok, expected in (("equation", lambda v: isinstance(v, str), "a string"),
                                    ("loss", is_num, "a number"), ("complexity", is_num, "a number")):
            if field not in rec:
                raise bad(f'front[{i}] has no "{field}"; the file is incomplete or not a saved model')
            need(f"front[{i}].{field}", ok, expected, rec[field])
    selected = need("selected", is_int, "an integer index into front", data["selected"])
    if not 0 <= selected < len(front):
        raise bad(f'"selected" is {selected} but the front has {len(front)} entries (0 to {len(front) - 1})')
    data["loss_floor"] = need("loss_floor", lambda v: is_num(v) and v >= 0, "a number >= 0",
                              data.get("loss_floor", 0.0))
    data["model_selection"] = need("model_selection", lambda v: v in SELECTIONS,
                                   ", ".join(repr(s) for s in SELECTIONS[:-1]) + f" or {SELECTIONS[-1]!r}", data.get("model_selection", "best"))
    data["n_samples"] = need("n_samples", lambda v: v is None or (is_int(v) and v > 0), "a positive integer or null",
                             data.get("n_samples"))
    data["loss_power"] = need("loss_power", lambda v: v is None or (is_num(v) and v > 0), "a positive number or null",
                              data.get("loss_power"))
    for key, ok, expected in (("n_evals", is_int, "an integer"), ("iterations", is_int, "an integer"),
                              ("wall_time", is_num, "a number"),
                              ("seed", lambda v: v is None or is_int(v), "an integer or null"),
                              ("searcher", lambda v: isinstance(v, str), "a string"),
                              ("stopped_by", lambda v: isinstance(v, str), "a string"),
                              ("config", lambda v: isinstance(v, dict), "an object")):
        if key in search:
            need(f"search.{key}", ok, expected, search[key])
    data["search"] = search
    return data
