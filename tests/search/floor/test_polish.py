"""The front's last step: constants rounded where the data cannot tell (srkit.search.floor.polish)."""

from __future__ import annotations

import time

import numpy as np

from srkit.core import as_dataset, default_registry, parse
from srkit.fitness import Evaluator
from srkit.search.base import Budget, Problem, run_search
from srkit.search.floor.polish import polish


def _problem(n: int = 200, seed: int = 0) -> Problem:
    x = np.linspace(-1, 1, n)
    y = x**3 + x**2 + x + np.random.default_rng(seed).normal(0, 0.01, n)
    data = as_dataset(x[:, None], y, feature_names=["x"])
    return Problem(data, default_registry().operator_set(["add", "mul", "sin"], ["x"]), Evaluator(data))


class _Guesses:
    """A searcher that offers fixed formulas, fitted."""

    name = "guesses"

    def __init__(self, *texts: str) -> None:
        self.texts = texts

    def search(self, problem, *, budget, rng, callbacks=()):  # noqa: ANN001, ANN201
        def loop(state):  # noqa: ANN001, ANN202
            for text in self.texts:  # (straight onto the front: offer() would snap them already)
                state.front.update(*problem.evaluator.fit(parse(text, problem.opset)))
        return run_search(self, problem, budget, callbacks, loop)


def _search(problem: Problem):  # noqa: ANN202
    guesses = _Guesses("1.0*x*x*x + 1.0*x*x + 1.0*x + 1.0",
                       "1.0*x*x*x + 1.0*x*x + 1.0*x + 1.0 + 1.0*sin(9.0*x)")
    return guesses.search(problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))


def test_polish_writes_the_noisy_law_with_its_exact_constants() -> None:
    problem = _problem()
    result = _search(problem)
    assert str(result.best.expr.to_sympy()) != "x**3 + x**2 + x"  # fitted constants, a noise term
    polished = polish(result, problem)
    assert str(polished.best.expr.to_sympy()) == "x**3 + x**2 + x"
    assert polished.best.expr.n_coefs == 0  # the 1s and the intercept 0 are gone, not just rounded
    # every loss on the polished front is the formula's real loss
    for entry in polished.front:
        assert entry.loss == problem.evaluator.loss(entry.expr)


def test_polish_after_the_deadline_keeps_the_front_as_it_is() -> None:
    problem = _problem()
    result = _search(problem)
    polished = polish(result, problem, deadline=time.perf_counter() - 1)
    assert [(str(e.expr), e.loss) for e in polished.front] == [(str(e.expr), e.loss) for e in result.front]


def test_polish_is_part_of_every_fit() -> None:
    from srkit import SymbolicRegressor

    x = np.random.default_rng(1).uniform(-2, 2, (300, 2))
    y = 1.5 * x[:, 0] * x[:, 1] + np.sin(x[:, 1])
    y = y + np.random.default_rng(2).normal(0, 0.01 * np.sqrt(np.mean(y**2)), 300)
    model = SymbolicRegressor("mcts", time_budget=None, max_evals=5000, random_state=0).fit(x, y)
    assert str(model.sympy()) == "1.5*x0*x1 + sin(x1)"
