"""Genetic programming on DEAP, working on srkit's shared core.

DEAP supplies the genotype (``PrimitiveTree``), ramped half-and-half
initialisation, one-point subtree crossover, the uniform/node-replacement/
shrink/insert mutations and tournament selection.  srkit supplies everything
that scores: trees are turned into :class:`~srkit.core.expr.Expr` and fitted and
scored by the problem's Evaluator (coefficients by Levenberg-Marquardt, cached
by skeleton).  Fitted coefficients are written back into the trees, so children
inherit them.  Elitism goes through the ParetoFront.

DEAP draws from Python's global ``random``; the searcher seeds it from the
``numpy.random.Generator`` it is given and restores the previous state when it
returns, so nothing global is left behind and the same seed gives the same
result.  DEAP's ``creator`` is never used.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorSet
from srkit.fitness.fold import fold_constants
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, run_search

__all__ = ["GPConfig", "GPSearcher"]

MUTATIONS = ("subtree", "point", "hoist", "shrink", "insert")


@dataclass(frozen=True)
class GPConfig:
    """Hyper-parameters of :class:`GPSearcher`.

    Parameters
    ----------
    population_size : individuals over all islands.
    n_islands : independent sub-populations with ring migration.
    tournament_size : competitors per tournament.
    p_crossover : probability that a pair of children is crossed over.
    p_mutation : probability that a child is mutated (one mutation, drawn by weight).
    mutation_weights : relative weights of subtree, point, hoist, shrink and insert mutation.
    init_min_depth, init_max_depth : depth range (in edges) of ramped half-and-half.
    parsimony : selection fitness is ``nmse * exp(parsimony * complexity)``; exact
        fits always beat approximate ones, and among equals the simpler wins.
    n_elites : front members (spread over complexity) copied into each island every generation.
    migration_interval, migration_size : ring migration between islands.
    fit_coefficients : fit coefficients (else keep inherited values).
    fit_fraction : share of new skeletons whose coefficients are fitted each generation:
        the best by loss with inherited coefficients, plus a few at random.
    p_coefficient : share of fitted coefficients among the leaves that are drawn.
    patience_after_exact : generations to keep simplifying once an exact fit is found.
    restart_after : an island whose best fitness has not improved for this many
        generations is re-initialised at random (0: never).
    island_size_fractions : each island's size limit as a fraction of the problem's
        ``max_size``.  Default: evenly from 0.4 to 1.  Small islands cannot grow the
        large curve fits that trap a search, so they keep looking for compact exact
        forms; they receive only migrants and elites that fit their limit.
    """

    population_size: int = 600
    n_islands: int = 3
    tournament_size: int = 5
    p_crossover: float = 0.7
    p_mutation: float = 0.4
    mutation_weights: tuple[float, float, float, float, float] = (1.0, 1.0, 0.5, 0.5, 0.5)
    init_min_depth: int = 1
    init_max_depth: int = 4
    parsimony: float = 0.02
    n_elites: int = 10
    migration_interval: int = 10
    migration_size: int = 5
    fit_coefficients: bool = True
    fit_fraction: float = 0.1
    p_coefficient: float = 0.1
    patience_after_exact: int = 15
    restart_after: int = 25
    island_size_fractions: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.population_size < 4 or self.n_islands < 1 or self.population_size < 2 * self.n_islands:
            raise ValueError("population_size must be >= 4 and at least 2 per island")
        if not 0 <= self.p_crossover <= 1 or not 0 <= self.p_mutation <= 1:
            raise ValueError("p_crossover and p_mutation must be probabilities in [0, 1]")
        if self.tournament_size < 1:
            raise ValueError("tournament_size must be >= 1")
        if len(self.mutation_weights) != len(MUTATIONS) or sum(self.mutation_weights) <= 0:
            raise ValueError(f"mutation_weights needs {len(MUTATIONS)} non-negative weights: {MUTATIONS}")
        if not 0 <= self.init_min_depth <= self.init_max_depth:
            raise ValueError("need 0 <= init_min_depth <= init_max_depth")


class _DeapKit:
    """DEAP types and primitive set for one operator set, built per search (no globals)."""

    def __init__(self, opset: OperatorSet, p_coefficient: float) -> None:
        from deap import base, gp

        self.gp = gp

        class Fitness(base.Fitness):
            weights = (-1.0,)

        class Individual(gp.PrimitiveTree):
            __slots__ = ("fitness", "expr", "loss")

            def __init__(self, content: Any) -> None:
                super().__init__(content)
                self.fitness = Fitness()
                self.expr: Expr | None = None
                self.loss = math.inf

        class CoefLeaf(gp.Terminal):
            """A fitted-coefficient leaf carrying its own value."""

            __slots__ = ()
            # Class-level, so that DEAP's arity and type checks also pass for the
            # class object it inserts before fresh_coefs() swaps in an instance.
            arity = 0
            ret = object

            def __init__(self, value: float | None = None) -> None:
                # slots inherited from deap.gp.Terminal (mypy does not see them)
                self.value = float(value) if value is not None else random.uniform(-2.0, 2.0)  # type: ignore[misc]
                self.name = "C"  # type: ignore[misc]
                self.conv_fct = repr  # type: ignore[misc]

            def format(self) -> str:
                return repr(self.value)

        self.Individual = Individual
        self.CoefLeaf = CoefLeaf
        pset = gp.PrimitiveSet("srkit", len(opset.variables))
        pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(opset.variables)})
        for op in opset.operators:
            if op.arity > 0:
                pset.addPrimitive(_noop, op.arity, name=op.name)
            else:
                pset.addTerminal(op.value, name=op.name)
        # The coefficient leaf class goes straight into the terminal list, avoiding
        # the module-global registration of addEphemeralConstant.  DEAP inserts the
        # class object itself when it draws it; fresh_coefs() swaps in instances
        # right after every generation or mutation step.
        pset.terminals[object].append(CoefLeaf)
        pset.terms_count += 1
        # DEAP draws leaves uniformly: repeat the variables to set the coefficient share
        copies = max(1, round((1 - p_coefficient) / (max(p_coefficient, 1e-9) * len(opset.variables))))
        args = [t for t in pset.terminals[object] if isinstance(t, gp.Terminal)][: len(opset.variables)]
        pset.terminals[object].extend(args * (copies - 1))
        self.pset = pset
        self.opset = opset
        # Trees hold the primitive set's own node objects, so identity maps them.
        self.to_code: dict[int, tuple[int, int]] = {}
        self.from_code: dict[tuple[int, int], Any] = {}
        for prim in pset.primitives[object]:
            self._link(prim, opset.code(prim.name), 0)
        variables = list({id(t): t for t in pset.terminals[object] if isinstance(t, gp.Terminal)}.values())
        for i, term in enumerate(variables[: len(opset.variables)]):
            self._link(term, VAR, i)  # arguments come first, in order
        for term in variables[len(opset.variables):]:
            self._link(term, opset.code(term.name), 0)

    def _link(self, node: Any, code: int, arg: int) -> None:
        self.to_code[id(node)] = (code, arg)
        self.from_code[(code, arg)] = node

    def to_expr(self, tree: Any) -> Expr:
        codes: list[int] = []
        args: list[int] = []
        coefs: list[float] = []
        for node in tree:
            if isinstance(node, self.CoefLeaf):
                codes.append(COEF)
                args.append(len(coefs))
                coefs.append(node.value)
            else:
                c, a = self.to_code[id(node)]
                codes.append(c)
                args.append(a)
        return Expr(codes, args, coefs, self.opset, validate=False)

    def from_expr(self, expr: Expr) -> Any:
        nodes = []
        for _, code, arg in expr.nodes():
            if code == COEF:
                nodes.append(self.CoefLeaf(float(expr.coefs[arg])))
            else:
                nodes.append(self.from_code[(code, arg if code == VAR else 0)])
        return self.Individual(nodes)

    def set_coefs(self, ind: Any, coefs: np.ndarray) -> None:
        k = 0
        for i, node in enumerate(ind):
            if isinstance(node, self.CoefLeaf):
                list.__setitem__(ind, i, self.CoefLeaf(float(coefs[k])))
                k += 1

    def fresh_coefs(self, ind: Any) -> None:
        """Replace the shared CoefLeaf class objects DEAP may insert by instances."""
        for i, node in enumerate(ind):
            if node is self.CoefLeaf:
                list.__setitem__(ind, i, self.CoefLeaf())


def _noop(*args: Any) -> None:  # DEAP needs a callable; srkit never compiles trees
    return None


class GPSearcher:
    """Genetic programming searcher (see module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> from srkit.fitness import Evaluator
    >>> from srkit.search.base import Budget, Problem
    >>> X = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    >>> data = as_dataset(X, X[:, 0] ** 2 + X[:, 0])
    >>> ops = default_registry().operator_set(["add", "mul"], data.feature_names)
    >>> problem = Problem(data, ops, Evaluator(data))
    >>> result = GPSearcher().search(problem, budget=Budget(iterations=20), rng=np.random.default_rng(0))
    >>> result.best.loss < 1e-20
    True
    """

    name: ClassVar[str] = "gp"

    def __init__(self, config: GPConfig | None = None, **overrides: Any) -> None:
        base = config or GPConfig()
        if overrides:
            from dataclasses import replace

            base = replace(base, **overrides)
        self.config = base

    def search(
        self,
        problem: Problem,
        *,
        budget: Budget,
        rng: np.random.Generator,
        callbacks: Sequence[Callback] = (),
    ) -> SearchResult:
        seed = int(rng.integers(2**63 - 1))
        saved = random.getstate()
        random.seed(seed)
        try:
            return run_search(self, problem, budget, callbacks, lambda s: self._loop(s), seed)
        finally:
            random.setstate(saved)

    # ------------------------------------------------------------------ the loop
    def _loop(self, state: SearchState) -> None:
        cfg, problem = self.config, state.problem
        kit = _DeapKit(problem.opset, cfg.p_coefficient)
        var = _target_variance(problem)
        limits = self._island_limits(problem)
        islands = self._initial_islands(kit, problem, limits)
        self._score(kit, state, [ind for isl in islands for ind in isl], var)
        exact_since: int | None = None
        best_seen = [math.inf] * len(islands)
        stale = [0] * len(islands)
        while not state.out_of_budget():
            children = [self._offspring(kit, problem, isl, limits[k]) for k, isl in enumerate(islands)]
            # islands stuck for restart_after generations start afresh (the front keeps their best)
            restarted = []
            for k, kids in enumerate(children):
                top = min(ind.fitness.values[0] for ind in islands[k])
                stale[k] = 0 if top < best_seen[k] * (1 - 1e-9) else stale[k] + 1
                best_seen[k] = min(best_seen[k], top)
                if cfg.restart_after and stale[k] >= cfg.restart_after:
                    children[k] = self._random_population(kit, problem, len(kids), limits[k])
                    best_seen[k], stale[k] = math.inf, 0
                    restarted.append(k)
            self._score(kit, state, [c for kids in children for c in kids], var)
            islands = [self._survivors(kit, state, kids, limits[k]) for k, kids in enumerate(children)]
            if len(islands) > 1 and (state.iteration + 1) % cfg.migration_interval == 0:
                self._migrate(islands, limits)
            if state.found_exact():
                exact_since = state.iteration if exact_since is None else exact_since
            stop = state.end_iteration(exact=exact_since is not None, restarted=restarted)
            if exact_since is not None and state.iteration - exact_since >= cfg.patience_after_exact:
                state.stopped_by = state.stopped_by or "exact"
                stop = True
            if stop:
                break

    def _initial_islands(self, kit: _DeapKit, problem: Problem, limits: list[int]) -> list[list[Any]]:
        cfg = self.config
        size = cfg.population_size // cfg.n_islands
        islands = []
        seeds = [kit.from_expr(e.with_opset(problem.opset)) for e in problem.seeds]
        for k in range(cfg.n_islands):
            pop = [s for s in seeds[k::cfg.n_islands]][:size]
            islands.append(pop + self._random_population(kit, problem, size - len(pop), limits[k]))
        return islands

    def _island_limits(self, problem: Problem) -> list[int]:
        n = self.config.n_islands
        fractions = self.config.island_size_fractions
        if fractions is None:
            fractions = tuple(np.linspace(0.4, 1.0, n)) if n > 1 else (1.0,)
        if len(fractions) != n:
            raise ValueError(f"island_size_fractions needs {n} values, one per island")
        return [max(3, int(round(f * problem.max_size))) for f in fractions]

    def _random_population(self, kit: _DeapKit, problem: Problem, size: int, limit: int) -> list[Any]:
        """Ramped half-and-half trees within the size and depth limits."""
        cfg, gp = self.config, kit.gp
        pop: list[Any] = []
        while len(pop) < size:
            tree = kit.Individual(gp.genHalfAndHalf(kit.pset, cfg.init_min_depth, cfg.init_max_depth))
            kit.fresh_coefs(tree)
            if len(tree) <= limit and tree.height < problem.max_depth:
                pop.append(tree)
        return pop

    def _offspring(self, kit: _DeapKit, problem: Problem, pop: list[Any], limit: int) -> list[Any]:
        from deap import tools

        cfg, gp = self.config, kit.gp
        parents = tools.selTournament(pop, len(pop), tournsize=cfg.tournament_size)
        kids = [kit.Individual(p[:]) for p in parents]
        for kid, parent in zip(kids, parents):
            kid.fitness.values = parent.fitness.values
            kid.expr, kid.loss = parent.expr, parent.loss
        for i in range(1, len(kids), 2):
            if random.random() < cfg.p_crossover:
                a, b = kids[i - 1], kids[i]
                gp.cxOnePoint(a, b)
                a.expr = b.expr = None
        for kid in kids:
            if random.random() < cfg.p_mutation:
                self._mutate(kit, problem, kid)
                kid.expr = None
        for i, kid in enumerate(kids):
            if kid.expr is None:
                kit.fresh_coefs(kid)
                if len(kid) > limit or kid.height >= problem.max_depth:
                    kids[i] = kit.Individual(parents[i][:])  # DEAP's staticLimit rule
                    kids[i].fitness.values = parents[i].fitness.values
                    kids[i].expr, kids[i].loss = parents[i].expr, parents[i].loss
        return kids

    def _mutate(self, kit: _DeapKit, problem: Problem, ind: Any) -> None:
        gp, pset = kit.gp, kit.pset
        kind = random.choices(MUTATIONS, weights=self.config.mutation_weights)[0]
        if kind == "subtree":
            gp.mutUniform(ind, expr=lambda pset, type_: gp.genFull(pset, 0, 2, type_), pset=pset)
        elif kind == "point":
            gp.mutNodeReplacement(ind, pset=pset)
        elif kind == "shrink":
            gp.mutShrink(ind)
        elif kind == "insert":
            gp.mutInsert(ind, pset=pset)
        else:
            _hoist(ind)

    def _score(self, kit: _DeapKit, state: SearchState, inds: list[Any], var: float) -> None:
        """Score new individuals: all with their current coefficients, the promising
        ones (and any skeleton fitted before, which is free) with fitted coefficients."""
        cfg = self.config
        todo = [ind for ind in inds if ind.expr is None]
        exprs = [fold_constants(kit.to_expr(ind)) for ind in todo]
        evaluator = state.problem.evaluator
        scored = [evaluator.cached_fit(e) or (e, evaluator.loss(e)) for e in exprs]
        if cfg.fit_coefficients:
            # rank unfitted skeletons by the loss of their best linear rescaling: it
            # tells a promising shape from a badly scaled one for one evaluation
            new = [k for k, e in enumerate(exprs) if not evaluator.is_cached(e)]
            rank = {k: evaluator.scaled_loss(exprs[k]) for k in new}
            new.sort(key=lambda k: rank[k])
            chosen = new[: max(1, math.ceil(cfg.fit_fraction * len(new)))] if new else []
            chosen += [k for k in new[len(chosen):] if random.random() < cfg.fit_fraction / 4]
            for k, result in zip(chosen, evaluator.fit_many([exprs[k] for k in chosen])):
                if result[1] <= scored[k][1] or not math.isfinite(scored[k][1]):
                    scored[k] = result
        for ind, (fitted, loss) in zip(todo, scored):
            # write folded structure or fitted coefficients back: children inherit them
            if fitted.size != len(ind):
                list.__setitem__(ind, slice(None), kit.from_expr(fitted))
            elif fitted.n_coefs:
                kit.set_coefs(ind, fitted.coefs)
            ind.expr, ind.loss = fitted, loss
            ind.fitness.values = (self._fitness(fitted, loss, var, state),)
            state.offer(fitted, loss)

    def _fitness(self, expr: Expr, loss: float, var: float, state: SearchState) -> float:
        if not math.isfinite(loss):
            return math.inf
        floor = state.problem.evaluator.loss_floor
        return max(loss, floor, 1e-300) / var * math.exp(self.config.parsimony * expr.complexity)

    def _survivors(self, kit: _DeapKit, state: SearchState, kids: list[Any], limit: int) -> list[Any]:
        """Children replace parents; the worst make room for front members (elitism)."""
        n = self.config.n_elites
        if n <= 0 or not state.front:
            return kids
        # spread over the front: small building blocks survive as well as the most accurate
        front = [e for e in state.front.entries() if e.expr.size <= limit]
        if not front:
            return kids
        picks = np.unique(np.linspace(0, len(front) - 1, num=min(n, len(front))).round().astype(int))
        entries = [front[i] for i in picks]
        kids.sort(key=lambda ind: ind.fitness.values[0])
        var = _target_variance(state.problem)
        for slot, entry in zip(range(len(kids) - 1, -1, -1), entries):
            elite = kit.from_expr(entry.expr)
            elite.expr, elite.loss = entry.expr, entry.loss
            elite.fitness.values = (self._fitness(entry.expr, entry.loss, var, state),)
            kids[slot] = elite
        return kids

    def _migrate(self, islands: list[list[Any]], limits: list[int]) -> None:
        k = self.config.migration_size
        best = [sorted(isl, key=lambda ind: ind.fitness.values[0])[:k] for isl in islands]
        for i, isl in enumerate(islands):
            incoming = [ind for ind in best[i - 1] if len(ind) <= limits[i]]
            if not incoming:
                continue
            isl.sort(key=lambda ind: ind.fitness.values[0])
            isl[len(isl) - len(incoming):] = incoming


def _target_variance(problem: Problem) -> float:
    """Scale of the target for the selection fitness; panel labels have gaps (nan)."""
    var = float(np.nanvar(problem.dataset.y)) if np.size(problem.dataset.y) else 0.0
    return var if math.isfinite(var) and var > 0 else 1.0


def _hoist(ind: Any) -> None:
    """Hoist mutation: replace a random subtree by one of its own subtrees."""
    if len(ind) < 3:
        return
    start = random.randrange(len(ind))
    outer = ind.searchSubtree(start)
    inner_start = random.randrange(outer.start, outer.stop)
    inner = ind.searchSubtree(inner_start)
    ind[outer] = ind[inner]
