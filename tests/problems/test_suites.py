"""Tests of the benchmark problem library (srkit.problems)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from srkit import problems as P
from srkit.problems.feynman_table import FEYNMAN_EQUATIONS
from srkit.problems.sampling import Sampling

ALL_NAMES = P.names()
SUITE_SIZES = {
    "nguyen": 12,
    "nguyen-c": 5,
    "constant": 8,
    "keijzer": 12,
    "livermore": 22,
    "r": 3,
    "jin": 6,
    "koza": 3,
    "feynman": 100,
    "feynman10": 10,
    "feynman20": 20,
}


def _small_n(p: P.BenchmarkProblem) -> int | None:
    return 200 if p.suite == "feynman" else None


def test_suites_and_sizes() -> None:
    assert P.suites() == list(SUITE_SIZES)
    assert {s: len(P.suite(s)) for s in P.suites()} == SUITE_SIZES
    # every problem appears once in the flat listing
    assert len(ALL_NAMES) == len(set(ALL_NAMES)) == 12 + 8 + 12 + 22 + 3 + 6 + 3 + 100


@pytest.mark.parametrize("name", ALL_NAMES)
def test_ground_truth_finite_on_both_splits(name: str) -> None:
    p = P.get(name)
    X, y = p.sample("train", random_state=0, n=_small_n(p))
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.shape == (y.shape[0], p.n_variables)
    assert np.all(np.isfinite(y)), name
    Xt, yt = p.sample("test", random_state=0, n=200)
    # uniform: n draws; a grid smaller than n is returned whole
    rows = 200 if p.test.kind == "uniform" else min(200, p.test.size)
    assert Xt.shape == (rows, p.n_variables) and np.all(np.isfinite(yt)), name
    # every sampled value lies in the declared range
    for j in range(p.n_variables):
        assert X[:, j].min() >= p.train.low[j] - 1e-12
        assert X[:, j].max() <= p.train.high[j] + 1e-12
    # the exact (rational) ground truth agrees with the formula as written
    f = sympy.lambdify(p.symbols, p.ground_truth_float, modules="numpy")
    with np.errstate(all="ignore"):
        y2 = np.broadcast_to(f(*X.T), y.shape)
    np.testing.assert_allclose(y, y2, rtol=1e-12, atol=1e-12)
    assert {s.name for s in p.ground_truth.free_symbols} == set(p.variables)


def test_uniform_redraw_rule_keeps_abs_y_below_100() -> None:
    p = P.get("Livermore-12")  # x1**5/x2**3 on U[-1,1]: blows up near x2 = 0
    for seed in range(5):
        _, y = p.sample("train", random_state=seed)
        assert y.shape == (50,) and np.all(np.abs(y) < 100)


def test_sampling_is_deterministic_per_seed() -> None:
    p = P.get("Nguyen-9")
    X1, y1 = p.sample("train", random_state=7)
    X2, y2 = p.sample("train", random_state=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = p.sample("train", random_state=8)
    assert not np.array_equal(X1, X3)
    # train and test streams of one seed are independent
    Xt, _ = p.sample("test", random_state=7)
    assert Xt.shape == (1000, 2) and not np.array_equal(Xt[:20], X1)
    # a Generator is used as given
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(p.sample("train", g1)[0], p.sample("train", g2)[0])
    with pytest.raises(ValueError):
        p.sample("validation", 0)


def test_feynman_sizes_and_override() -> None:
    p = P.get("I.14.3")
    assert p.train.size == p.test.size == 10_000
    X, y = p.sample("train", random_state=0)
    assert X.shape == (10_000, 3) and y.shape == (10_000,)
    assert p.sample("test", random_state=0, n=37)[0].shape == (37, 3)


def test_grid_sizes() -> None:
    k6 = P.get("Keijzer-6")
    X, _ = k6.sample("train")
    assert X.shape == (50, 1)
    np.testing.assert_allclose(X[:, 0], np.arange(1, 51))
    assert k6.sample("test")[0].shape == (120, 1)
    assert P.get("Keijzer-4").train.size == P.get("Keijzer-4").test.size == 101
    assert P.get("Keijzer-7").test.size == 991
    assert P.get("Keijzer-10").test.size == 101 * 101
    k11 = P.get("Keijzer-11")
    assert k11.test.axis_sizes() == (601, 601)
    assert k11.test.size == 361_201  # not materialised
    # an n override subsamples distinct points of the grid
    Xs, ys = k11.sample("test", random_state=0, n=1000)
    assert Xs.shape == (1000, 2) and len(np.unique(Xs, axis=0)) == 1000
    np.testing.assert_allclose(Xs * 100, np.round(Xs * 100), atol=1e-6)
    np.testing.assert_array_equal(ys, k11.evaluate(Xs))


def test_grid_cartesian_product() -> None:
    s = Sampling.grid((0, 1, 0.5), (10, 12, 1))
    X = s.draw(np.random.default_rng(0))
    assert X.shape == (9, 2)
    assert {tuple(r) for r in X} == {(a, b) for a in (0, 0.5, 1) for b in (10, 11, 12)}


def test_r_suite_train_equals_test() -> None:
    for p in P.suite("r"):
        X, y = p.sample("train", random_state=1)
        Xt, yt = p.sample("test", random_state=2)
        np.testing.assert_allclose(X[:, 0], np.linspace(-1, 1, 20))
        np.testing.assert_array_equal(X, Xt)
        np.testing.assert_array_equal(y, yt)


def test_fresh_test_set_where_none_defined() -> None:
    for name in ("Nguyen-1", "Constant-3", "Koza-2", "Livermore-4"):
        p = P.get(name)
        assert p.test.kind == "uniform" and p.test.n == 1000
        assert (p.test.low, p.test.high) == (p.train.low, p.train.high)
    assert P.get("Jin-1").test.n == 30


def test_noise_scale_and_train_only() -> None:
    p = P.get("I.14.3")
    X0, y0 = p.sample("train", random_state=5)
    X1, y1 = p.sample("train", random_state=5, noise=0.1)
    np.testing.assert_array_equal(X0, X1)  # noise never changes X
    rms = np.sqrt(np.mean(y0**2))
    ratio = np.std(y1 - y0) / rms
    assert abs(ratio - 0.1) < 0.005
    assert abs(np.mean(y1 - y0)) < 0.005 * rms
    _, t0 = p.sample("test", random_state=5, n=500)
    _, t1 = p.sample("test", random_state=5, n=500, noise=0.1)
    np.testing.assert_array_equal(t0, t1)


def test_variable_assumptions() -> None:
    assert P.get("Nguyen-7").symbols[0].is_positive  # U[0, 2]
    assert P.get("Nguyen-1").symbols[0].is_positive is None  # U[-1, 1]
    assert P.get("Nguyen-1").symbols[0].is_real
    assert P.get("Keijzer-8").variable_signs == ("nonnegative",)  # grid from 0
    assert P.get("Keijzer-7").variable_signs == ("positive",)
    th = dict(zip(P.get("I.18.12").variables, P.get("I.18.12").symbols))["theta"]
    assert th.is_positive  # U[0, 5] counts as > 0


def test_exact_constants() -> None:
    c1 = P.get("Constant-1").ground_truth
    assert sympy.Rational(339, 100) in c1.atoms(sympy.Rational)
    assert not c1.atoms(sympy.Float)
    assert sympy.pi in P.get("I.6.2a").ground_truth.atoms(sympy.NumberSymbol)
    assert P.get("Constant-6").ground_truth.exp == sympy.Rational(213, 500)
    assert P.get("Jin-2").formula == "8.0*x1**2+8.0*x2**3-15.0"
    assert P.get("Jin-2").ground_truth.atoms(sympy.Float) == set()


def test_evaluate_validates_shape() -> None:
    p = P.get("Nguyen-9")
    with pytest.raises(ValueError):
        p.evaluate(np.zeros((3, 1)))
    np.testing.assert_allclose(P.get("Nguyen-1").evaluate(np.array([1.0, 2.0])), [3, 14])


def test_get_aliases() -> None:
    n1 = P.get("Nguyen-1")
    for alias in ("nguyen-1", "NGUYEN1", "nguyen_1", " Nguyen-1 "):
        assert P.get(alias) is n1
    assert P.get("Nguyen-8c") is P.get("Constant-5")
    assert P.get("nguyen-10c") is P.get("Constant-3")
    assert P.get("r-2").name == "R2"
    assert P.get("jin2").name == "Jin-2" and P.get("koza-1").name == "Koza-1"
    assert P.get("livermore5").name == "Livermore-5"
    assert P.get("i.6.2a").name == "I.6.2a"
    assert P.get("feynman-I.6.2a").name == "I.6.2a"
    assert P.get("I.6.20a").name == "I.6.2a"  # corrected file name
    assert P.get("feynman-I.48.20").name == "I.48.2"
    assert P.get("feynman_II_11_3").name == "II.11.3"
    # the "Number" column is not in row order
    assert P.get("feynman-8").name == "I.12.1"
    assert P.get("feynman-9").name == "I.13.4"
    assert P.get("feynman-10").name == "I.12.2"


def test_get_unknown_has_did_you_mean() -> None:
    with pytest.raises(ValueError, match="did you mean") as exc:
        P.get("Nguyen-13")
    assert "Nguyen-1" in str(exc.value)
    with pytest.raises(ValueError, match="I.6.2"):
        P.get("I.6.2c")


def test_suite_unknown_lists_known_suites() -> None:
    with pytest.raises(ValueError) as exc:
        P.suite("nguyne")
    msg = str(exc.value)
    assert "did you mean 'nguyen'" in msg
    for s in P.suites():
        assert s in msg
    assert P.suite("NGUYEN")[0].name == "Nguyen-1"
    assert P.names("nguyen-c") == [
        "Constant-1",
        "Constant-2",
        "Constant-8",
        "Constant-5",
        "Constant-3",
    ]


def test_feynman_table() -> None:
    fey = P.suite("feynman")
    assert len(fey) == 100 and len(FEYNMAN_EQUATIONS) == 100
    assert [p.name for p in fey] == [e.filename for e in FEYNMAN_EQUATIONS]
    for p, e in zip(fey, FEYNMAN_EQUATIONS):
        # variables come from the vN_name columns, never from "# variables"
        assert p.variables == tuple(v[0] for v in e.variables)
        assert {s.name for s in p.ground_truth.free_symbols} == set(p.variables), p.name
        assert "arcsin" not in p.formula and "ln(" not in p.formula
        assert p.train.low == tuple(v[1] for v in e.variables)
        assert p.train.high == tuple(v[2] for v in e.variables)
    assert P.get("I.6.2a").variables == ("theta",)
    assert P.get("I.9.18").n_variables == 9
    assert P.get("II.36.38").n_variables == 8
    assert P.get("I.26.2").formula == "asin(n*sin(theta2))"
    assert P.get("I.44.4").formula == "n*kb*T*log(V2/V1)"
    assert "I.6.20a" in P.get("I.6.2a").aliases
    assert [p.name for p in P.suite("feynman10")] == [
        "I.6.2a",
        "I.12.1",
        "I.14.3",
        "I.18.4",
        "I.25.13",
        "I.29.4",
        "I.34.8",
        "I.39.1",
        "II.11.3",
        "III.4.33",
    ]


def test_sampling_describe() -> None:
    p = P.get("Keijzer-5")
    assert p.train.describe() == "U[-1,1], U[-1,1], U[1,2] n=1000 |y|<100"
    assert P.get("Keijzer-6").test.describe() == "E[1,120,1] (grid, n=120)"
    with pytest.raises(ValueError):
        Sampling.grid((0, 1, 0.0))
    with pytest.raises(ValueError):
        Sampling("grid", (0.0,), (1.0,), step=(0.1,), max_abs_y=100.0)


def test_format_table() -> None:
    text = P.format_table(P.suite("koza"))
    lines = text.splitlines()
    assert lines[0].split() == ["name", "suite", "d", "formula", "train", "test"]
    assert len(lines) == 2 + 3
    assert lines[2].startswith("Koza-1") and "x1**4+x1**3+x1**2+x1" in lines[2]
    assert "U[-1,1] n=20 |y|<100" in lines[2]


def test_feynman20_is_the_first_twenty_with_three_or_more_variables():
    from srkit import problems

    chosen = problems.suite("feynman20")
    assert len(chosen) == 20 and all(p.n_variables >= 3 for p in chosen)
    assert [p.name for p in chosen][:3] == ["I.6.2b", "I.8.14", "I.9.18"]
    assert chosen[-1].name == "I.27.6"
