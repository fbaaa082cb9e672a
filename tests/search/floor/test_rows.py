"""Search on a row subsample of large data, front refitted and re-scored on all rows."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import srkit
from srkit.fitness.evaluator import BATCH_SIZE
from srkit.fitness.losses import mse
from srkit.search.floor.rows import choose_rows


def _data(n: int, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 2.0, (n, 3))
    y = 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2
    return X, y + noise * np.sqrt(np.mean(y**2)) * rng.standard_normal(n)


def test_choose_rows_keeps_small_data_whole_and_draws_a_sorted_subset_of_large_data():
    rng = np.random.default_rng(0)
    assert choose_rows(500, 1000, rng) is None and choose_rows(500, None, rng) is None
    rows = choose_rows(50_000, 1000, rng)
    assert len(rows) == 1000 == len(np.unique(rows)) and np.all(np.diff(rows) > 0) and rows[-1] < 50_000


@pytest.mark.slow
def test_a_search_on_a_subsample_finds_the_law_and_reports_full_data_losses():
    X, y = _data(30_000, noise=0.01)
    model = srkit.SymbolicRegressor(searcher="mcts", time_budget=None, max_evals=20_000, search_rows=2000,
                                    random_state=0).fit(X, y)
    assert model.n_search_rows_ == 2000
    # the law, with constants fitted on all 30,000 rows (under noise, up to an additive
    # constant: SRBench's symbolic-solution rule)
    found = model.sympy(precision=3)
    x0, x1, x2 = sorted(found.free_symbols, key=lambda s: s.name)
    assert sympy.simplify(found - (2.5 * x0 * x1 - x2**2)).is_number, found
    # every loss on the front is the full data's: the same as predicting all rows again
    for index, record in enumerate(model.pareto_front_):
        assert record["loss"] == pytest.approx(mse(y, model.predict(X, index=index)), rel=1e-9)
    # the evaluation budget holds with the refit (a share is kept for it): at most one
    # batch of coefficient fits over, plus one re-scoring per front entry
    assert model.result_.n_evals <= 20_000 + BATCH_SIZE * 200 + len(model.pareto_front_)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_front_on_a_subsample():
    X, y = _data(12_000)
    fronts = [
        [(r["equation"], r["loss"]) for r in srkit.SymbolicRegressor(
            time_budget=None, max_iterations=3, search_rows=1000, random_state=5).fit(X, y).pareto_front_]
        for _ in range(2)
    ]
    assert fronts[0] == fronts[1]


def test_small_data_is_searched_whole():
    X, y = _data(300)
    model = srkit.SymbolicRegressor(time_budget=None, max_iterations=2, random_state=0).fit(X, y)
    assert model.n_search_rows_ == 300


def test_search_rows_is_validated():
    X, y = _data(50)
    with pytest.raises(ValueError, match="search_rows"):
        srkit.SymbolicRegressor(search_rows=1, max_iterations=1).fit(X, y)
