"""Tests of the Evaluator: scoring, budget, caching, parallel fitting (srkit.fitness.evaluator)."""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from srkit.core import Expr, as_dataset, parse
from srkit.core.simplify import drop_identities
from srkit.fitness import CoefficientFitter, Evaluator
from srkit.fitness.evaluator import BudgetSpent
from srkit.fitness.losses import mse


@pytest.fixture()
def data() -> Any:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (40, 2))
    y = 1.5 * np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    return as_dataset(X, y)


def test_loss_of_exact_formula_and_counting(data: Any) -> None:
    ev = Evaluator(data)
    assert ev.loss(parse("1.5*sin(x0) + 0.5*x1**2", ["x0", "x1"])) == 0.0
    assert ev.n_evals == 1
    values, ok = ev.evaluate(parse("x0", ["x0", "x1"]))
    assert ok and values.tolist() == data.X[:, 0].tolist() and ev.n_evals == 2


def test_loss_matches_the_loss_function(data: Any) -> None:
    e = parse("sin(x0) + x1", ["x0", "x1"])
    expected = mse(data.y, np.sin(data.X[:, 0]) + data.X[:, 1])
    assert Evaluator(data).loss(e) == expected
    mae = Evaluator(data, loss="mae").loss(e)
    assert mae == np.mean(np.abs(np.sin(data.X[:, 0]) + data.X[:, 1] - data.y))
    custom = Evaluator(data, loss=lambda y, p, w: float(np.max(np.abs(y - p))))
    assert custom.loss(e) == np.max(np.abs(data.y - np.sin(data.X[:, 0]) - data.X[:, 1]))


def test_weighted_loss() -> None:
    X = np.array([[0.0], [1.0], [2.0]])
    ev = Evaluator(as_dataset(X, np.zeros(3), weights=[1.0, 1.0, 2.0]))
    assert ev.loss(parse("x0", ["x0"])) == (0 + 1 + 2 * 4) / 4


def test_non_finite_prediction_is_inf_loss(data: Any) -> None:
    ev = Evaluator(data)
    e = parse("log(x0)", ["x0", "x1"])  # x0 takes negative values
    values, ok = ev.evaluate(e)
    assert not ok and np.isnan(values).any()
    assert ev.loss(e) == math.inf
    assert ev.loss(parse("1.0 / (x0 - x0)", ["x0", "x1"])) == math.inf
    assert ev.fit(parse("1.0*log(x0 - 5.0)", ["x0", "x1"]))[1] == math.inf
    assert Evaluator(data, loss=lambda y, p, w: math.nan).loss(parse("x0", ["x0", "x1"])) == math.inf


def test_loss_floor(data: Any) -> None:
    ev = Evaluator(data)
    assert ev.loss_floor == pytest.approx(np.mean(data.y**2) * 1e-24, rel=1e-12)
    assert Evaluator(data, loss="mae").loss_floor == 0.0
    tiny = as_dataset(data.X, data.y * 1e-30)
    assert Evaluator(tiny).loss_floor == pytest.approx(ev.loss_floor * 1e-60, rel=1e-12)
    zero = as_dataset(data.X, np.zeros(data.n_samples))
    assert Evaluator(zero).loss_floor > 0.0


def test_budget(data: Any) -> None:
    ev = Evaluator(data, max_evals=3)
    e = parse("x0", ["x0", "x1"])
    assert ev.meter.max_evals == 3
    for _ in range(3):
        ev.loss(e)
    assert ev.n_evals == 3
    with pytest.raises(BudgetSpent, match="evals"):  # the evaluator owns its budget
        ev.loss(e)
    assert ev.n_evals == 3
    assert Evaluator(data).meter.max_evals is None
    with pytest.raises(ValueError, match="max_evals"):
        Evaluator(data, max_evals=-1)


@dataclass(frozen=True)
class CountingFitter(CoefficientFitter):
    """Counts every residual/loss evaluation the fitter asks for."""

    calls: list[int] = field(default_factory=list)

    def fit(self, expr: Expr, residual: Any, loss_of: Any, **kw: Any) -> Any:
        n = [0]

        def r(c: Any) -> Any:
            n[0] += 1
            return residual(c)

        def lo(c: Any) -> float:
            n[0] += 1
            return loss_of(c)

        out = super().fit(expr, r, lo, **kw)
        self.calls.append(n[0])
        return out


def test_fit_counts_every_evaluation(data: Any) -> None:
    fitter = CountingFitter()
    ev = Evaluator(data, fitter=fitter)
    ev.fit(parse("1.0*sin(x0) + 1.0*x1**2.0", ["x0", "x1"]))
    ev.fit(parse("1.0*x0 + x1", ["x0", "x1"]))
    # at least the start's loss and one residual per LM start (the data is exact here)
    assert len(fitter.calls) == 2 and fitter.calls[0] >= fitter.n_restarts + 2
    assert ev.n_evals == sum(fitter.calls)


def test_fit_cache_by_skeleton(data: Any) -> None:
    ev = Evaluator(data)
    a = parse("1.0*sin(x0) + 1.0*x1*x1", ["x0", "x1"])
    fitted, loss = ev.fit(a)
    np.testing.assert_allclose(fitted.coefs, [1.5, 0.5], rtol=1e-9)
    used = ev.n_evals
    assert ev.is_cached(a) and ev.cache_hits == 0
    b = a.with_coefs([-7.0, 3.0])  # same skeleton, other start values
    fitted_b, loss_b = ev.fit(b)
    assert fitted_b == fitted and loss_b == loss
    assert ev.n_evals == used and ev.cache_hits == 1  # free
    assert ev.cached_fit(b) == (fitted, loss) and ev.cache_hits == 2
    other = parse("1.0*cos(x0) + 1.0*x1*x1", ["x0", "x1"])
    assert not ev.is_cached(other) and ev.cached_fit(other) is None and ev.cache_hits == 2


def test_cache_size_evicts_oldest(data: Any) -> None:
    ev = Evaluator(data, cache_size=1)
    a, b = parse("1.0*x0", ["x0", "x1"]), parse("1.0*x1", ["x0", "x1"])
    ev.fit(a)
    ev.fit(b)
    assert ev.is_cached(b) and not ev.is_cached(a)


def _batch() -> list[Expr]:
    names = ["x0", "x1"]
    formulas = [
        "1.0*sin(x0) + 1.0*x1*x1", "1.0*x0 + 1.0", "1.0*exp(1.0*x0)", "1.0*x1*x1",
        "1.0*cos(1.0*x0) + x1", "sin(1.0*x0 + 1.0)", "1.0*x0*x1 + 1.0", "1.0*log(x0)",
        "1.0*sqrt(abs(x0)) + 1.0*x1", "1.0*tanh(1.0*x1) + 1.0*x0", "1.0/(1.0 + x0*x0)", "x0 - 1.0*x1",
    ]
    exprs = [parse(f, names) for f in formulas]
    return exprs + [exprs[0].with_coefs([3.0, 4.0]), exprs[3]]  # repeated skeletons


def test_fit_many_equals_fit(data: Any) -> None:
    batch = _batch()
    many = Evaluator(data)
    results = many.fit_many(batch)
    single = Evaluator(data)
    expected = [single.fit(e) for e in batch]
    assert results == expected
    assert many.n_evals == single.n_evals
    assert many.cache_hits == single.cache_hits == 2
    assert results[-2] == results[0] and results[7][1] == math.inf  # log of negative x0


def _parallel_matches_serial(data: Any, backend: str) -> None:
    batch = _batch()
    serial = Evaluator(data, n_jobs=1)
    expected = serial.fit_many(batch)
    par = Evaluator(data, n_jobs=2, backend=backend)
    got = par.fit_many(batch)
    for (e1, l1), (e2, l2) in zip(expected, got):
        assert e1.coefs.tobytes() == e2.coefs.tobytes() and e1 == e2
        assert l1 == l2 or (math.isnan(l1) and math.isnan(l2))
    assert par.n_evals == serial.n_evals and par.cache_hits == serial.cache_hits
    assert all(par.is_cached(e) for e in batch)


def test_fit_many_threading_matches_serial(data: Any) -> None:
    _parallel_matches_serial(data, "threading")


@pytest.mark.slow
def test_fit_many_loky_matches_serial(data: Any) -> None:
    _parallel_matches_serial(data, "loky")


def test_pickling_drops_the_cache(data: Any) -> None:
    ev = Evaluator(data)
    e = parse("1.0*x0", ["x0", "x1"])
    ev.fit(e)
    back = pickle.loads(pickle.dumps(ev))
    assert not back.is_cached(e) and back.n_evals == ev.n_evals
    assert back.fit(e) == ev.fit(e)


def test_unknown_loss_name(data: Any) -> None:
    with pytest.raises(ValueError, match="Did you mean .*'mae'"):
        Evaluator(data, loss="mea")


def test_cache_separates_operator_sets() -> None:
    """Regression: equal code arrays in two opsets are different formulas (sin vs cos)."""
    from srkit.core import default_registry

    reg = default_registry()
    with_sin = reg.operator_set(["mul", "sin"], ["x0"])
    with_cos = reg.operator_set(["mul", "cos"], ["x0"])
    x = np.linspace(0, 3, 30)
    ev = Evaluator(as_dataset(x[:, None], 2 * np.cos(x)))
    a, b = parse("1.0*sin(x0)", with_sin), parse("1.0*cos(x0)", with_cos)
    assert a.skeleton == b.skeleton
    ev.fit(a)
    assert not ev.is_cached(b)
    fitted, loss = ev.fit(b)
    assert str(fitted) == "2.0 * cos(x0)" and loss == 0.0
    # an equal opset built separately still shares the cache
    same = parse("5.0*cos(x0)", reg.operator_set(["mul", "cos"], ["x0"]))
    assert ev.is_cached(same) and ev.fit(same) == (fitted, loss)
    assert [r[0] for r in ev.fit_many([a, b])] == [ev.fit(a)[0], fitted]


# ---------------------------------------------------------------------- exact fits, snapping
def test_is_exact_needs_round_off_loss_and_more_rows_than_twice_the_constants() -> None:
    from srkit.core import parse

    ev = Evaluator(as_dataset(np.linspace(0, 1, 8)[:, None], np.linspace(0, 1, 8) ** 2))
    three = parse("1.0*x0*x0 + 0.0*x0 + 0.0")
    assert ev.is_exact(three, 0.0)  # 3 constants, 8 rows
    assert not ev.is_exact(three, 1e-6)  # not round-off
    assert not ev.is_exact(parse("1.0*x0**4 + 0.0*x0**3 + 0.0*x0*x0 + 0.0*x0 + 0.0"), 0.0)  # 5 constants


def _noisy_quadratic(n: int, sigma: float, seed: int = 0) -> Evaluator:
    x = np.linspace(-1, 1, n)
    y = 3 * x**2 - 0.5 * x + np.random.default_rng(seed).normal(0, sigma, n)
    return Evaluator(as_dataset(x[:, None], y))


def test_snap_rounds_the_constants_of_a_noisy_law_and_drops_a_noise_term() -> None:
    from srkit.core import parse

    ev = _noisy_quadratic(500, 0.01)
    fitted, loss = ev.fit(parse("1.0*x0*x0 + 1.0*x0 + 1.0*sin(7.0*x0) + 1.0"))
    snapped, snapped_loss = ev.snap(fitted, loss)
    # the law's constants, the noise term's weight and the intercept; the frequency inside
    # the dropped sine (97.3, fitted to noise) is irrelevant and left alone
    assert [snapped.coefs[k] for k in (0, 1, 2, 4)] == [3.0, -0.5, 0.0, 0.0]
    assert str(drop_identities(snapped)) == "3.0 * x0 * x0 - 0.5 * x0"
    assert loss < snapped_loss <= loss * math.exp(math.log(500) / 500) ** np.sum(snapped.coefs != fitted.coefs)


def test_snap_rounds_constants_that_only_matter_together() -> None:
    # (x - x**6) / (1 - x) is Nguyen-3's x + ... + x**5; fitted on noisy rows its denominator
    # is -1.0047*x + 1.0040: rounding either alone moves the pole, both together do not
    x = np.linspace(0.05, 0.95, 200)
    y = x + x**2 + x**3 + x**4 + x**5 + np.random.default_rng(0).normal(0, 0.01, 200)
    ev = Evaluator(as_dataset(x[:, None], y))
    noisy = parse("(x0 - x0**6) / (-1.0047*x0 + 1.0040)")
    loss = ev.loss(noisy)
    for j in (1, 2):  # one at a time: each is refused
        alone = noisy.coefs.copy()
        alone[j] = round(alone[j])
        assert ev.loss(noisy.with_coefs(alone)) > loss * math.exp(math.log(200) / 200)
    snapped, _ = ev.snap(noisy, loss)
    assert snapped.coefs.tolist() == [6.0, -1.0, 1.0]


def test_snap_keeps_a_constant_the_data_can_tell_from_any_simple_rational() -> None:
    from srkit.core import parse

    x = np.linspace(1, 2, 2000)
    y = 6.674 * x + np.random.default_rng(0).normal(0, 0.01, 2000)
    ev = Evaluator(as_dataset(x[:, None], y))
    fitted, loss = ev.fit(parse("1.0*x0"))
    assert ev.snap(fitted, loss) == (fitted, loss)  # 20/3 = 6.667 is 5 standard errors away


def test_snap_leaves_exact_fits_and_non_likelihood_losses_alone() -> None:
    from srkit.core import parse

    x = np.linspace(0, 1, 30)
    ev = Evaluator(as_dataset(x[:, None], 0.3 * x))
    fitted, loss = ev.fit(parse("1.0*x0"))
    assert ev.snap(fitted, loss) == (fitted, loss)
    n0 = ev.n_evals
    ev.loss_power = None  # e.g. a rank-IC loss
    noisy = parse("1.01*x0")
    assert ev.snap(noisy, 1.0) == (noisy, 1.0) and ev.n_evals == n0


def test_penalty_is_added_to_every_loss_the_evaluator_reports() -> None:
    # a prior beyond the fit (srkit.units.penalty uses it for dimensional consistency)
    x = np.linspace(1, 2, 30)
    data = as_dataset(np.column_stack([x, x]), 2 * x, feature_names=["a", "b"])
    uses_b = lambda e: 5.0 if 1 in e.variables_used else 0.0  # noqa: E731
    ev = Evaluator(data, penalty=uses_b)
    a, b = parse("2*a", ["a", "b"]), parse("2*b", ["a", "b"])
    assert ev.loss(a) == 0.0 and ev.loss(b) == 5.0
    assert ev.fit(parse("1.5*b", ["a", "b"]))[1] == 5.0
    assert [loss for _, loss in ev.fit_many([parse("1.5*a", ["a", "b"]), parse("0.5*b", ["a", "b"])])] == [0.0, 5.0]
    assert ev.scaled_fit(b)[2] == 5.0
    assert not ev.is_exact(b, ev.loss(b))  # a penalised exact fit does not stop a search
    rows = ev.derive(data.subset(np.arange(10)))
    assert rows.loss(b) == 5.0  # a row subset keeps the prior
    other = ev.derive(data, same_variables=False)
    assert other.penalty is None and other.loss(b) == 0.0  # other variables: the prior does not apply
