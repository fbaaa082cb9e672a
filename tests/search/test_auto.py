"""The portfolio searcher ``auto`` (srkit.search.auto): the default of SymbolicRegressor."""

from __future__ import annotations

import numpy as np
import pytest

from srkit import SymbolicRegressor
from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator
from srkit.search import SEARCHERS, AutoConfig, AutoSearcher, Budget, Callback, GPSearcher, Problem, make_searcher

OPS = ["add", "sub", "mul", "div", "sin", "cos", "exp"]


def _problem(X: np.ndarray, y: np.ndarray) -> Problem:
    data = as_dataset(X, y)
    return Problem(data, default_registry().operator_set(OPS, data.feature_names), Evaluator(data))


def _laws() -> list[tuple[str, np.ndarray, np.ndarray]]:
    X = np.random.default_rng(3).uniform(0.5, 2.0, (60, 2))
    x0, x1 = X[:, 0], X[:, 1]
    return [
        ("2.5*x0*x1 - x1**2", X, 2.5 * x0 * x1 - x1**2),  # a sparse sum: the closed-form step
        ("x0 / (1 + x1**2)", X, x0 / (1 + x1**2)),  # a rational function
        ("sin(x0) * exp(x1)", X, np.sin(x0) * np.exp(x1)),  # a product of unaries
    ]


def _quality(result, floor: float) -> float:  # noqa: ANN001 - a SearchResult
    return max(result.front.min_loss, floor)


def test_auto_is_the_default_and_every_searcher_name_still_works() -> None:
    assert SymbolicRegressor().searcher == "auto"
    assert {"auto", "gp", "mcts", "dsn", "llm"} <= set(SEARCHERS)
    for name in SEARCHERS:
        assert make_searcher(name).name == name


@pytest.mark.slow
@pytest.mark.parametrize("law", range(3))
def test_auto_front_is_at_least_as_good_as_each_member_alone_at_equal_evaluations(law: int) -> None:
    name, X, y = _laws()[law]
    evals = 4000
    auto = AutoSearcher().search(_problem(X, y), budget=Budget(evals=evals), rng=np.random.default_rng(0))
    floor = _problem(X, y).evaluator.loss_floor
    assert auto.n_evals <= evals + 32 * 4  # (gp may finish its batch)
    for member in ("mcts", "dsn", "gp"):
        alone = make_searcher(member).search(_problem(X, y), budget=Budget(evals=evals), rng=np.random.default_rng(0))
        assert _quality(auto, floor) <= _quality(alone, floor) * (1 + 1e-9), (name, member)
    assert auto.best.loss <= floor, f"auto did not recover {name}: {auto.best.expr}"


def test_auto_stops_at_an_exact_closed_form_before_any_member_runs() -> None:
    _, X, y = _laws()[0]
    result = AutoSearcher().search(_problem(X, y), budget=Budget(time=30), rng=np.random.default_rng(0))
    assert result.stopped_by == "exact"
    assert [h["member"] for h in result.history] == ["closed_form"]
    assert str(result.best.expr.to_sympy()) == "2.5*x0*x1 - x1**2"


def test_auto_hands_the_budget_to_its_members_in_turn_and_records_who_ran() -> None:
    X = np.random.default_rng(0).uniform(-1, 1, (40, 1))
    y = np.sin(3.3 * np.exp(X[:, 0])) + np.random.default_rng(1).normal(0, 0.05, 40)  # nothing is exact
    result = AutoSearcher().search(_problem(X, y), budget=Budget(evals=10_000), rng=np.random.default_rng(0))
    members = [h["member"] for h in result.history]
    assert members[0] == "closed_form"
    assert {"mcts", "dsn", "gp"} <= set(members), members
    # in the configured order, each member once
    order = [m for i, m in enumerate(members) if i == 0 or members[i - 1] != m]
    assert order == ["closed_form", *AutoConfig().members]
    assert result.stopped_by == "evals"
    assert [h["iteration"] for h in result.history] == list(range(1, len(result.history) + 1))


def test_auto_same_seed_same_front_whatever_n_jobs() -> None:
    X = np.random.default_rng(0).uniform(0.1, 2, (50, 2))
    y = np.exp(-X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 1]
    fronts = []
    for n_jobs in (1, 2, 1):
        data = as_dataset(X, y)
        problem = Problem(data, default_registry().operator_set(OPS, data.feature_names),
                          Evaluator(data, n_jobs=n_jobs, backend="threading"))
        result = AutoSearcher().search(problem, budget=Budget(evals=3000), rng=np.random.default_rng(7))
        fronts.append([(str(e.expr), e.loss) for e in result.front])
    assert fronts[0] == fronts[1] == fronts[2]


def test_auto_does_not_stop_on_an_interpolating_fit_of_noisy_rows() -> None:
    # 4 noisy rows: the closed form's sums of three terms and an intercept go through all
    # of them (loss 0), which an exact-fit rule blind to the number of rows took for the law
    X = np.linspace(0.1, 1.0, 4)[:, None]
    y = X[:, 0] + np.random.default_rng(0).normal(0, 0.1, 4)
    problem = _problem(X, y)
    result = AutoSearcher().search(problem, budget=Budget(evals=1500), rng=np.random.default_rng(0))
    interpolating = [e for e in result.front if e.loss <= problem.evaluator.loss_floor]
    assert interpolating, "the test needs a front with a zero-loss fit"
    assert result.stopped_by == "evals"
    assert len({h["member"] for h in result.history}) > 1


def test_auto_on_noisy_data_runs_its_budget_and_writes_the_law() -> None:
    rng = np.random.default_rng(4)
    X = rng.uniform(-2, 2, (300, 3))
    law = 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2
    y = law + rng.normal(0, 0.01 * np.sqrt(np.mean(law**2)), 300)
    model = SymbolicRegressor(time_budget=None, max_evals=3000, random_state=0).fit(X, y)
    assert model.result_.stopped_by == "evals"  # never "exact": the noise keeps losses far above round-off
    assert str(model.sympy()) == "2.5*x0*x1 - x2**2"


def test_relay_lets_a_callback_stop_the_whole_portfolio() -> None:
    class StopAfter(Callback):
        def __init__(self) -> None:
            self.seen = 0

        def on_iteration_end(self, state) -> bool:  # noqa: ANN001
            self.seen += 1
            return self.seen >= 3

    X = np.random.default_rng(0).uniform(-1, 1, (40, 1))
    y = np.sin(3.3 * np.exp(X[:, 0])) + np.random.default_rng(1).normal(0, 0.05, 40)
    cb = StopAfter()
    result = AutoSearcher().search(_problem(X, y), budget=Budget(evals=50_000), rng=np.random.default_rng(0),
                                   callbacks=[cb])
    assert result.stopped_by == "callback"
    assert result.iterations == 3


def test_auto_config_rejects_unknown_members_and_mismatched_shares() -> None:
    with pytest.raises(ValueError, match="members must be among"):
        AutoConfig(members=("mcts", "llm"))
    with pytest.raises(ValueError, match="one positive share per member"):
        AutoConfig(members=("mcts", "gp"), shares=(1.0,))


def test_auto_without_add_or_mul_skips_the_closed_form_and_dsn() -> None:
    X = np.random.default_rng(0).uniform(0.5, 2, (30, 1))
    data = as_dataset(X, np.sin(X[:, 0]))
    problem = Problem(data, default_registry().operator_set(["sin", "cos"], data.feature_names), Evaluator(data))
    result = AutoSearcher().search(problem, budget=Budget(evals=2000), rng=np.random.default_rng(0))
    members = {h["member"] for h in result.history}
    assert "dsn" not in members
    assert str(result.best.expr) == "sin(x0)"


def test_auto_on_a_panel_runs_gp_alone() -> None:
    # (an AutoSearcher object, not the name: the mining driver passes it through as it is;
    # before, its dsn member failed on the panel's missing X)
    from srkit.alpha import Split
    from srkit.alpha.mine import MiningConfig, mine
    from srkit.alpha.synthetic import synthetic_panel

    panel = synthetic_panel(n_dates=120, n_assets=15, seed=3)
    cfg = MiningConfig(rounds=1, time_per_round=None, evals_per_round=200, search_assets=None, pool_size=4)
    auto = mine(panel, Split.by_fraction(panel), searcher=AutoSearcher(), config=cfg, random_state=0)
    gp_alone = mine(panel, Split.by_fraction(panel), searcher=GPSearcher(), config=cfg, random_state=0)
    assert auto.searcher == "auto" and auto.pool.formulas
    assert auto.n_evals == gp_alone.n_evals  # one member, gp, spent the whole round
