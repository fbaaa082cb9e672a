"""DSNSearcher: the DySymNet search loop on srkit's core.

Each iteration the controller samples a batch of architectures; the networks are
trained together in torch (two stages, smoothed L0.5 penalty, pruning); each trained
network is read out as an :class:`~srkit.core.expr.Expr` at one or more prune
thresholds; the formulas are refined by the problem's coefficient fitter (through
the Evaluator, which snaps coefficients to simple rationals; started from the
trained weights, without the fitter's random restarts: ``refine_restarts``), cleaned
of ``1*x``-style arithmetic, scored by the Evaluator and offered to the Pareto front.  The reward of
a network, ``1 / (1 + NRMSE) - complexity_weight * complexity`` of its best formula,
drives a risk-seeking policy-gradient step of the controller.

What differs from the published code (see the module docs of the parts): constants are
refined for every formula, whatever its variables are called; the configured prune
thresholds are the ones used; the search never stops because a batch's rewards tie;
a wall-clock budget is honoured within one check interval of training; torch runs
with one thread (restored afterwards).  Beyond the paper, the best formula of each batch
is expanded into a sum of terms and the sub-sum the data needs is found by least squares
(``sparse_refit``): networks compute ``(a*x + b)**2``-style forms that are exact only
once expanded and thinned.  Where ``y`` keeps one sign, networks are also trained in log
space (``log_space``, :mod:`srkit.search.dsn.logspace`), where products of powers are sums,
and where ``y`` is a multiple of a monomial ``M`` of the inputs, on ``y / M`` and
``M / y`` (``factor_space``, :mod:`srkit.search.dsn.factorspace`); the space whose
networks score better gets most of the batches (:func:`_pick_space`).  In those views the
sparse refit also runs on the network's own formula against the view's target, and once
before any network on the variables' pairwise products and quotients (the view screen).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.simplify import drop_identities
from srkit.fitness.fold import fold_constants
from srkit.core.operators import VAR
from srkit.export.sympy import complete_squares
from srkit.fitness.linear import additive_terms
from srkit.fitness.losses import mse, nmse
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search
from srkit.search.dsn.config import DSNConfig
from srkit.search.dsn.controller import Controller
from srkit.search.dsn.extract import extract, required_operators
from srkit.search.dsn.factorspace import FactorSpace
from srkit.search.dsn.logspace import LogSpace
from srkit.search.dsn.network import NetworkBatch, train_batch, unit_library
from srkit.search.floor.closed_form import TermRegression

__all__ = ["DSNSearcher"]

#: formulas refined per network when the time budget ran out mid-batch
_LATE_REFINE = 3
#: share of a time budget (at most 2 s) kept after training for reading out the last batch
_EXTRACT_RESERVE = 0.05
#: a view's sparse sums too long for the raw variables whose squares are completed, per
#: view and kind (sums, ratios), the best first
_SQUARE_TRIES = 8
#: the view screen's backward elimination starts from all columns up to this many: the
#: lifted library of n variables has n + n(n+1)/2 + n(n-1) columns (26 for 4, 57 for 6,
#: 126 for 9: 0.1 s), a ratio's design twice that (from 7 variables on, its elimination
#: starts from the greedy steps' support).  Greedy steps took ``x1/x2 + x2/x1`` for
#: ``(x2 - x1)**2`` on 5 of 9 samples of sqrt((x2-x1)**2 + (y2-y1)**2), and missed
#: ``y*(m1 + m2) = m1*r1 + m2*r2``; elimination from all columns found both
_SCREEN_ELIMINATION = 130


class DSNSearcher:
    """Dynamic symbolic networks sampled by an RNN controller (after DySymNet).

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Budget, Problem
    >>> X = np.random.default_rng(0).uniform(-1, 1, (40, 1))
    >>> data = as_dataset(X, 2 * np.sin(X[:, 0]) + 1)
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], data.feature_names)
    >>> searcher = DSNSearcher(depths=(1,), widths=(1,), batch_size=4)
    >>> result = searcher.search(Problem(data, ops, Evaluator(data)), budget=Budget(iterations=1),
    ...                          rng=np.random.default_rng(0))
    >>> str(result.best.expr)
    '2.0 * sin(x0) + 1.0'
    """

    name: ClassVar[str] = "dsn"

    def __init__(self, config: DSNConfig | None = None, **overrides: Any) -> None:
        base = config or DSNConfig()
        unknown = [k for k in overrides if k not in DSNConfig.__dataclass_fields__]
        if unknown:
            from srkit.core.operators import suggest

            raise TypeError(
                f"unknown DSNConfig option {unknown[0]!r}.{suggest(unknown[0], DSNConfig.__dataclass_fields__)}"
            )
        self.config = replace(base, **overrides) if overrides else base

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult:
        import torch

        self._check(problem)
        seed = int(rng.integers(2**63 - 1))
        saved_threads = torch.get_num_threads()
        if self.config.torch_threads:
            torch.set_num_threads(self.config.torch_threads)
        try:
            return run_search(
                self, problem, budget, callbacks,
                lambda s: self._loop(s, np.random.default_rng(seed)), seed,
            )
        finally:
            torch.set_num_threads(saved_threads)

    def _check(self, problem: Problem) -> None:
        """Bad options or operators: a clear error before any work starts."""
        import torch

        cfg = self.config
        if cfg.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device={cfg.device!r} but torch sees no CUDA GPU; use device='cpu'")
        for name in required_operators:
            if not problem.opset.has(name):
                raise ValueError(
                    f"the dsn searcher writes linear combinations with {' and '.join(required_operators)}: "
                    f"add {name!r} to the operators"
                )
        unit_library(problem.opset, cfg.unit_operators, cfg.identity_unit)

    # ------------------------------------------------------------------ the loop
    def _loop(self, state: SearchState, rng: np.random.Generator) -> None:
        import torch

        cfg, problem = self.config, state.problem
        evaluator = problem.evaluator
        units = unit_library(problem.opset, cfg.unit_operators, cfg.identity_unit)
        device = torch.device(cfg.device)
        dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
        data = problem.dataset
        rows = np.arange(data.n_samples)
        if data.n_samples > cfg.max_train_points:
            rows = np.sort(rng.choice(data.n_samples, cfg.max_train_points, replace=False))
        y = data.y
        make_controller = lambda: Controller(  # noqa: E731
            cfg.depths, cfg.widths, len(units), hidden_size=cfg.hidden_size,
            embedding_size=cfg.embedding_size, lr=cfg.controller_lr, rng=rng,
            uniform=not cfg.policy_gradient,
        )
        spaces = [_Space.build(data.X, y, rows, problem.opset, None, cfg.add_bias, make_controller(), device, dtype)]
        views = [
            LogSpace.of(data.X, y, problem.opset) if cfg.log_space else None,
            FactorSpace.of(data.X, y, problem.opset) if cfg.factor_space else None,
            FactorSpace.of(data.X, y, problem.opset, power=-1) if cfg.factor_space else None,
        ]
        starts = [Expr.coefficient(problem.opset, float(np.mean(y))), *problem.seeds]
        for view in views:
            if isinstance(view, FactorSpace) and view.power == 1:
                # the monomial alone, ``c * M``, is a candidate; where it is the whole law
                # (``y / M`` constant) there is nothing left for networks to learn
                starts.append(view.to_raw(Expr.coefficient(problem.opset, 1.0)))
                rest = view.target(y, data.X)
                if np.std(rest) <= 1e-12 * np.abs(np.mean(rest)):
                    continue
            if view is not None:
                spaces.append(_Space.build(data.X, y, rows, problem.opset, view, cfg.add_bias, make_controller(),
                                           device, dtype))
        var_y = float(np.var(y)) or 1.0
        deadline = state.start + state.budget.time if state.budget.time is not None else math.inf
        # training stops a little early, so that the last batch's networks are read out and
        # scored before the evaluator's hard deadline (which stops every evaluation)
        train_deadline = deadline - min(_EXTRACT_RESERVE * state.budget.time, 2.0) if math.isfinite(deadline) \
            else deadline

        # the mean and any seeds first: the front is never empty, even if time runs out at once
        for e in starts:
            fitted, loss = evaluator.fit(e.with_opset(problem.opset))
            self._offer(state, fitted, loss)
        refine_rows = None
        if data.n_samples > cfg.max_refine_points:
            refine_rows = np.sort(rng.choice(data.n_samples, cfg.max_refine_points, replace=False))
        refiner = _Refiner(evaluator, refine_rows, cfg.refine_restarts)

        # no full-data fit per sparse model: the best few are refined like any formula
        sparse = TermRegression(evaluator, problem.opset, max_size=problem.max_size, max_rows=cfg.max_refine_points,
                                refit=False)
        sparse_done: set[str] = set()
        if cfg.factor_space and cfg.sparse_refit:
            for e, e_loss in self._screen_views(problem, refiner, rng, deadline):
                self._offer(state, e, e_loss)
        exact_since: int | None = None
        thresholds = [cfg.prune_threshold] + sorted(t for t in cfg.extra_thresholds if t > cfg.prune_threshold)
        batches = 0
        while True:
            space = spaces[_pick_space(batches, [sp.best_reward for sp in spaces])]
            batches += 1
            controller = space.controller
            episode = controller.sample(cfg.batch_size, rng)
            net = NetworkBatch(
                episode.archs, units, space.X.shape[1], add_bias=cfg.add_bias, init_std=cfg.init_std,
                rng=rng, device=device, dtype=dtype,
            )
            report = train_batch(net, space.X, space.y, cfg, rng, train_deadline)
            rewards = np.zeros(len(episode.archs))
            order = [int(j) for j in np.argsort(report.nmse) if report.alive[j]]
            if report.timed_out:
                order = order[:_LATE_REFINE]
            batch_best: tuple[float, int, Expr] | None = None
            for rank, j in enumerate(order):
                weights = net.weights_of(j)
                # the best-trained networks get their coefficients fitted; the others
                # (and all once time is up) are scored as extracted, one evaluation each
                refine = cfg.refine and rank < cfg.refine_top and time.perf_counter() < deadline
                for t in thresholds:
                    expr = space.extract(weights, episode.archs[j], units, t, cfg.output_threshold, 2 * problem.max_size)
                    if expr is None:
                        continue
                    refine = fit_this = refine and time.perf_counter() < deadline
                    fitted, loss = self._score(refiner, expr, fit_this)
                    for e, e_loss in [(fitted, loss), *self._drop_terms(refiner, fitted, refine, deadline)]:
                        self._offer(state, e, e_loss)
                        rewards[j] = max(rewards[j], self._reward(evaluator, e, e_loss, var_y))
                    if fit_this and math.isfinite(loss) and (batch_best is None or loss < batch_best[0]):
                        batch_best = (loss, j, fitted)
            # exact fits too: (x + a)*(x + b) + c is exact and its expansion is smaller
            if cfg.sparse_refit and batch_best is not None and time.perf_counter() < deadline:
                _, j, best = batch_best
                found = self._sparse_refit(sparse, refiner, best, sparse_done, rng, deadline)
                if space.view is not None and time.perf_counter() < deadline:
                    # the same search on the network's own formula against the space's own
                    # target: ``M / y = dx**2 + dy**2 + dz**2`` is a sum of terms there,
                    # not in the raw variables
                    in_view = space.extract(net.weights_of(j), episode.archs[j], units, thresholds[0],
                                            cfg.output_threshold, 2 * problem.max_size, raw=False)
                    if in_view is not None:
                        view_sparse = space.term_regression(problem, cfg.max_refine_points)
                        found += self._sparse_refit(view_sparse, refiner, in_view, space.sparse_done, rng, deadline,
                                                    space.view)
                for e, e_loss in found:
                    self._offer(state, e, e_loss)
                    rewards[j] = max(rewards[j], self._reward(evaluator, e, e_loss, var_y))
            space.best_reward = max(space.best_reward, float(rewards.max()))
            quantile = controller.update(episode, rewards, cfg.risk_fraction, cfg.entropy_weight)
            if state.found_exact():
                exact_since = state.iteration if exact_since is None else exact_since
            stop = state.end_iteration(
                best_reward=float(rewards.max()), reward_quantile=quantile,
                train_nmse=float(np.min(report.nmse)), train_seconds=round(report.seconds, 3),
                train_steps=report.steps, restarts=report.restarts,
                depths=[a.depth for a in episode.archs], widths=[a.width for a in episode.archs],
            )
            if exact_since is not None and state.iteration - exact_since >= cfg.patience_after_exact:
                state.stopped_by = state.stopped_by or "exact"
                stop = True
            if stop or report.timed_out:
                if not state.out_of_budget() and report.timed_out:
                    state.stopped_by = "time"  # training reached its deadline, a little before the budget's
                break

    def _score(self, evaluator: _Refiner, expr: Expr, refine: bool) -> tuple[Expr, float]:
        """Refine (fit, snap, clean, refit) or just score one extracted formula."""
        if not refine:
            return expr, evaluator.loss(expr)
        fitted, loss = evaluator.fit(expr)
        if not math.isfinite(loss):
            return expr, evaluator.loss(expr)
        cleaned = _clean(fitted)
        if cleaned.same_skeleton(fitted):
            return fitted, loss
        refit, refit_loss = evaluator.fit(cleaned)
        refit = _clean(refit)  # a coefficient snapped to 1 or 0
        # the cleaned form is the same function: keep it unless refitting made it worse
        if refit_loss <= loss * (1 + 1e-9) + evaluator.loss_floor:
            return refit, refit_loss
        return fitted, loss

    def _drop_terms(
        self, evaluator: _Refiner, expr: Expr, refine: bool, deadline: float = math.inf
    ) -> list[tuple[Expr, float]]:
        """Smaller formulas from ``expr``: its top-level additive terms dropped one at a
        time (backward elimination), each time the term whose loss matters least.

        A network's output sums all its last-layer units; the formula behind the data
        is often a few of those terms.  Which term to drop is decided by the loss of
        the best ``a + b * rest`` (one evaluation per trial); the chosen smaller formula
        is then refined like any other.
        """
        out: list[tuple[Expr, float]] = []
        opset = expr.opset
        terms = [(sign, expr.subtree(i)) for sign, i in additive_terms(expr)]
        terms = [(s_, t) for s_, t in terms if (t.codes == VAR).any()]
        while len(terms) > 1 and len(out) < self.config.max_dropped_terms and time.perf_counter() < deadline:
            trials = []
            for k in range(len(terms)):
                rest = _sum(opset, terms[:k] + terms[k + 1:])
                trials.append((evaluator.scaled_loss(rest), k, rest))
            _, k, rest = min(trials, key=lambda t: (t[0], t[1]))
            terms = terms[:k] + terms[k + 1:]
            # the offset and scale the scaled loss assumed become coefficients to refine
            candidate = Expr.apply(opset, "add", Expr.apply(opset, "mul", Expr.coefficient(opset, 1.0), rest),
                                   Expr.coefficient(opset, 0.0))
            candidate = drop_identities(candidate) if not refine else candidate
            out.append(self._score(evaluator, candidate, refine))
        return out

    def _sparse_refit(
        self, sparse: TermRegression, evaluator: _Refiner, expr: Expr, done: set[str],
        rng: np.random.Generator, deadline: float, view: LogSpace | FactorSpace | None = None,
        rational: bool | None = None, max_size: int | None = None, functions: bool | None = None,
    ) -> list[tuple[Expr, float]]:
        """Sub-sums of ``expr`` expanded into terms (and, with ``rational_refit``, ratios
        of two such sums), weights by least squares; the best few of each kind are
        refined (their inner coefficients snapped) like any other formula.  Ratios are
        ranked apart: their linearised weights (``y * Q = P``) fit worse than a refit
        does, so the best sums would crowd out an exact ratio.

        With a ``view``, ``expr`` and ``sparse`` are in that space (its inputs, its
        target); the best few models, squares completed, are mapped back to the raw
        variables (at most ``max_size`` nodes, default ``sparse``'s) and refined there,
        and only those are returned (the view's losses are not the problem's).
        ``rational`` and ``functions`` override ``rational_refit`` and ``lift_functions``.

        The function atoms get a pass of their own, sums only, after the plain terms:
        in one library their look-alike columns (e.g. ``x*sin(x)`` near ``x**2``) cost
        Nguyen-3's exact polynomial on both seeds of a benchmark."""
        terms = expanded_terms(expr, self.config.max_expanded_terms, lift=self.config.lift_terms)
        key = " + ".join(sorted(str(t) for t in terms))
        if len(terms) < 2 or key in done:
            return []
        done.add(key)
        stop = lambda: time.perf_counter() > deadline  # noqa: E731
        sums: list[tuple[float, int, Expr]] = []
        ratios: list[tuple[float, int, Expr]] = []
        sparse.fit_terms(terms, lambda e, loss: sums.append((loss, len(sums), e)), rng, stop=stop)
        if self.config.rational_refit if rational is None else rational:
            sparse.fit_rational_terms(terms, lambda e, loss: ratios.append((loss, len(ratios), e)), rng, stop=stop)
        if (self.config.lift_functions if functions is None else functions) and not stop():
            wider = expanded_terms(expr, self.config.max_expanded_terms, lift=self.config.lift_terms, functions=True)
            sparse.fit_terms(wider, lambda e, loss: sums.append((loss, len(sums), e)), rng, stop=stop)
        out = [(e, loss) for loss, _, e in sums + ratios] if view is None else []
        cap = max_size or sparse.max_size
        for found in (sums, ratios):
            # the best few that can be written in the raw variables within ``cap``; a
            # view's sum that is longer gets its squares completed (sympy: only the
            # first few such sums)
            refined = tries = 0
            for _, _, e in sorted(found, key=lambda f: (f[0], f[2].complexity)):
                if refined >= self.config.refine_top or stop():
                    break
                raw = e if view is None else view.to_raw(e, cap)
                if raw is None and view is not None and tries < _SQUARE_TRIES:
                    tries += 1
                    raw = view.to_raw(complete_squares(e), cap)
                if raw is not None:
                    out.append(self._score(evaluator, raw, True))
                    refined += 1
        return out

    def _screen_views(
        self, problem: Problem, refiner: _Refiner, rng: np.random.Generator, deadline: float,
    ) -> list[tuple[Expr, float]]:
        """Before any network: in each factor view ``(y / M) ** p``, ``p`` in 1, -1, 2,
        -2, the sparse sums and ratios over the variables and their pairwise products
        and quotients (the lifted library of ``x_1 + ... + x_n``), mapped back and refined.
        ``sqrt(dx**2 + dy**2)`` squared and ``G*m1*m2 / r**2``'s reciprocal over
        ``G*m1*m2`` are such sums; no network needs to find them.  The views get up to
        10 terms (the reciprocal of I.9.18 has 9); no function atoms, whose columns
        (n * n * unary operators) would keep elimination from starting at every column."""
        opset, found = problem.opset, []
        every_variable = Expr.variable(opset, 0)
        for j in range(1, opset.n_variables):
            every_variable = Expr.apply(opset, "add", every_variable, Expr.variable(opset, j))
        X, y = problem.dataset.X, problem.dataset.y
        # y itself (no factor) first, then the views
        views = [FactorSpace(powers=(0,) * opset.n_variables, opset=opset)]
        views += [FactorSpace.of(X, y, opset, power=power) for power in (1, -1, 2, -2)]
        for view in views:
            if view is None or time.perf_counter() > deadline:
                continue
            # the view's sums may be longer than the answer: a squared distance in three
            # dimensions has 9 terms expanded (53 nodes), 3 squares completed (17)
            regression = _view_regression(view, problem, self.config.max_refine_points, max_terms=10,
                                          full_elimination=_SCREEN_ELIMINATION, max_size=3 * problem.max_size)
            found += self._sparse_refit(regression, refiner, every_variable, set(), rng, deadline, view,
                                        rational=self.config.rational_refit, max_size=problem.max_size,
                                        functions=False)
        return found

    def _offer(self, state: SearchState, expr: Expr, loss: float) -> None:
        problem = state.problem
        expr = _clean(expr)  # the same function: ``exp(0.0)`` or ``1.0 * x`` left by snapping
        if expr.size <= problem.max_size and expr.depth <= problem.max_depth:
            state.offer(expr, loss)

    def _reward(self, evaluator: Any, expr: Expr, loss: float, var_y: float) -> float:
        """``1 / (1 + NRMSE) - complexity_weight * complexity`` (0 for a failed formula)."""
        if not math.isfinite(loss):
            return 0.0
        if evaluator.loss_fn is mse and evaluator.dataset.weights is None:
            norm = loss / var_y
        else:  # another loss: the NRMSE still measures the fit
            values, ok = evaluator.evaluate(expr)
            norm = nmse(evaluator.dataset.y, values) if ok else math.inf
        if not math.isfinite(norm):
            return 0.0
        return 1.0 / (1.0 + math.sqrt(max(norm, 0.0))) - self.config.complexity_weight * expr.complexity


def _clean(expr: Expr) -> Expr:
    """The same function with constant subtrees folded and ``1*x``, ``x + 0`` removed;
    twice, because dropping ``0 * x`` can leave a constant subtree (``exp(0*x + c)``)."""
    return drop_identities(fold_constants(drop_identities(fold_constants(expr))))


def _pick_space(batch: int, best_rewards: list[float]) -> int:
    """Which space trains batch number ``batch`` (from 0): each space once to start, then
    3 of every 4 batches go to the space whose networks have the best reward so far
    and the 4th to another, so that a space that starts badly is still tried.

    >>> [_pick_space(b, [0.9, 0.5]) for b in range(2, 10)]
    [0, 1, 0, 0, 0, 1, 0, 0]
    >>> [_pick_space(b, [0.7]) for b in range(3)]
    [0, 0, 0]
    """
    n = len(best_rewards)
    if n == 1:
        return 0
    if batch < n:
        return batch
    leader = int(np.argmax(best_rewards))  # ties: the raw space (index 0)
    if batch % 4 == 3:
        return (leader + 1 + (batch // 4) % (n - 1)) % n
    return leader


@dataclass
class _Space:
    """What one family of networks is trained on, and how its formulas map back.

    The raw space is ``X / x_scale`` against the standardised ``y``; the log space
    (:class:`LogSpace`) adds ``log|x_j|`` inputs and fits ``log|y|``; a factor space
    (:class:`FactorSpace`) fits ``y / M`` or ``M / y`` for a monomial ``M``.  Each space has
    its own controller: the architectures that work differ between them.
    """

    X: Any  # torch tensor: the training inputs, scaled
    y: Any  # torch tensor: the training target, standardised
    x_scale: np.ndarray
    y_scale: float
    y_offset: float
    opset: Any
    view: LogSpace | FactorSpace | None
    controller: Controller
    best_reward: float = -math.inf
    #: the sparse refit in this space (views only), built at first use
    sparse: TermRegression | None = None
    sparse_done: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls, X: np.ndarray, y: np.ndarray, rows: np.ndarray, opset: Any, view: LogSpace | FactorSpace | None,
        add_bias: bool, controller: Controller, device: Any, dtype: Any,
    ) -> _Space:
        import torch

        if view is not None:
            X, y, opset = view.inputs(X), view.target(y, X), view.extended
        y_offset = float(np.mean(y)) if add_bias else 0.0
        y_scale = float(np.std(y) if add_bias else np.sqrt(np.mean(y * y))) or 1.0
        # networks see every variable divided by its root mean square (so that unit inputs
        # start in a sane range whatever the units of the data); extraction divides the
        # first layer's weights by the same numbers, so formulas are in the raw variables.
        # log inputs keep scale 1: their weights are the powers, to be snapped
        x_scale = np.sqrt(np.mean(X**2, axis=0))
        x_scale = np.where(np.isfinite(x_scale) & (x_scale > 0), x_scale, 1.0)
        if view is not None and view.n_log_inputs:
            x_scale[-view.n_log_inputs:] = 1.0
        return cls(
            X=torch.tensor(X[rows] / x_scale, device=device, dtype=dtype),
            y=torch.tensor((y[rows] - y_offset) / y_scale, device=device, dtype=dtype),
            x_scale=x_scale, y_scale=y_scale, y_offset=y_offset, opset=opset, view=view, controller=controller,
        )

    def extract(
        self, weights: dict[str, Any], arch: Any, units: Any, threshold: float, output_threshold: float,
        max_size: int, raw: bool = True,
    ) -> Expr | None:
        """The network's formula in the raw variables (``raw=False``: in the space's own);
        None when it cannot be written with the operators or has more than ``max_size``
        nodes once back in the raw variables: refining such a formula costs seconds and
        it could never be offered."""
        expr = extract(weights, arch, units, self.opset, threshold=threshold, output_threshold=output_threshold,
                       x_scale=self.x_scale, y_scale=self.y_scale, y_offset=self.y_offset)
        return expr if self.view is None or not raw else self.view.to_raw(expr, max_size)

    def term_regression(self, problem: Problem, max_rows: int) -> TermRegression:
        """The sparse refit against this space's target, on its inputs (built once; an
        Evaluator derived from the problem's, which it charges)."""
        if self.sparse is None:
            assert self.view is not None
            self.sparse = _view_regression(self.view, problem, max_rows)
        return self.sparse


def _view_regression(view: LogSpace | FactorSpace, problem: Problem, max_rows: int, max_terms: int = 8,
                     full_elimination: int = 0, max_size: int | None = None) -> TermRegression:
    """A :class:`TermRegression` against ``view``'s target on its inputs (formulas of at
    most ``max_size`` nodes, default the problem's), with an Evaluator derived from the
    problem's (mse on the view's target; its evaluations charge the problem's budget)."""
    from srkit.core import as_dataset
    from srkit.fitness.coefficients import CoefficientFitter

    X, y = problem.dataset.X, problem.dataset.y
    data = as_dataset(view.inputs(X), view.target(y, X), feature_names=view.extended.variables)
    evaluator = problem.evaluator.derive(data, "mse", fitter=CoefficientFitter())
    return TermRegression(evaluator, view.extended, max_size=max_size or problem.max_size, max_rows=max_rows,
                          max_terms=max_terms, full_elimination=full_elimination, refit=False)


class _Refiner:
    """Coefficient refinement on at most ``max_refine_points`` rows, scores on all of them.

    On 10,000 rows one Levenberg-Marquardt fit of a network-sized formula takes seconds;
    on 1,000 rows of the same data it finds the same coefficients (exactly, for an exact
    formula) ten times faster.  The fitting runs in an Evaluator over a fixed random
    subset of the rows (all rows when there are few), with the problem's loss and
    coefficient fitter, the fitter's restarts set to ``restarts`` (None: as they are);
    it is derived from the problem's Evaluator, so every evaluation it makes is charged
    to the problem's budget (as a full one, so the budget is never under-charged), and
    the loss a formula is offered with is the problem Evaluator's, on all rows.
    """

    def __init__(self, evaluator: Any, rows: np.ndarray | None, restarts: int | None = None) -> None:
        from srkit.fitness.coefficients import CoefficientFitter

        self.full = evaluator
        self.loss_floor = evaluator.loss_floor
        fitter = evaluator.fitter
        if restarts is not None and isinstance(fitter, CoefficientFitter):
            fitter = replace(fitter, n_restarts=restarts)
        self.all_rows = rows is None
        dataset = evaluator.dataset if rows is None else evaluator.dataset.subset(rows)
        self.sub = evaluator.derive(dataset, fitter=fitter)

    def fit(self, expr: Expr) -> tuple[Expr, float]:
        fitted, loss = self.sub.fit(expr)
        # on all rows the fit's own loss is the problem's; else score it on all rows
        return fitted, loss if self.all_rows else self.full.loss(fitted)

    def loss(self, expr: Expr) -> float:
        return self.full.loss(expr)  # type: ignore[no-any-return]

    def scaled_loss(self, expr: Expr) -> float:
        return self.sub.scaled_loss(expr)  # type: ignore[no-any-return]


def expanded_terms(expr: Expr, max_terms: int = 40, lift: bool = False, functions: bool = False) -> list[Expr]:
    """The additive terms of ``expr`` multiplied out, numeric factors dropped; [] when
    the expansion has more than ``max_terms`` terms or a term is outside the operator set.

    ``lift`` adds each term times and divided by each variable of the operator set
    (after the terms themselves, and only those sympy leaves a single term): the
    neighbours of the formula in monomial space.  A network that found ``m*(u + v)``
    then offers ``m*u**2`` and ``m*v**2``, the terms of ``m*(u**2 + v**2)/2``.
    ``functions`` adds, after those, each unary operator of the set applied to each
    variable, alone and times each term: a network whose ``B*v*(a + b*t)`` stands in
    for ``B*v*sin(t)`` then offers ``B*v*sin(t)``.

    >>> from srkit.core.parse import parse
    >>> [str(t) for t in expanded_terms(parse("(2*x0 + 1) * (x0 - 3) + sin(x0)"))]
    ['x0', 'x0 ** 2', 'sin(x0)']
    >>> [str(t) for t in expanded_terms(parse("3 * x0 + 1"), lift=True)]
    ['x0', 'x0 ** 2']
    """
    import sympy

    from srkit.export.sympy import from_sympy

    try:
        sym = sympy.expand(expr.to_sympy())
    except Exception:  # noqa: BLE001 - a formula sympy cannot expand is simply not re-fitted
        return []
    # sympy's own order of the terms can follow string hashes: sort for the same result
    # in every process
    parts = sorted(sympy.Add.make_args(sym), key=sympy.default_sort_key)
    if len(parts) > max_terms:
        return []
    monomials = [rest for _, rest in (part.as_coeff_Mul() for part in parts) if not rest.is_number]
    n_own = len(monomials)
    if lift:  # the same symbols as to_sympy's, so that x*y/y cancels
        symbols = [sympy.Symbol(name, real=True) for name in expr.opset.variables]
        own = monomials[:n_own]
        monomials += [m * s for m in own for s in symbols] + [m / s for m in own for s in symbols]
    if functions:
        ops = expr.opset
        atoms = [Expr.apply(ops, op.name, Expr.variable(ops, j)).to_sympy()
                 for op in ops.operators if op.arity == 1 for j in range(ops.n_variables)]
        monomials += atoms + [m * a for m in monomials[:n_own] for a in atoms]
    out: dict[str, Expr] = {}
    for k, rest in enumerate(monomials):
        lifted = k >= n_own
        if lifted and (rest.is_number or len(sympy.Add.make_args(rest)) != 1):
            continue
        try:
            term = from_sympy(rest, expr.opset)
        except Exception:  # noqa: BLE001 - e.g. x**0.5 with no pow in the operator set
            if lifted:
                continue  # a neighbour outside the operator set is simply not offered
            return []
        out.setdefault(str(term), term)
    return list(out.values())


def _sum(opset: Any, terms: list[tuple[float, Expr]]) -> Expr:
    """``+-t1 +- t2 ...`` from ``(sign, term)`` pairs."""
    sign, acc = terms[0]
    if sign < 0:
        acc = Expr.apply(opset, "mul", Expr.coefficient(opset, -1.0), acc)
    for sign, term in terms[1:]:
        if sign < 0 and opset.has("sub"):
            acc = Expr.apply(opset, "sub", acc, term)
        else:
            piece = term if sign > 0 else Expr.apply(opset, "mul", Expr.coefficient(opset, -1.0), term)
            acc = Expr.apply(opset, "add", acc, piece)
    return acc
