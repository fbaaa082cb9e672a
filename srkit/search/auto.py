"""``searcher="auto"``: srkit's searchers as one portfolio, the default.

No single searcher is best everywhere: mcts's closed-form step and tree search win on
sums and polynomials of one or two variables (Nguyen, Livermore), dsn's networks on
products of powers of many variables (AI Feynman), gp refines what either leaves half
done.  ``auto`` runs them in turn on one problem, one Evaluator (one fit cache, one
budget) and one Pareto front:

1. the closed-form step of the shared floor (sparse sums and rationals of library terms
   by least squares, :class:`~srkit.search.floor.closed_form.TermRegression`): in well
   under a second it finds every law that is a sparse sum of known terms, and the search
   ends there when one is exact;
2. each member in turn for its share of what is left of the budget (time, evaluations or
   iterations, whichever are set), handed the front so far as seeds (gp starts its
   population from it; dsn scores it first); a member that finishes early leaves its
   time to the next;
3. the search stops at the first exact fit (:meth:`SearchState.found_exact`, never on
   noisy data), after the member that found it has simplified it.

Every member's iteration is one iteration of ``auto`` (its history says which member ran),
so callbacks, progress and iteration budgets see one search.  Each member gets its own
random stream split from the seed, so the same seed gives the same front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Sequence

import numpy as np

from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search
from srkit.search.dsn import DSNSearcher
from srkit.search.floor.closed_form import TermRegression
from srkit.search.floor.evolution import GPSearcher
from srkit.search.mcts import MCTSSearcher

__all__ = ["AutoConfig", "AutoSearcher"]

#: the searchers a portfolio may hold, by name (llm needs a model server: not a default member)
_MEMBERS: dict[str, type[Any]] = {"mcts": MCTSSearcher, "dsn": DSNSearcher, "gp": GPSearcher}


@dataclass(frozen=True)
class AutoConfig:
    """Settings of :class:`AutoSearcher`.

    members : the searchers, in the order they run (names of mcts, dsn, gp).
    shares : each member's share of the budget left after the closed-form step (the same
        length as ``members``; normalised over the members still to run, so time a member
        leaves unused goes to the next).
    closed_form_share : at most this share of a time budget for the closed-form step.
    n_seeds : how many front formulas (the most accurate) each member is handed.
    """

    members: tuple[str, ...] = ("dsn", "mcts", "gp")
    shares: tuple[float, ...] = (0.5, 0.25, 0.25)
    closed_form_share: float = 0.15
    n_seeds: int = 20

    def __post_init__(self) -> None:
        unknown = [m for m in self.members if m not in _MEMBERS]
        if unknown or not self.members:
            raise ValueError(f"auto members must be among {', '.join(_MEMBERS)}, got {list(self.members)}")
        if len(self.shares) != len(self.members) or not all(s > 0 for s in self.shares):
            raise ValueError(f"auto needs one positive share per member, got shares={self.shares} "
                             f"for members={self.members}")
        if not 0 <= self.closed_form_share < 1:
            raise ValueError(f"closed_form_share must be in [0, 1), got {self.closed_form_share}")


class AutoSearcher:
    """The portfolio searcher (see the module docs); ``SymbolicRegressor()``'s default.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Budget, Problem
    >>> X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    >>> data = as_dataset(X, 2.5 * X[:, 0] * X[:, 1] - X[:, 1] ** 2)
    >>> ops = default_registry().operator_set(["add", "sub", "mul", "sin"], data.feature_names)
    >>> result = AutoSearcher().search(Problem(data, ops, Evaluator(data)), budget=Budget(time=10),
    ...                                rng=np.random.default_rng(0))
    >>> result.best.expr.to_sympy(), result.stopped_by
    (2.5*x0*x1 - x1**2, 'exact')
    """

    name: ClassVar[str] = "auto"

    def __init__(self, config: AutoConfig | None = None, **overrides: Any) -> None:
        base = config or AutoConfig()
        self.config = replace(base, **overrides) if overrides else base

    def prepare(self, problem: Problem) -> None:
        """One-off imports before the clock starts (torch for dsn takes seconds)."""
        if "dsn" in self.config.members:
            import torch  # noqa: F401

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult:
        seed = int(rng.integers(2**63 - 1))
        return run_search(self, problem, budget, callbacks, lambda s: self._loop(s, np.random.default_rng(seed)), seed)

    # ------------------------------------------------------------------ the loop
    def _loop(self, state: SearchState, rng: np.random.Generator) -> None:
        cfg, problem = self.config, state.problem
        streams = rng.spawn(len(cfg.members) + 1)
        self._closed_form(state, streams[0])
        if state.found_exact():
            state.stopped_by = state.stopped_by or "exact"
            return
        members = self._usable(problem)
        for k, (name, share) in enumerate(members):
            if state.out_of_budget():
                return
            left = sum(s for _, s in members[k:])
            budget = self._slice(state, share / left)
            seeds = [e.expr for e in sorted(state.front, key=lambda e: e.loss)[: cfg.n_seeds]]
            member = _MEMBERS[name]()
            relay = _Relay(state, name)
            result = member.search(replace(problem, seeds=[*problem.seeds, *seeds]), budget=budget,
                                   rng=streams[1 + cfg.members.index(name)], callbacks=[relay])
            state.front.merge(result.front)
            if result.interrupted:  # Ctrl-C reached the member: the whole search ends
                state.stopped_by = "interrupt"
                return
            if not relay.iterations or result.stopped_by.startswith("error"):
                # a member cut before its first iteration ended still counts as one (the
                # history says who ran, and why it stopped)
                state.end_iteration(member=name, member_stopped_by=result.stopped_by)
            if state.found_exact():
                state.stopped_by = state.stopped_by or "exact"
                return
            if state.stopped_by == "callback":
                return
        if not state.stopped_by:  # the last member spent the rest of the budget
            b = state.budget
            state.stopped_by = "time" if b.time is not None else "evals" if b.evals is not None else "iterations"

    def _closed_form(self, state: SearchState, rng: np.random.Generator) -> None:
        """The floor's closed-form step, within ``closed_form_share`` of a time budget."""
        problem = state.problem
        if not TermRegression.applicable(problem.evaluator, problem.opset):
            return
        limit = (math.inf if state.budget.time is None
                 else self.config.closed_form_share * state.budget.time)
        terms = TermRegression(problem.evaluator, problem.opset, max_size=problem.max_size)
        n0 = state.n_evals
        terms.run([], state.offer, rng, lambda: state.elapsed > limit or state.out_of_budget())
        state.end_iteration(member="closed_form", evals=state.n_evals - n0)

    def _usable(self, problem: Problem) -> list[tuple[str, float]]:
        """The members that can work on this problem: dsn needs add and mul; mcts and dsn
        need one target per row (a panel of dates x assets leaves gp)."""
        panel = len(getattr(problem.dataset, "sample_shape", (problem.dataset.n_samples,))) != 1
        usable = []
        for name, share in zip(self.config.members, self.config.shares):
            if name == "dsn" and not (problem.opset.has("add") and problem.opset.has("mul")):
                continue
            if panel and name in ("mcts", "dsn"):
                continue
            usable.append((name, share))
        return usable or [("gp", 1.0)]

    def _slice(self, state: SearchState, fraction: float) -> Budget:
        """``fraction`` of what is left of each part of the budget (evaluations are an
        absolute count on the shared evaluator; time and iterations are the member's own)."""
        b = state.budget
        time = None if b.time is None else max(0.0, (b.time - state.elapsed) * fraction)
        evals = None if b.evals is None else state.n_evals + max(1, int((b.evals - state.n_evals) * fraction))
        iterations = None if b.iterations is None else max(1, int((b.iterations - state.iteration) * fraction))
        return Budget(time=time, evals=evals, iterations=iterations)


class _Relay(Callback):
    """A member's iterations as the portfolio's: its front joins the portfolio's front,
    the portfolio's callbacks and budget are asked whether to stop."""

    def __init__(self, outer: SearchState, member: str) -> None:
        self.outer = outer
        self.member = member
        self.iterations = 0

    def on_progress(self, state: SearchState) -> None:
        for cb in self.outer.callbacks:
            hook = getattr(cb, "on_progress", None)
            if hook is not None:
                hook(self.outer)

    def on_iteration_end(self, state: SearchState) -> bool:
        self.iterations += 1
        self.outer.front.merge(state.front)
        info = {k: v for k, v in (state.history[-1] if state.history else {}).items()
                if k not in ("iteration", "time", "n_evals", "best_loss", "front_size")}
        return self.outer.end_iteration(member=self.member, **info)
