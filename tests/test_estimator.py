"""SymbolicRegressor: fit/predict/export/persistence, determinism, bad input."""

import json

import numpy as np
import pytest

import srkit
from srkit import SymbolicRegressor


def _data(n=40, seed=0):
    X = np.random.default_rng(seed).uniform(0.5, 2, (n, 2))
    return X, 1.5 * X[:, 0] * X[:, 1] + X[:, 0]


def _fast(**kw):
    options = dict(time_budget=None, max_iterations=25, random_state=0,
                   operators=["add", "sub", "mul", "div"])
    options.update(kw)
    return SymbolicRegressor(**options)


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return _fast().fit(X, y, feature_names=["m", "v"]), X, y


def test_fit_recovers_and_exports(fitted):
    model, X, y = fitted
    import sympy

    m, v = sympy.symbols("m v", real=True)
    assert sympy.simplify(model.sympy() - (sympy.Rational(3, 2) * m * v + m)) == 0
    assert model.score(X, y) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-12)
    assert "m" in model.latex() and "v" in model.latex()
    import torch

    out = model.torch()(torch.tensor(X, dtype=torch.float64)).detach().numpy()
    np.testing.assert_allclose(out, y, rtol=1e-12)


def test_pareto_front_records(fitted):
    model, _, _ = fitted
    front = model.pareto_front_
    assert [r["complexity"] for r in front] == sorted(r["complexity"] for r in front)
    losses = [r["loss"] for r in front]
    assert all(a > b for a, b in zip(losses, losses[1:]))  # non-dominated: loss falls with complexity
    assert sum(r["selected"] for r in front) == 1
    assert {"complexity", "loss", "score", "equation", "size"} <= set(front[0])
    pd = pytest.importorskip("pandas")
    assert len(pd.DataFrame(front)) == len(front)


def test_save_and_load_round_trip(fitted, tmp_path):
    model, X, _ = fitted
    path = tmp_path / "model.json"
    model.save(path)
    assert json.loads(path.read_text())["feature_names"] == ["m", "v"]
    loaded = srkit.load(path)
    assert str(loaded) == str(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert [r["equation"] for r in loaded.pareto_front_] == [r["equation"] for r in model.pareto_front_]


def test_dataframe_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    df = pd.DataFrame(X, columns=["mass", "speed"])
    model = _fast().fit(df, y)
    assert list(model.feature_names_in_) == ["mass", "speed"]
    assert "mass" in str(model)
    np.testing.assert_allclose(model.predict(df[["speed", "mass"]]), y, rtol=1e-12)


def test_same_seed_same_front_whatever_n_jobs():
    X, y = _data(seed=3)
    y = np.sin(X[:, 0]) * X[:, 1] + 0.3
    fronts = []
    for n_jobs in (1, 2, 1):
        model = SymbolicRegressor(time_budget=None, max_iterations=5, random_state=11, n_jobs=n_jobs,
                                  operators=["add", "mul", "sin", "exp"])
        model.fit(X, y)
        fronts.append([(r["equation"], r["loss"]) for r in model.pareto_front_])
    assert fronts[0] == fronts[1] == fronts[2]


def test_warm_start_starts_from_previous_front():
    X, y = _data()
    model = _fast(max_iterations=25, warm_start=True).fit(X, y)
    best = model.best_.loss
    model.set_params(max_iterations=1, random_state=5)
    model.fit(X, y)
    assert model.best_.loss <= best


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[1.0], [np.nan]]), np.array([1.0, 2.0]), "nan"),
        (np.array([[1.0], [2.0]]), np.array([1.0, np.inf]), "non-finite"),
        (np.ones((3, 1)), np.ones(4), "3 samples but y has 4"),
        (np.empty((0, 2)), np.empty(0), "empty"),
        (np.ones(5), np.ones(5), r"reshape\(-1, 1\)"),
    ],
)
def test_bad_data_is_reported_with_the_fix(X, y, match):
    with pytest.raises(ValueError, match=match):
        _fast().fit(X, y)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"time_budget": -5}, "time_budget must be a positive number"),
        ({"max_iterations": 0}, "max_iterations must be a positive number"),
        ({"time_budget": None, "max_iterations": None}, "no budget"),
        ({"operators": ["add", "sn"]}, "Did you mean 'sin'"),
        ({"operators": "sin"}, "not a string"),
        ({"model_selection": "fastest"}, "model_selection"),
        ({"searcher": "gpp"}, "Did you mean 'gp'"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"loss": "msee"}, "Did you mean 'mse'"),
    ],
)
def test_bad_options_are_reported_before_work(options, match):
    X, y = _data()
    with pytest.raises((ValueError, TypeError), match=match):
        _fast(**options).fit(X, y)


def test_unfitted_model_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        SymbolicRegressor().predict(np.ones((2, 2)))


def test_predict_checks_shape(fitted):
    model, _, _ = fitted
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        model.predict(np.ones((3, 3)))


def test_get_set_params_follow_sklearn():
    model = SymbolicRegressor(time_budget=5)
    assert model.get_params()["time_budget"] == 5
    assert model.set_params(max_size=12).max_size == 12
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(population=3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Nguyen-8", "Nguyen-11"])
def test_default_regressor_recovers_easy_nguyen(name):
    """The default SymbolicRegressor on real benchmark samples (fast cases only).

    Nguyen-1 is not here: at this budget GP recovers it in 4-5 of 6 seeds, so one
    seed is a coin toss (benchmarks/notes/results-history-to-2026-12-07.md §1 and §9
    have its rate over seeds).
    """
    from srkit import problems
    from srkit.problems.recovery import check_recovery

    problem = problems.get(name)
    X, y = problem.sample("train", random_state=0)
    X_test, y_test = problem.sample("test", random_state=0)
    # an evaluation budget, so the outcome does not depend on the machine's speed
    model = SymbolicRegressor(time_budget=None, max_evals=300_000, random_state=0)
    model.fit(X, y, feature_names=list(problem.variables))
    report = check_recovery(str(model.best_.expr), problem, X_test, y_test)
    assert report.recovered_exact, str(model.best_.expr)
