"""Tests of coefficient fitting: Levenberg-Marquardt, restarts, snapping (srkit.fitness.coefficients)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from srkit.core import Expr, as_dataset, parse
from srkit.fitness import CoefficientFitter, Evaluator, snap_value


def _fit(formula: str, X: np.ndarray, y: np.ndarray, **fitter: object) -> tuple[Expr, float]:
    names = [f"x{j}" for j in range(X.shape[1])]
    ev = Evaluator(as_dataset(X, y), fitter=CoefficientFitter(**fitter))  # type: ignore[arg-type]
    return ev.fit(parse(formula, names))


# -- LM recovers known coefficients ------------------------------------------------------
def test_recovers_power_law() -> None:
    x = np.linspace(1, 2, 30)
    fitted, loss = _fit("1.0*x0**1.0", x[:, None], 2.5 * x**1.5, snap=False)
    np.testing.assert_allclose(fitted.coefs, [2.5, 1.5], rtol=1e-6)
    assert loss < 1e-20


def test_recovers_constant_1() -> None:
    """Nguyen Constant-1: 3.39 x^3 + 2.12 x^2 + 1.78 x on U[-1, 1], 20 points."""
    x = np.random.default_rng(0).uniform(-1, 1, 20)
    y = 3.39 * x**3 + 2.12 * x**2 + 1.78 * x
    fitted, loss = _fit("1.0*cube(x0) + 1.0*square(x0) + 1.0*x0", x[:, None], y)
    np.testing.assert_allclose(fitted.coefs, [3.39, 2.12, 1.78], rtol=1e-6)
    assert loss < 1e-20
    nested, _ = _fit("x0*(1.0 + x0*(1.0 + 1.0*x0))", x[:, None], y)  # Horner form, same numbers
    np.testing.assert_allclose(nested.coefs, [1.78, 2.12, 3.39], rtol=1e-6)


def test_recovers_nonlinear_coefficients_in_two_variables() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(0.5, 2.0, (40, 2))
    y = 1.7 * np.exp(-0.8 * X[:, 0]) + 0.6 * np.sin(1.3 * X[:, 1])
    fitted, loss = _fit("1.0*exp(1.0*x0) + 1.0*sin(1.0*x1)", X, y, snap=False)
    a, b, c, d = fitted.coefs
    np.testing.assert_allclose([a, b], [1.7, -0.8], rtol=1e-6)
    # c*sin(d*x) = (-c)*sin(-d*x): either sign pair is the same formula
    np.testing.assert_allclose([abs(c), abs(d)], [0.6, 1.3], rtol=1e-6)
    assert c * d > 0 and loss < 1e-20


def test_structure_is_untouched() -> None:
    x = np.linspace(1, 2, 10)
    e = parse("1.0*x0 + 1.0", ["x0"])
    fitted, _ = _fit("1.0*x0 + 1.0", x[:, None], 3 * x - 1)
    assert fitted.same_skeleton(e) and str(fitted) == "3.0 * x0 + (-1.0)"


def test_no_coefficients_is_just_scored() -> None:
    x = np.linspace(1, 2, 10)
    ev = Evaluator(as_dataset(x[:, None], x * x))
    fitted, loss = ev.fit(parse("x0 * x0", ["x0"]))
    assert loss == 0.0 and fitted.n_coefs == 0 and ev.n_evals == 1


def test_non_finite_everywhere_gives_inf() -> None:
    x = np.linspace(1, 2, 10)
    _, loss = _fit("log(0.0 - x0*1.0*1.0)", x[:, None], x, n_restarts=0)
    assert loss == math.inf


# -- snapping --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "snapped"),
    [
        (1.9999999997, 2.0), (2.0000000004, 2.0), (-0.49999999, -0.5), (0.33333333, 1 / 3),
        (0.0833333334, 1 / 12), (3.39, 3.39), (2.12, 2.12), (1.78, 1.78), (1.5, 1.5),
        (1 / 13, 1 / 13),  # denominator 13 > 12
        (3e-9, 0.0),  # snaps to zero (the fit's loss check decides whether that is kept)
        (math.inf, math.inf),
    ],
)
def test_snap_value(value: float, snapped: float) -> None:
    assert snap_value(value) == snapped


def test_snap_value_nan_and_options() -> None:
    assert math.isnan(snap_value(math.nan))
    assert snap_value(1 / 13 + 1e-9, max_denominator=13) == 1 / 13
    assert snap_value(2.001, rel_tol=1e-2) == 2.0


def test_fit_snaps_when_it_costs_nothing() -> None:
    x = np.linspace(1, 2, 30)
    fitted, loss = _fit("1.0*x0", x[:, None], 2 * x)
    assert fitted.coefs.tolist() == [2.0] and loss == 0.0
    third, _ = _fit("1.0*x0", x[:, None], x / 3)
    assert third.coefs.tolist() == [1 / 3]


def test_fit_does_not_snap_when_the_data_disagree() -> None:
    x = np.linspace(1, 2, 30)
    fitted, _ = _fit("1.0*x0", x[:, None], 2.0000003 * x)  # within snap_value's 1e-6 of 2
    assert fitted.coefs[0] == pytest.approx(2.0000003, rel=1e-12) and fitted.coefs[0] != 2.0


@pytest.mark.parametrize("scale", [6.62607015e-34, 1e-15, 1e-8])
@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_tiny_scale_coefficients_are_not_snapped_to_zero(scale: float, loss: str) -> None:
    """Regression: a fixed absolute slack of 1e-28 let snapping zero out Planck's constant."""
    x = np.linspace(1, 2, 30)
    ev = Evaluator(as_dataset(x[:, None], scale * 1.5 * x), loss=loss)
    fitted, _ = ev.fit(parse("1.0*x0", ["x0"]))
    assert fitted.coefs[0] == pytest.approx(scale * 1.5, rel=1e-9)


def test_snap_can_be_switched_off() -> None:
    x = np.linspace(1, 2, 30)
    fitted, _ = _fit("1.0*x0", x[:, None], x / 3, snap=False)
    assert fitted.coefs[0] == pytest.approx(1 / 3, rel=1e-14)


# -- restarts are deterministic by skeleton ----------------------------------------------------
def test_restart_stream_depends_on_skeleton_and_seed_only() -> None:
    fitter = CoefficientFitter()
    a, b = parse("1.0*sin(2.0*x0)", ["x0"]), parse("5.0*sin(-3.0*x0)", ["x0"])
    assert fitter._rng_for(a).random(4).tolist() == fitter._rng_for(b).random(4).tolist()
    other = parse("1.0*cos(2.0*x0)", ["x0"])
    assert fitter._rng_for(a).random(4).tolist() != fitter._rng_for(other).random(4).tolist()
    assert fitter._rng_for(a).random() != CoefficientFitter(seed=1)._rng_for(a).random()


def test_fit_results_do_not_depend_on_call_order() -> None:
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (30, 1))
    y = 1.3 * np.sin(2.2 * X[:, 0]) + 0.4
    formulas = ["1.0*sin(1.0*x0) + 1.0", "1.0*x0 + 1.0*x0*x0", "1.0*exp(1.0*x0)"]
    exprs = [parse(f, ["x0"]) for f in formulas]
    forward = Evaluator(as_dataset(X, y))
    results_fwd = [forward.fit(e) for e in exprs]
    backward = Evaluator(as_dataset(X, y))
    results_bwd = [backward.fit(e) for e in reversed(exprs)][::-1]
    for (ea, la), (eb, lb) in zip(results_fwd, results_bwd):
        assert ea.coefs.tobytes() == eb.coefs.tobytes() and la == lb
    assert forward.n_evals == backward.n_evals


def test_restarts_cost_evaluations() -> None:
    x = np.linspace(-2, 2, 30)
    y = 1.3 * np.sin(2.2 * x)
    counts = []
    for n_restarts in (0, 2):
        ev = Evaluator(as_dataset(x[:, None], y), fitter=CoefficientFitter(n_restarts=n_restarts, snap=False))
        ev.fit(parse("1.0*sin(1.0*x0)", ["x0"]))
        counts.append(ev.n_evals)
    assert counts[1] > counts[0] > 1


def test_fitter_validation() -> None:
    with pytest.raises(ValueError, match="max_iter"):
        CoefficientFitter(max_iter=0)
    with pytest.raises(ValueError, match="n_restarts"):
        CoefficientFitter(n_restarts=-1)


def test_simple_rational_prefers_the_smallest_denominator():
    from fractions import Fraction

    from srkit.fitness.coefficients import simple_rational

    assert simple_rational(0.4999999) == Fraction(1, 2)
    assert simple_rational(3e-9) == Fraction(0)
    assert simple_rational(3.39) is None
    assert simple_rational(2.0 / 7, max_denominator=6) is None
    assert simple_rational(float("nan")) is None


# --- srkit's own Levenberg-Marquardt (replaces scipy's MINPACK, see its docstring) ---

def test_lm_solves_a_nonlinear_least_squares_problem_exactly() -> None:
    from srkit.fitness.coefficients import _levenberg_marquardt

    t = np.linspace(0.0, 3.0, 40)
    y = 2.0 * np.exp(-0.7 * t) + 0.5
    coefs = _levenberg_marquardt(lambda c: c[0] * np.exp(c[1] * t) + c[2] - y, np.array([1.0, -1.0, 0.0]), 100)
    assert coefs is not None
    np.testing.assert_allclose(coefs, [2.0, -0.7, 0.5], rtol=1e-10)


def test_lm_takes_the_minimum_norm_step_when_coefficients_are_redundant() -> None:
    from srkit.fitness.coefficients import _levenberg_marquardt

    # c0 and c1 enter only as their sum (a singular Jacobian): any split is a minimum
    t = np.linspace(-1.0, 1.0, 25)
    coefs = _levenberg_marquardt(lambda c: (c[0] + c[1]) * t - 3.0 * t, np.array([1.0, 1.0]), 50)
    assert coefs is not None and np.isfinite(coefs).all()
    assert coefs[0] + coefs[1] == pytest.approx(3.0, rel=1e-12)
    assert coefs[0] == pytest.approx(coefs[1])  # minimum-norm step from an equal split


def test_lm_works_with_fewer_residuals_than_coefficients() -> None:
    from srkit.fitness.coefficients import _levenberg_marquardt

    coefs = _levenberg_marquardt(lambda c: np.array([c[0] * c[1] - 6.0]), np.array([1.0, 1.0]), 50)
    assert coefs is not None and coefs[0] * coefs[1] == pytest.approx(6.0, rel=1e-10)


def test_lm_backs_away_from_non_finite_regions_and_refuses_a_non_finite_start() -> None:
    from srkit.fitness.coefficients import _levenberg_marquardt

    t = np.linspace(1.0, 2.0, 20)
    y = np.sqrt(t - 0.5)
    # a big first step would leave the domain of sqrt (nan residuals)
    with np.errstate(invalid="ignore"):
        coefs = _levenberg_marquardt(lambda c: np.sqrt(t - c[0]) - y, np.array([-5.0]), 100)
        assert coefs is not None and coefs[0] == pytest.approx(0.5, rel=1e-8)
        assert _levenberg_marquardt(lambda c: np.sqrt(t - c[0]) - y, np.array([5.0]), 100) is None


@pytest.mark.slow
def test_lm_is_deterministic_across_processes() -> None:
    """scipy 1.17's MINPACK read past its Jacobian and gave 1-2 of 24 processes a
    different answer on exactly this fit; srkit's LM must give identical bytes
    (4 processes catch that old fault about one time in three: a guard, not proof)."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from srkit.core.data import as_dataset\n"
        "from srkit.core.parse import parse\n"
        "from srkit.fitness.evaluator import Evaluator\n"
        "X = np.random.default_rng(0).uniform(-1, 1, (30, 2))\n"
        "y = 2.5 * X[:, 0] * X[:, 1] - 0.75\n"
        "e = parse('(x1 + x1)*((x0 + x1)*0.0 - (0.3/x1 - x0)) - 0.7528346552048173', ['x0', 'x1'])\n"
        "fitted, loss = Evaluator(as_dataset(X, y)).fit(e)\n"
        "print(fitted.coefs.tobytes().hex(), float(loss).hex())\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(4)
    }
    assert len(outputs) == 1, outputs


def test_trust_region_of_zero_radius_takes_no_step():
    # a radius halved below the smallest float used to divide by zero in the Newton
    # iteration for the damping (one GP run on R1 in 2 million evaluations hit it)
    from srkit.fitness.coefficients import _step_coefficients

    a, s2, kept = np.array([1.0, -2.0]), np.array([4.0, 1.0]), np.array([True, True])
    assert np.array_equal(_step_coefficients(a, s2, kept, 0.0), np.zeros(2))
    step = _step_coefficients(a, s2, kept, 0.1)
    assert 0 < np.linalg.norm(step) <= 0.11


def test_lm_fits_the_other_coefficients_when_an_exponent_is_defined_at_one_point_only() -> None:
    """(x0 - b*x1)**2 with negative bases is defined at exponent 2 and nan at 2 +- 1e-8:
    the exponent stays put and the other coefficients still reach the exact fit (before,
    the stand-in residuals of that column drowned every other direction and the fit
    stopped near its start: R2 0.916 from this start on the I.8.14 distance)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 5.0, (200, 4))
    y = np.sqrt((X[:, 0] - X[:, 1]) ** 2 + (X[:, 2] - X[:, 3]) ** 2)
    fitted, loss = _fit("0.9 * sqrt((x0 - 1.1*x1)**2 + 1.2*(x2 - 0.9*x3)**2)", X, y, n_restarts=0)
    assert loss < 1e-20
    np.testing.assert_allclose(fitted.coefs, [1.0, 1.0, 2.0, 1.0, 1.0, 2.0], atol=1e-9)
