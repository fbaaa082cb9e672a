"""Linear scaling and the linear head over additive terms (the closed-form step writes its sums with it)."""

import numpy as np
import pytest

from srkit.core import as_dataset, parse
from srkit.fitness import Evaluator
from srkit.fitness.linear import additive_terms, linear_head, linear_scale


def test_additive_terms_signs_and_positions():
    e = parse("x0*x1 - (x1 - 2.0) + x0")
    assert additive_terms(e) == [(1.0, 2), (-1.0, 6), (1.0, 7), (1.0, 8)]
    assert [str(e.subtree(i)) for _, i in additive_terms(e)] == ["x0 * x1", "x1", "2.0", "x0"]
    assert additive_terms(parse("sin(x0)")) == [(1.0, 0)]


def test_linear_scale_closed_form():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert linear_scale(3 * v - 2, v) == pytest.approx((-2.0, 3.0))
    # weights: only the first two points count
    w = np.sqrt(np.array([1.0, 1.0, 0.0, 0.0]))
    a, b = linear_scale(np.array([1.0, 3.0, 100.0, -50.0]), v, w)
    assert (a, b) == pytest.approx((-1.0, 2.0))
    assert linear_scale(np.array([2.0, 2.0]), np.array([5.0, 5.0])) == (2.0, 0.0)  # constant input


def test_linear_head_finds_the_weights_of_each_term():
    X = np.random.default_rng(0).uniform(0.5, 2, (40, 3))
    m, v, h = X.T
    y = 0.5 * m * v * v + 9.81 * m * h
    e = parse("m*v*v + m*h", ["m", "v", "h"])
    cols = np.ascontiguousarray(X.T)
    from srkit.fitness.interpreter import interpret

    head = linear_head(e, lambda sub: interpret(sub, cols, len(y)), y)
    np.testing.assert_allclose(interpret(head, cols, len(y)), y, rtol=1e-12)
    assert sorted(np.round(head.coefs, 9).tolist()) == [0.5, 9.81]


def test_linear_head_keeps_exact_formulas_unchanged():
    X = np.random.default_rng(1).uniform(-1, 1, (30, 1))
    y = X[:, 0] ** 2 + X[:, 0]
    e = parse("x0*x0 + x0")
    from srkit.fitness.interpreter import interpret

    head = linear_head(e, lambda sub: interpret(sub, np.ascontiguousarray(X.T), 30), y)
    assert str(head) == "x0 * x0 + x0"


@pytest.mark.parametrize("scale", [1.0, 1e-8, 6.62607015e-34])
def test_linear_head_keeps_tiny_scale_weights(scale: float) -> None:
    """Regression: the linear head snapped every weight below 1e-6 to 0 and dropped its term."""
    from srkit.fitness.interpreter import interpret

    x = np.linspace(1, 2, 30)
    y = scale * (1.5 * x + 0.7 * x**2 + 0.3)
    head = linear_head(parse("x0 + x0*x0", ["x0"]), lambda sub: interpret(sub, x[None, :], x.size), y)
    np.testing.assert_allclose(interpret(head, x[None, :], x.size), y, rtol=1e-9)


def test_scaled_loss_ignores_scale_and_offset():
    X = np.random.default_rng(3).uniform(-1, 1, (30, 1))
    data = as_dataset(X, 7.0 * np.exp(X[:, 0]) - 2.0)
    ev = Evaluator(data)
    assert ev.scaled_loss(parse("exp(x0)")) < 1e-20
    assert ev.loss(parse("exp(x0)")) > 1.0
    assert ev.scaled_loss(parse("log(x0)")) == float("inf")  # nan on negative x
