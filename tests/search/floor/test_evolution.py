"""GP searcher: finds real answers, is deterministic, leaves no global state."""

import random

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.search import Budget, Callback, GPConfig, GPSearcher, Problem, make_searcher


def _problem(f, n_vars=1, ops=("add", "sub", "mul", "div"), n=30, seed=0, **kw):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, n_vars))
    data = as_dataset(X, f(X))
    opset = default_registry().operator_set(ops, data.feature_names)
    return Problem(data, opset, Evaluator(data), **kw)


def test_gp_recovers_a_polynomial_exactly():
    problem = _problem(lambda X: X[:, 0] ** 3 + X[:, 0] ** 2 + X[:, 0])
    result = GPSearcher().search(problem, budget=Budget(iterations=60), rng=np.random.default_rng(0))
    assert result.best.loss <= problem.evaluator.loss_floor
    import sympy

    x0 = sympy.Symbol("x0", real=True)
    assert sympy.simplify(result.best.expr.to_sympy() - (x0**3 + x0**2 + x0)) == 0


def test_gp_fits_coefficients():
    problem = _problem(lambda X: 2.5 * X[:, 0] * X[:, 1] - 0.75, n_vars=2)
    result = GPSearcher().search(problem, budget=Budget(iterations=40), rng=np.random.default_rng(1))
    assert result.best.loss < 1e-20
    # the fitted constants are exact, whatever form holds them (2.5*x0*x1 - 0.75, (x0*x1 - 0.3)*2.5, ...)
    import sympy

    x0, x1 = sympy.symbols("x0 x1", real=True)
    found = result.best.expr.to_sympy(rational=True)
    assert sympy.simplify(found - (sympy.Rational(5, 2) * x0 * x1 - sympy.Rational(3, 4))) == 0


def _front(result):
    return [(r["equation"], r["loss"]) for r in result.to_records()]


def test_same_seed_same_front():
    runs = [
        GPSearcher(population_size=120, n_islands=2).search(
            _problem(lambda X: np.sin(X[:, 0]) * X[:, 0], ops=("add", "mul", "sin")),
            budget=Budget(iterations=6), rng=np.random.default_rng(7),
        )
        for _ in range(2)
    ]
    assert _front(runs[0]) == _front(runs[1])
    assert runs[0].n_evals == runs[1].n_evals


def test_python_random_state_is_restored_and_no_creator_state():
    import deap.creator

    before_attrs = set(vars(deap.creator))
    random.seed(123)
    expected = random.random()
    random.seed(123)
    GPSearcher(population_size=40, n_islands=1).search(
        _problem(lambda X: X[:, 0] * 2), budget=Budget(iterations=2), rng=np.random.default_rng(0)
    )
    assert random.random() == expected
    assert set(vars(deap.creator)) == before_attrs


class _InterruptAt(Callback):
    def __init__(self, at):
        self.at = at

    def on_iteration_end(self, state):
        if state.iteration == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_best_so_far():
    problem = _problem(lambda X: X[:, 0] ** 2 + 1)
    result = GPSearcher(population_size=60, n_islands=1).search(
        problem, budget=Budget(iterations=1000), rng=np.random.default_rng(0), callbacks=[_InterruptAt(3)]
    )
    assert result.interrupted and result.iterations == 3
    assert result.best is not None and np.isfinite(result.best.loss)


def test_callback_can_stop_and_budget_in_evals_is_honoured():
    class Stop(Callback):
        def on_iteration_end(self, state):
            return state.iteration >= 2

    r = GPSearcher(population_size=40, n_islands=1).search(
        _problem(lambda X: np.cos(X[:, 0]) * 3 + X[:, 0]), budget=Budget(iterations=50),
        rng=np.random.default_rng(0), callbacks=[Stop()],
    )
    assert r.iterations == 2 and r.stopped_by == "callback"
    # cos is not available, so no exact fit ends the run early: the eval budget does
    problem = _problem(lambda X: np.cos(X[:, 0]) * 3 + X[:, 0], ops=("add", "mul"))
    r = GPSearcher(population_size=40, n_islands=1).search(
        problem, budget=Budget(evals=5000), rng=np.random.default_rng(0)
    )
    assert r.stopped_by == "evals" and 5000 <= r.n_evals < 5000 + 40 * 400


def test_seeds_enter_the_population():
    from srkit.core import parse

    problem = _problem(lambda X: np.exp(X[:, 0]) * 1.7, ops=("add", "mul", "exp"))
    problem.seeds = [parse("1.0*exp(x0)", problem.opset)]
    r = GPSearcher(population_size=40, n_islands=1).search(
        problem, budget=Budget(iterations=1), rng=np.random.default_rng(0)
    )
    assert r.best.loss < 1e-20


def test_config_validation_and_searcher_lookup():
    with pytest.raises(ValueError, match="probabilities"):
        GPConfig(p_crossover=1.5)
    with pytest.raises(ValueError, match="Did you mean 'gp'"):
        make_searcher("gq")
    assert isinstance(make_searcher("gp"), GPSearcher)
