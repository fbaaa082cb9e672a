"""Search in dimensionless groups: the reduced problem, the written-back front, the budget."""

from __future__ import annotations

import numpy as np

from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.search import Budget, make_searcher
from srkit.search.floor.dimensionless import on_groups, search_in_groups
from srkit.units import as_unit as u
from srkit.units.analysis import analyse

NAMES = ["q", "Ef", "m", "omega_0", "omega"]
UNITS = [u({"m": 2, "s": -2, "kg": 1, "V": -1}), u({"m": -1, "V": 1}), u({"kg": 1}), u({"s": -1}), u({"s": -1})]


def _problem(y_noise: float = 0.0):  # type: ignore[no-untyped-def]
    from srkit.search import Problem

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (200, 5))
    q, Ef, m, w0, w = X.T
    y = q * Ef / (m * (w0**2 - w**2))
    y = y + rng.normal(0, y_noise * np.sqrt(np.mean(y**2)), len(y))
    data = as_dataset(X, y, feature_names=NAMES)
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "pow"], NAMES)
    return Problem(data, ops, Evaluator(data)), analyse(NAMES, UNITS, u({"m": 1}))


def test_reduced_loss_is_the_original_loss_up_to_one_factor() -> None:
    # rows weighted by prefactor**2: the squared error of f on the groups is that of
    # prefactor*f on y, over mean(prefactor**2) (the weights are normalised to mean 1)
    problem, analysis = _problem(y_noise=0.01)
    reduced = on_groups(problem, analysis)
    assert reduced is not None and reduced.opset.variables == ("pi1",)
    assert reduced.evaluator.meter is problem.evaluator.meter  # it charges the same budget
    from srkit.core.parse import parse

    q, Ef, m, w0, _ = problem.dataset.X.T
    factor = np.mean((q * Ef / (m * w0**2)) ** 2)
    for text in ("1.02 / (1 - 1 / (pi1 * pi1))", "pi1 + 0.5"):
        g = parse(text, ["pi1"])
        law = analysis.map_back(g, problem.opset)
        np.testing.assert_allclose(reduced.evaluator.loss(g) * factor, problem.evaluator.loss(law), rtol=1e-9)


def test_one_variable_instead_of_five_finds_the_law_and_stops() -> None:
    problem, analysis = _problem()
    searcher = make_searcher("gp")
    result, written = search_in_groups(lambda p, b: searcher.search(p, budget=b, rng=np.random.default_rng(0)),
                                       problem, analysis, Budget(time=30, iterations=200), searcher_name="gp")
    assert result.stopped_by == "exact" and result.wall_time < 30
    best = result.front.select("accuracy")
    assert problem.evaluator.is_exact(best.expr, best.loss)
    assert set(best.expr.opset.variables) == set(NAMES)  # written back in the original variables
    assert written and all(e in list(result.front) or e.loss >= best.loss for e in written)


def test_no_groups_fits_one_constant() -> None:
    # F = m*v**2/r: no dimensionless group, the law is C * m*v**2/r
    from srkit.search import Problem

    X = np.random.default_rng(2).uniform(1, 2, (30, 3))
    data = as_dataset(X, 0.5 * X[:, 0] * X[:, 1] ** 2 / X[:, 2], feature_names=["m", "v", "r"])
    ops = default_registry().operator_set(["add", "mul", "div"], data.feature_names)
    problem = Problem(data, ops, Evaluator(data))
    analysis = analyse(data.feature_names, [u("kg"), u("m/s"), u("m")], u("N"))
    called = []
    result, _ = search_in_groups(lambda p, b: called.append(p), problem, analysis,  # type: ignore[func-returns-value]
                                 Budget(time=10), searcher_name="auto")
    assert not called and result.stopped_by == "exact" and result.searcher == "auto"
    assert result.best is not None and np.isclose(result.best.expr.coefs, 0.5).any()


def test_mean_absolute_error_weights_rows_by_the_prefactor_itself() -> None:
    from srkit.core.parse import parse
    from srkit.search import Problem

    base, analysis = _problem(y_noise=0.01)
    problem = Problem(base.dataset, base.opset, Evaluator(base.dataset, "mae"))
    reduced = on_groups(problem, analysis)
    q, Ef, m, w0, _ = problem.dataset.X.T
    factor = np.mean(np.abs(q * Ef / (m * w0**2)))
    g = parse("pi1 + 0.5", ["pi1"])
    np.testing.assert_allclose(reduced.evaluator.loss(g) * factor,
                               problem.evaluator.loss(analysis.map_back(g, problem.opset)), rtol=1e-9)
