"""Budgets that hold and interrupts that keep results (issue 27), for every searcher.

The evaluator enforces the budget at each evaluation, so these tests need no clock:
an evaluation budget is exact arithmetic, a time budget of 0 is spent before the
first evaluation, and a "Ctrl-C" is a KeyboardInterrupt raised from a progress hook
at a chosen evaluation.  Timing itself is measured in benchmarks/bench_budget.py.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import numpy as np
import pytest

import srkit
from srkit.core import as_dataset, default_registry
from srkit.estimator import NoFormulaError
from srkit.fitness import Evaluator
from srkit.fitness.evaluator import BATCH_SIZE, BudgetSpent, Meter
from srkit.search import make_searcher
from srkit.search.base import Budget, Callback, Problem, SearchState

SEARCHERS = ("gp", "mcts", "dsn", "llm")
# a coefficient fit costs tens to hundreds of evaluations: one batch of them is the
# most a parallel batch may overshoot by
ONE_BATCH = BATCH_SIZE * 200


def _data(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (n, 3))
    return X, 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2 + 0.3 * np.sin(3 * X[:, 0])


def _problem(**kw: Any) -> Problem:
    X, y = _data()
    data = as_dataset(X, y)
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp"], data.feature_names)
    return Problem(data, ops, Evaluator(data), **kw)


# ---------------------------------------------------------------------- the meter
def test_meter_charges_until_the_limit_then_raises_and_defers_inside_a_batch():
    meter = Meter(max_evals=3)
    for _ in range(3):
        meter.spend()
    with pytest.raises(BudgetSpent) as info:
        meter.spend()
    assert info.value.reason == "evals" and meter.n == 3
    with meter.evals_deferred():  # a batch started before the limit finishes
        meter.spend(5)
    assert meter.n == 8
    with pytest.raises(BudgetSpent):
        meter.check()


def test_meter_deadline_in_the_past_stops_the_first_evaluation():
    meter = Meter(deadline=0.0)  # perf_counter() is far past 0
    with pytest.raises(BudgetSpent) as info:
        meter.spend()
    assert info.value.reason == "time" and meter.n == 0


def test_nested_limits_only_tighten_and_are_restored():
    meter = Meter(max_evals=100)
    with meter.limited(max_evals=500):
        assert meter.max_evals == 100  # a nested search never loosens its caller's budget
        with meter.limited(max_evals=10):
            assert meter.max_evals == 10
        assert meter.max_evals == 100
    assert meter.max_evals == 100 and meter.deadline is None


def test_derived_evaluator_charges_and_stops_with_its_parent():
    X, y = _data()
    parent = Evaluator(as_dataset(X, y), max_evals=5)
    child = parent.derive(parent.dataset.subset(np.arange(50)))
    expr = srkit.parse("x0 * x1", ["x0", "x1", "x2"])
    for _ in range(5):
        child.loss(expr)
    assert parent.n_evals == 5
    with pytest.raises(BudgetSpent):
        child.loss(expr)
    with pytest.raises(BudgetSpent):
        parent.loss(expr)


def test_fit_many_overshoots_an_evaluation_budget_by_at_most_one_batch_and_keeps_it():
    X, y = _data()
    ev = Evaluator(as_dataset(X, y))
    names = ["x0", "x1", "x2"]
    # 100 distinct skeletons: 2*x0*x1**k - x2*x2 + 1
    exprs = [srkit.parse("2.0 * x0" + " * x1" * k + " - x2 * x2 + 1.0", names) for k in range(1, 101)]
    with ev.limited(max_evals=50), pytest.raises(BudgetSpent):
        ev.fit_many(exprs)
    # the first batch started under the limit and finished; nothing after it started
    assert 50 <= ev.n_evals <= 50 + ONE_BATCH
    assert 0 < len(ev._cache) <= BATCH_SIZE and len(ev.recent) > 0


# ---------------------------------------------------------------------- every searcher
@pytest.mark.slow
@pytest.mark.parametrize("searcher", SEARCHERS)
def test_an_evaluation_budget_holds_within_one_batch(searcher: str):
    X, y = _data()
    model = srkit.SymbolicRegressor(searcher=searcher, time_budget=None, max_evals=3000, random_state=0).fit(X, y)
    assert model.result_.stopped_by in ("evals", "exact")
    assert model.result_.n_evals <= 3000 + ONE_BATCH
    assert np.isfinite(model.best_.loss)


@pytest.mark.parametrize("searcher", SEARCHERS)
def test_a_spent_time_budget_stops_the_first_population_and_still_returns_a_formula(searcher: str):
    problem = _problem()
    result = make_searcher(searcher).search(problem, budget=Budget(time=0.0), rng=np.random.default_rng(0))
    assert result.stopped_by == "time"
    # nothing was scored in time: the simplest models (the mean, each variable) stand in
    assert result.best is not None and result.best.expr.size == 1


def test_max_size_bounds_every_formula_on_the_front():
    X, y = _data()
    model = srkit.SymbolicRegressor(max_size=1, time_budget=None, max_iterations=3, random_state=0).fit(X, y)
    assert all(r["size"] == 1 for r in model.pareto_front_)
    model = srkit.SymbolicRegressor(max_size=5, time_budget=None, max_iterations=5, random_state=0).fit(X, y)
    assert all(r["size"] <= 5 for r in model.pareto_front_)


@pytest.mark.slow
def test_same_seed_same_front_with_an_evaluation_budget_cut_mid_generation_whatever_n_jobs():
    X, y = _data()
    fronts = []
    for n_jobs in (1, 2):
        model = srkit.SymbolicRegressor(max_evals=1500, time_budget=None, random_state=3, n_jobs=n_jobs,
                                        parallel_backend="threading").fit(X, y)
        assert model.result_.stopped_by == "evals"
        fronts.append([(r["equation"], r["loss"]) for r in model.pareto_front_])
    assert fronts[0] == fronts[1]


# ---------------------------------------------------------------------- interrupts and progress
class _CtrlCAt(Callback):
    """Presses Ctrl-C at the first progress tick after ``evals`` evaluations (with
    ``tick_every_evaluation``: at evaluation ``evals + 1``)."""

    def __init__(self, evals: int) -> None:
        self.evals = evals
        self.ticks = 0

    def on_progress(self, state: SearchState) -> None:
        self.ticks += 1
        if state.n_evals >= self.evals:
            raise KeyboardInterrupt


@pytest.fixture
def tick_every_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress hooks at every evaluation, so that a test can press Ctrl-C at a chosen one."""
    import srkit.fitness.evaluator as evaluator_module

    monkeypatch.setattr(evaluator_module, "TICK_INTERVAL", 0.0)
    monkeypatch.setattr(evaluator_module, "CLOCK_EVERY", 0)


@pytest.mark.parametrize("searcher, evals", [("gp", 200), ("mcts", 200), ("dsn", 200), ("llm", 20)])
def test_ctrl_c_during_the_first_iteration_keeps_what_was_scored(searcher: str, evals: int,
                                                                 tick_every_evaluation: None):
    problem = _problem()
    ctrl_c = _CtrlCAt(evals=evals)
    result = make_searcher(searcher).search(problem, budget=Budget(time=60), rng=np.random.default_rng(0),
                                            callbacks=[ctrl_c])
    assert result.stopped_by == "interrupt" and result.iterations == 0
    assert result.best is not None and np.isfinite(result.best.loss)


def test_ctrl_c_before_anything_finite_gives_one_clear_error_with_the_state(tick_every_evaluation: None):
    X, y = _data()
    model = srkit.SymbolicRegressor(time_budget=60, callbacks=[_CtrlCAt(evals=0)], random_state=0)
    with pytest.raises(NoFormulaError) as info:
        model.fit(X, y)
    message = str(info.value)
    assert "interrupted" in message and "\n" not in message
    record = info.value.to_dict()
    assert record["status"] == "empty" and record["search"]["stopped_by"] == "interrupt"
    json.dumps(record)  # what --output saves


def test_progress_comes_while_the_first_population_is_scored():
    class Recorder(Callback):
        def __init__(self) -> None:
            self.events: list[str] = []

        def on_progress(self, state: SearchState) -> None:
            self.events.append("progress")

        def on_iteration_end(self, state: SearchState) -> bool | None:
            self.events.append("iteration")
            return None

    recorder = Recorder()
    X, y = _data()
    srkit.SymbolicRegressor(time_budget=None, max_iterations=2, random_state=0, callbacks=[recorder]).fit(X, y)
    assert recorder.events[0] == "progress" and "iteration" in recorder.events


# ---------------------------------------------------------------------- the llm endpoint
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


def test_an_unreachable_llm_endpoint_fails_fast_with_the_reason():
    X, y = _data(50)
    model = srkit.SymbolicRegressor(
        searcher="llm", time_budget=30, random_state=0,
        llm={"base_url": f"http://127.0.0.1:{_closed_port()}/v1", "model": "m"})
    with pytest.raises(NoFormulaError, match="connection refused") as info:
        model.fit(X, y)
    result = info.value.result
    assert result.stopped_by == "llm_error" and not result.front
    # refused connections are not retried: one request per failed call
    errors = [h["error"] for h in result.history if h.get("error")]
    assert errors and all("no usable reply" not in e for e in errors)


def test_llm_client_waits_end_at_the_deadline():
    from srkit.search.llm.client import OpenAICompatClient

    client = OpenAICompatClient(base_url=f"http://127.0.0.1:{_closed_port()}/v1", model="m")
    client.deadline = 0.0  # long past
    with pytest.raises(BudgetSpent):
        client.complete([{"role": "user", "content": "hi"}])
