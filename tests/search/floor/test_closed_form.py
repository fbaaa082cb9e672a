"""The floor's closed-form step: sparse sums and rational functions by least squares."""

import numpy as np
import pytest
import sympy

from srkit.core import as_dataset, default_registry
from srkit.core.parse import parse
from srkit.fitness import Evaluator
from srkit.search.floor.closed_form import (
    TermRegression, backward_eliminate, best_subsets, forward_select, power, term_library,
)

OPS = ["add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt", "pow"]


def _best(f, X, names=("x",), ops=OPS, **kw):
    data = as_dataset(X, f(X), feature_names=list(names))
    opset = default_registry().operator_set(list(ops), list(names))
    ev = Evaluator(data)
    found = []
    TermRegression(ev, opset, max_size=30, **kw).run([], lambda e, loss: found.append((loss, e)),
                                                      np.random.default_rng(0))
    loss, expr = min(found, key=lambda t: t[0])
    return loss, expr, ev


def _same(expr, text):
    found = expr.to_sympy()
    found = found.subs({s: sympy.Symbol(s.name) for s in found.free_symbols})  # drop assumptions
    diff = sympy.nsimplify(found, rational=True) - sympy.sympify(text, locals={"x": sympy.Symbol("x")})
    return sympy.simplify(diff) == 0


@pytest.mark.parametrize("formula, text", [
    (lambda X: X[:, 0] ** 6 + X[:, 0] ** 5 + X[:, 0] ** 4 + X[:, 0] ** 3 + X[:, 0] ** 2 + X[:, 0],
     "x**6 + x**5 + x**4 + x**3 + x**2 + x"),  # Nguyen-4
    (lambda X: (np.exp(X[:, 0]) - np.exp(-X[:, 0])) / 2, "sinh(x)"),  # Livermore-7
    (lambda X: np.sin(X[:, 0] ** 2) * np.cos(X[:, 0]) - 1, "sin(x**2)*cos(x) - 1"),  # Nguyen-5
    (lambda X: (X[:, 0] + 1) ** 3 / (X[:, 0] ** 2 - X[:, 0] + 1), "(x + 1)**3 / (x**2 - x + 1)"),  # R1
    (lambda X: np.cosh(X[:, 0]), "cosh(x)"),  # Livermore-8: a small exact pair greedy steps miss
    (lambda X: sum(X[:, 0] ** k for k in range(1, 10)), "x**9 + x**8 + x**7 + x**6 + x**5 + x**4 + x**3 + x**2 + x"),  # Livermore-9
    (lambda X: np.sin(X[:, 0]) + np.sin(X[:, 0] + X[:, 0] ** 2), "sin(x) + sin(x + x**2)"),  # Nguyen-6
])
def test_exact_sums_and_rationals_are_found_in_closed_form(formula, text):
    X = np.random.default_rng(0).uniform(-1, 1, (20, 1))  # (a grid point at x = 1 is a pole of (x - x**10) / (1 - x))
    loss, expr, ev = _best(formula, X)
    assert loss <= ev.loss_floor
    assert _same(expr, text), str(expr)
    assert ev.n_evals < 1000  # one evaluation per library column and per model


def test_two_variables_with_a_half_and_a_denominator_without_constant_term():
    X = np.random.default_rng(0).uniform(0.1, 1, (20, 2))
    loss, expr, ev = _best(lambda X: X[:, 0] ** 4 - X[:, 0] ** 3 + X[:, 1] ** 2 / 2 - X[:, 1], X, ("x", "y"))
    assert loss <= ev.loss_floor and _same(expr, "x**4 - x**3 + y**2/2 - y")  # Nguyen-12
    loss, expr, ev = _best(lambda X: X[:, 0] ** 2 * X[:, 1] ** 2 / (X[:, 0] + X[:, 1]), X, ("x", "y"))
    assert loss <= ev.loss_floor and _same(expr, "x**2*y**2/(x + y)")  # Livermore-11


def test_forward_selection_and_backward_elimination_on_known_columns():
    x = np.linspace(-1, 1, 30)
    A = np.column_stack([x, x**2, x**3, np.sin(x), np.exp(x)])
    y = 3 * x**2 - np.sin(x) + 0.5
    assert sorted(forward_select(A, y, 5, tol=1e-20)[-1]) == [1, 3]
    # from every column down: the two that matter are the last two standing
    assert sorted(backward_eliminate(A, y, [0, 1, 2, 3, 4])[-2]) == [1, 3]


def test_backward_elimination_takes_the_path_of_one_least_squares_solve_per_candidate():
    from srkit.search.floor.closed_form import _rss

    def by_solves(A, y, current):  # the definition: each step drops the cheapest column
        path = [list(current)]
        while len(current) > 1:
            losses = [_rss(A, y, current[:i] + current[i + 1:]) for i in range(len(current))]
            current = current[:int(np.argmin(losses))] + current[int(np.argmin(losses)) + 1:]
            path.append(list(current))
        return path

    rng = np.random.default_rng(3)
    for trial in range(20):
        A = rng.normal(size=(120, 15)) * rng.uniform(0.01, 100, 15)  # columns of unequal scale
        y = A[:, :4] @ rng.normal(size=4) + 0.3 * rng.normal(size=120)
        assert backward_eliminate(A, y, list(range(15))) == by_solves(A, y, list(range(15)))
    # a column in the span of another (2*x + 1 next to x) is dropped first, at no cost
    A[:, 5] = 2 * A[:, 0] + 1
    path = backward_eliminate(A, y, list(range(15)))
    assert path[1] == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert _rss(A, y, path[1]) == pytest.approx(_rss(A, y, list(range(15))), rel=1e-12)
    # fewer rows than columns: solved one candidate at a time, with the same answer
    few = A[:10]
    assert backward_eliminate(few, y[:10], list(range(15)))[-1] == by_solves(few, y[:10], list(range(15)))[-1]


def test_exhaustive_small_subsets_find_what_greedy_steps_miss():
    x = np.linspace(-1, 1, 20)
    y = sum(x**k for k in range(1, 10))  # = (x - x**10) / (1 - x): y = x - x**10 + x*y
    N = np.column_stack([x**k for k in range(1, 11)])
    A = np.column_stack([N, -y[:, None] * np.column_stack([x**k for k in range(1, 5)])])
    assert sorted(best_subsets(A, y, 3)[-1]) == [0, 9, 10]
    assert best_subsets(A, y, 3, max_evals=100) == [[best_subsets(A, y, 1)[0][0]], best_subsets(A, y, 2)[1]]


def test_huge_column_does_not_hide_the_others():
    x = np.linspace(-10, 10, 200)
    A = np.column_stack([np.exp(x * x), x, np.sin(x * x)])
    y = 1 / 3 + x + np.sin(x * x)  # Livermore-1
    assert sorted(forward_select(A, y, 3, tol=1e-18)[-1]) == [1, 2]


def test_library_and_powers_follow_the_operator_set():
    ops = default_registry().operator_set(["add", "mul", "div"], ["x"])
    x = parse("x0").with_opset(default_registry().operator_set(["add", "mul", "div"], ["x0"]))
    assert str(power(x.opset, x, 3)) == "x0 * x0 * x0"  # no pow: a product
    assert str(power(x.opset, x, -1)) == "1.0 / x0"
    tiers = term_library(ops, max_degree=3)
    assert [str(t) for t in tiers[0]] == ["x", "x * x", "x * x * x", "1.0 / x", "1.0 / (x * x)",
                                         "1.0 / (x * x * x)"]
    assert tiers[1] == [] and tiers[2] == []  # no unary operators
    assert not TermRegression.applicable(Evaluator(as_dataset(np.ones((3, 1)), np.ones(3))),
                                         default_registry().operator_set(["mul", "sin"], ["x0"]))


def test_fit_terms_selects_the_needed_sub_sum_of_given_terms_only():
    X = np.linspace(-2, 2, 40)[:, None]
    data = as_dataset(X, 3 * X[:, 0] ** 2 - np.sin(X[:, 0]) + 0.5, feature_names=["x"])
    opset = default_registry().operator_set(OPS, ["x"])
    terms = [parse(t, opset) for t in ("x", "x ** 2", "sin(x)", "exp(x)", "cos(x)")]
    found = []
    TermRegression(Evaluator(data), opset, max_size=30).fit_terms(
        terms, lambda e, loss: found.append((loss, e)), np.random.default_rng(0))
    exact = [e for loss, e in found if loss < 1e-20]
    assert exact and _same(min(exact, key=lambda e: e.size), "3*x**2 - sin(x) + 1/2")
    # only the given terms are used: no library columns, no rational functions
    for _, e in found:
        assert e.to_sympy().atoms(sympy.Function, sympy.Pow) <= {
            a for t in terms for a in t.to_sympy().atoms(sympy.Function, sympy.Pow)}


def test_fit_rational_terms_finds_a_ratio_of_sums_over_given_terms():
    # I.18.4, the centre of mass: (m1*r1 + m2*r2) / (m1 + m2), in four variables (the
    # library's own rationals stop at two)
    names = ["m1", "m2", "r1", "r2"]
    X = np.random.default_rng(0).uniform(1, 5, (200, 4))
    y = (X[:, 0] * X[:, 2] + X[:, 1] * X[:, 3]) / (X[:, 0] + X[:, 1])
    data = as_dataset(X, y, feature_names=names)
    opset = default_registry().operator_set(OPS, names)
    terms = [parse(t, opset) for t in ("m1 * r1", "m2 * r2", "m2 * r1", "r1 * r2")]
    found = []
    TermRegression(Evaluator(data), opset, max_size=30).fit_rational_terms(
        terms, lambda e, loss: found.append((loss, e)), np.random.default_rng(0))
    loss, best = min(found, key=lambda f: f[0])
    assert loss < 1e-20
    m1, m2, r1, r2 = sympy.symbols(names, real=True)
    assert sympy.simplify(best.to_sympy() - (m1 * r1 + m2 * r2) / (m1 + m2)) == 0
    # a set without div has no ratios to offer
    found.clear()
    no_div = default_registry().operator_set(["add", "sub", "mul"], names)
    TermRegression(Evaluator(data), no_div, max_size=30).fit_rational_terms(
        [t.with_opset(no_div) for t in terms], lambda e, loss: found.append((loss, e)), np.random.default_rng(0))
    assert found == []


def test_refit_false_scores_the_subsample_weights_without_fitting():
    X = np.linspace(-2, 2, 400)[:, None]
    data = as_dataset(X, 3 * X[:, 0] ** 2 - np.sin(X[:, 0]) + 0.5, feature_names=["x"])
    opset = default_registry().operator_set(OPS, ["x"])
    terms = [parse(t, opset) for t in ("x", "x ** 2", "sin(x)", "exp(x)")]
    for refit in (True, False):
        ev = Evaluator(data)
        fits, fit = [], ev.fit
        ev.fit = lambda e: (fits.append(e), fit(e))[1]  # type: ignore[method-assign]
        found = []
        TermRegression(ev, opset, max_size=30, max_rows=50, refit=refit).fit_terms(
            terms, lambda e, loss: found.append((loss, e)), np.random.default_rng(0))
        assert min(loss for loss, _ in found) < 1e-20  # exact on a subsample is exact everywhere
        assert bool(fits) == refit  # without refit, no model is fitted on all rows


@pytest.mark.parametrize("noise", [0.0, 1e-3])
def test_best_subsets_agrees_with_least_squares_on_every_support(noise: float) -> None:
    """The Gram screen must not change the answer, also where columns differ in scale
    by 1e6 and many supports fit exactly (every superset of the true one)."""
    from itertools import combinations

    from srkit.search.floor.closed_form import _rss, best_subsets

    rng = np.random.default_rng(3)
    for _ in range(6):
        X = rng.uniform(0.5, 3, (300, 3))
        A = np.column_stack([X[:, i % 3] ** (1 + i // 3) * (X[:, (i + 1) % 3] if i % 2 else 1) for i in range(14)])
        A *= rng.choice([1e-3, 1.0, 1e3], A.shape[1])
        true = rng.choice(A.shape[1], 2, replace=False)
        y = A[:, true] @ rng.normal(size=2) + 2.0 + noise * rng.normal(size=300)
        want = [list(min(combinations(range(14), k), key=lambda c: _rss(A, y, list(c)))) for k in (1, 2, 3)]
        got = best_subsets(A, y, 3, max_evals=1000)
        assert [_rss(A, y, g) for g in got] == pytest.approx([_rss(A, y, w) for w in want], rel=1e-6, abs=1e-18)
        assert sorted(got[1]) == sorted(true.tolist())
