"""The RSRM pipeline: MCTS lanes with double Q-learning seed GP; forms found on the way
narrow the search.

One *epoch*:

1. Term regression (first, and again each epoch with the sub-trees found so far): sparse
   least-squares sums of library terms and sub-trees, and rational functions, fitted in
   closed form (:mod:`srkit.search.floor.closed_form`): the additive form ``A + f`` with all of
   ``A`` at once when the target is such a sum.
2. Lane 1 runs MCTS over whole expressions; its best expressions, together with the
   lane's recycled pool of earlier GP results, seed a short GP run (the real hand-off:
   ``Problem.seeds``).  GP's front goes back into the pool and into lane 1's Q table.
3. Sub-tree discovery votes over the pool and lane 1's best: a shared part ``A`` gives a
   form (``A + f``, ``A * f``, ``A ** f``); the forms that fire are logged.
4. Lane 2 runs MCTS for ``f`` alone inside the form (cycling over the forms that fired),
   and seeds GP the same way.

Every expression scored anywhere goes through the problem's Evaluator (coefficients by
the shared fitter, results cached by skeleton) and onto the one ParetoFront, so the final
choice is made on the training data only.  The search ends when the budget is spent or
at the end of the epoch that found an exact fit.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search
from srkit.search.floor.closed_form import TermRegression
from srkit.search.floor.evolution import GPSearcher
from srkit.search.mcts.config import MCTSConfig
from srkit.search.mcts.double_q import DoubleQTable
from srkit.search.mcts.grammar import Grammar
from srkit.search.mcts.subtree import Form, mine_forms, subtrees
from srkit.search.mcts.tree import TreeSearch

__all__ = ["MCTSSearcher"]

log = logging.getLogger(__name__)


@dataclass
class _Lane:
    """One MCTS lane: its Q table, its form (None: whole expressions) and what it found."""

    name: str
    q: DoubleQTable | None
    form: Form | None = None
    # skeleton -> (fitted expression, loss, reward): this run's expressions, best kept
    found: dict[bytes, tuple[Expr, float, float]] = field(default_factory=dict)
    # skeleton -> (expression, loss): GP results recycled into the next epochs
    pool: dict[bytes, tuple[Expr, float]] = field(default_factory=dict)

    # sorted losses of the cheap estimates seen, to fit coefficients of the best share only
    estimates: list[float] = field(default_factory=list)

    def promising(self, estimate: float, fraction: float) -> bool:
        """Whether ``estimate`` is among the best ``fraction`` of the estimates seen so far."""
        if not math.isfinite(estimate):
            return False
        rank = bisect.bisect_left(self.estimates, estimate)
        self.estimates.insert(rank, estimate)
        if len(self.estimates) > 4000:  # thin out evenly: the quantiles stay where they were
            self.estimates = self.estimates[::2]
        return rank < max(1.0, fraction * len(self.estimates))

    def best_found(self, k: int) -> list[tuple[Expr, float, float]]:
        return sorted(self.found.values(), key=lambda t: -t[2])[:k]


class MCTSSearcher:
    """Monte Carlo tree search with double Q-learning and sub-tree discovery, seeding GP.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Budget, Problem
    >>> X = np.random.default_rng(0).uniform(-1, 1, (30, 2))
    >>> data = as_dataset(X, X[:, 0] * X[:, 1] + np.sin(X[:, 0]))
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], data.feature_names)
    >>> problem = Problem(data, ops, Evaluator(data))
    >>> searcher = MCTSSearcher(MCTSConfig(gp_refine=False))  # MCTS lanes alone
    >>> result = searcher.search(problem, budget=Budget(evals=30_000), rng=np.random.default_rng(0))
    >>> result.stopped_by, result.best.loss <= problem.evaluator.loss_floor
    ('exact', True)
    """

    name: ClassVar[str] = "mcts"

    def __init__(self, config: MCTSConfig | None = None, **overrides: Any) -> None:
        base = config or MCTSConfig()
        self.config = replace(base, **overrides) if overrides else base

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult:
        seed = int(rng.integers(2**63 - 1))
        return run_search(
            self, problem, budget, callbacks, lambda s: self._loop(s, np.random.default_rng(seed)), seed
        )

    # ------------------------------------------------------------------ the loop
    def _loop(self, state: SearchState, rng: np.random.Generator) -> None:
        cfg, problem = self.config, state.problem
        rules = replace(
            cfg.rules,
            max_size=min(cfg.rules.max_size, problem.max_size),
            max_depth=min(cfg.rules.max_depth, problem.max_depth),
        )
        grammar = Grammar(problem.opset, rules)
        ev = problem.evaluator
        y = problem.dataset.y
        # losses are judged relative to the loss of predicting the mean
        base = ev.loss_fn(y, np.full_like(y, np.average(y, weights=problem.dataset.weights)), problem.dataset.weights)
        self._base_loss = base if math.isfinite(base) and base > 0 else 1.0
        self._exact = False
        self._terms_time = 0.0
        self._floor = ev.loss_floor
        ops = problem.opset
        if ops.has("add") and ops.has("mul"):
            def affine(e: Expr, a: float, b: float) -> Expr:
                scaled = Expr.apply(ops, "mul", Expr.coefficient(ops, b), e)
                return scaled if a == 0 else Expr.apply(ops, "add", Expr.coefficient(ops, a), scaled)

            self._affine = affine
        else:
            self._affine = None
        lanes = [_Lane("whole", self._new_q(grammar))]
        if cfg.subtree_discovery:
            lanes.append(_Lane("form", self._new_q(grammar)))
        terms = None
        if cfg.term_regression and TermRegression.applicable(ev, problem.opset):
            terms = TermRegression(ev, problem.opset, max_size=problem.max_size,
                                   max_terms=cfg.term_max_terms, max_degree=cfg.term_max_degree)
        epoch = 0
        forms: list[Form] = []
        while not state.out_of_budget():
            if cfg.reset_interval and epoch and epoch % cfg.reset_interval == 0:
                for lane in lanes:
                    lane.q = self._new_q(grammar)
                    lane.pool.clear()
            info: dict[str, Any] = {"epoch": epoch}
            if terms is not None and not self._exact:
                self._run_terms(state, terms, lanes[0], rng, info)
                if self._exact:  # a closed-form model is exact, and already compact
                    state.stopped_by = state.stopped_by or "exact"
                    state.end_iteration(**info)
                    break
            self._run_lane(state, grammar, lanes[0], rng, info)
            if cfg.subtree_discovery and not state.stopped_by and not self._exact:
                pool = list(lanes[0].pool.values()) + [(e, loss) for e, loss, _ in lanes[0].best_found(cfg.form_max_exprs)]
                forms = mine_forms(
                    pool, kinds=cfg.form_kinds, max_exprs=cfg.form_max_exprs, expr_ratio=cfg.form_expr_ratio,
                    part_ratio=cfg.form_part_ratio, loss_floor=ev.loss_floor,
                ) or forms
                info["forms"] = [f"{f.kind}: {f.describe()}" for f in forms]
                if forms:
                    form = forms[epoch % len(forms)]
                    lane = lanes[1]
                    if lane.form is None or lane.form.key != form.key:
                        # a new hole: what the table learnt was about another f
                        lane.q = self._new_q(grammar)
                        lane.found.clear()
                        log.info("epoch %d: searching %s form %s", epoch, form.kind, form.describe())
                    lane.form = form  # the same structure keeps its table; coefficients are updated
                    info["form"] = form.kind
                    self._run_lane(state, grammar, lane, rng, info)
            epoch += 1
            stop = state.end_iteration(**info)
            if self._exact:  # GP has simplified the exact fit already (its own patience)
                state.stopped_by = state.stopped_by or "exact"
                stop = True
            if stop:
                break

    def _run_terms(
        self, state: SearchState, terms: TermRegression, lane: _Lane, rng: np.random.Generator, info: dict[str, Any]
    ) -> None:
        """Sparse sums over the term library and the sub-trees found so far (and, the
        first time, rational functions); the models join the front and seed GP."""
        cfg = self.config
        if self._terms_time > cfg.term_time_share * state.elapsed:
            return  # on wide data the library is costly: keep it to its share of the time
        best = [e for e, _, _ in lane.best_found(cfg.form_max_exprs)] + [e for e, _ in lane.pool.values()]
        n0, t0, found = state.problem.evaluator.n_evals, state.elapsed, len(lane.found)

        def offer(expr: Expr, loss: float) -> None:
            self._found(state, lane, expr, loss)

        # (not stopped by an exact fit: term regression finishes the pass that found one,
        # so that the smallest of several exact forms reaches the front)
        terms.run(subtrees(best)[: cfg.term_subtrees], offer, rng, state.out_of_budget)
        info["terms_evals"] = state.problem.evaluator.n_evals - n0
        info["terms_time"] = round(state.elapsed - t0, 3)
        self._terms_time += state.elapsed - t0
        info["terms_models"] = len(lane.found) - found

    def _new_q(self, grammar: Grammar) -> DoubleQTable | None:
        cfg = self.config
        if not cfg.double_q:
            return None
        return DoubleQTable(
            grammar.n_actions, learning_rate=cfg.q_learning_rate, discount=cfg.q_discount,
            step_reward=cfg.q_step_reward, max_states=cfg.q_max_states,
        )

    # ------------------------------------------------------------------ one lane
    def _run_lane(
        self, state: SearchState, grammar: Grammar, lane: _Lane, rng: np.random.Generator, info: dict[str, Any]
    ) -> None:
        """One MCTS run of ``lane``, then GP from its best expressions and its pool;
        ``info`` gets the evaluations each part used."""
        cfg = self.config
        ev = state.problem.evaluator

        def score(tokens: tuple[int, ...]) -> float:
            f = grammar.to_expr(tokens)
            expr = lane.form.wrap(f) if lane.form is not None else f
            known = ev.cached_fit(expr)
            if known is not None and (expr.n_coefs or known[1] <= self._floor):
                return self._reward(known[0].size, known[1])
            # Fitting coefficients costs a hundred evaluations or more: judge the shape first
            # by its best affine rescaling (closed form, one evaluation) and fit only the
            # promising share.
            a, b, estimate = ev.scaled_fit(expr)
            if known is not None:  # a coefficient-free shape seen before: same reward as then
                if estimate < 0.5 * known[1] and self._affine is not None:
                    return self._reward(expr.size + 4, estimate)
                return self._reward(known[0].size, known[1])
            if expr.n_coefs and not lane.promising(estimate, cfg.fit_fraction):
                return self._reward(expr.size, estimate)
            fitted, loss = ev.fit(expr)
            self._found(state, lane, fitted, loss)
            if not expr.n_coefs and estimate < 0.5 * loss and self._affine is not None:
                # the shape is right but the scale is not: a + b * expr, with a and b in
                # closed form, is a candidate of its own (snapped by recovery rules, refit by GP)
                affine = self._affine(expr, a, b)
                self._found(state, lane, affine, ev.loss(affine))
                return self._reward(expr.size + 4, estimate)
            return self._reward(fitted.size, loss)

        def stop() -> bool:
            return self._exact or state.out_of_budget()

        tree = TreeSearch(
            grammar, lane.q, score, n_simulations=cfg.n_simulations, min_visits=cfg.min_visits,
            max_weight=cfg.max_weight, exploration=cfg.exploration, p_leaf=cfg.p_leaf,
            policy_mix=cfg.policy_mix, temperature=cfg.q_temperature,
        )
        n0, t0 = ev.n_evals, state.elapsed
        tree.run(rng, stop)
        info[f"{lane.name}_mcts_evals"] = ev.n_evals - n0
        info[f"{lane.name}_mcts_time"] = round(state.elapsed - t0, 3)
        if lane.q is not None:
            info[f"{lane.name}_policy_kl"] = round(_root_divergence(tree), 4)
        # after an exact fit GP still runs: its patience_after_exact generations simplify it
        if cfg.gp_refine and not state.out_of_budget():
            n0, t0 = ev.n_evals, state.elapsed
            self._refine(state, grammar, lane, rng)
            info[f"{lane.name}_gp_evals"] = ev.n_evals - n0
            info[f"{lane.name}_gp_time"] = round(state.elapsed - t0, 3)
        keep = max(cfg.n_seeds, cfg.form_max_exprs)
        if len(lane.found) > 20 * keep:  # keep memory flat over long runs
            lane.found = {e.skeleton: (e, loss, r) for e, loss, r in lane.best_found(keep)}

    def _refine(self, state: SearchState, grammar: Grammar, lane: _Lane, rng: np.random.Generator) -> None:
        """GP seeded with the lane's best expressions and its recycled pool."""
        cfg, problem = self.config, state.problem
        seeds = [e for e, _, _ in lane.best_found(cfg.n_seeds)] + [e for e, _ in lane.pool.values()]
        b = state.budget
        budget = Budget(
            time=None if b.time is None else max(0.0, b.time - state.elapsed),
            evals=b.evals,  # the evaluator's count is shared: the same absolute limit
            iterations=cfg.gp_generations,
        )
        gp = GPSearcher(cfg.gp)
        result = gp.search(replace(problem, seeds=seeds), budget=budget, rng=np.random.default_rng(rng.integers(2**63 - 1)))
        for entry in result.front:
            state.offer(entry.expr, entry.loss)
            lane.pool[entry.expr.skeleton] = (entry.expr, entry.loss)
            if problem.evaluator.is_exact(entry.expr, entry.loss):
                self._exact = True
            if lane.q is not None and cfg.learn_from_gp:
                f = lane.form.unwrap(entry.expr) if lane.form is not None else entry.expr
                tokens = None if f is None else grammar.to_tokens(f)
                if tokens is not None:
                    lane.q.learn(tokens, self._reward(entry.expr.size, entry.loss), rng)
        if len(lane.pool) > cfg.pool_size:
            # ranked like GP ranks (accuracy with a parsimony factor), so that compact
            # expressions are recycled, not only the largest curve fits
            kept = sorted(lane.pool.values(), key=lambda t: self._reward(t[0].size, t[1]), reverse=True)
            kept = kept[: cfg.pool_size]
            lane.pool = {e.skeleton: (e, loss) for e, loss in kept}
        if result.stopped_by in ("time", "evals"):
            state.out_of_budget()

    def _found(self, state: SearchState, lane: _Lane, fitted: Expr, loss: float) -> None:
        """A newly fitted expression: onto the front and into the lane's list."""
        state.offer(fitted, loss)
        lane.found[fitted.skeleton] = (fitted, loss, self._reward(fitted.size, loss))
        if state.problem.evaluator.is_exact(fitted, loss):
            self._exact = True

    def _reward(self, size: int, loss: float) -> float:
        """``eta**size / (1 + sqrt(loss / loss_of_mean))``: 0 for a non-finite loss."""
        if not math.isfinite(loss):
            return 0.0
        rel = 0.0 if loss <= self._floor else loss / self._base_loss
        return self.config.length_discount ** size / (1.0 + math.sqrt(max(rel, 0.0)))


def _root_divergence(tree: TreeSearch) -> float:
    """KL divergence of the learnt first-token policy from the prior (0: Q changed nothing)."""
    g = tree.grammar
    start = g.start()
    allowed = g.allowed(start)
    prior = g.prior(allowed, tree.p_leaf)
    prior = prior / prior.sum()
    policy = tree.policy(start, allowed)
    return float(np.sum(policy * np.log(policy / prior)))
