"""Progress printing and early stopping callbacks."""

import io

import numpy as np

from srkit import SymbolicRegressor
from srkit.callbacks import ProgressPrinter, StopAtLoss


def test_progress_printer_shows_iteration_loss_and_equation(monkeypatch):
    import srkit.fitness.evaluator

    monkeypatch.setattr(srkit.fitness.evaluator, "TICK_INTERVAL", 0.0)  # a progress hook at every evaluation
    monkeypatch.setattr(srkit.fitness.evaluator, "CLOCK_EVERY", 0)
    stream = io.StringIO()
    X = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    # (gp: its first population is scored before an iteration ends; auto's closed form ends at once)
    SymbolicRegressor("gp", operators=["add", "mul"], time_budget=None, max_iterations=3, random_state=0,
                      callbacks=[ProgressPrinter(interval=0.0, stream=stream)]).fit(X, X[:, 0] * 3)
    lines = stream.getvalue().strip().splitlines()
    # lines come while the first population is scored, before any iteration ends
    assert lines[0].startswith("iter    0 |") and "no finite candidate yet" in lines[0]
    assert any(line.startswith("iter    0 |") and "best loss so far" in line for line in lines)
    first_iteration = next(line for line in lines if line.startswith("iter    1 |"))
    assert "best loss" in first_iteration
    assert "(stopped:" in lines[-1] and "x0" in lines[-1]


def test_stop_at_loss_ends_the_search_once_reached():
    X = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    model = SymbolicRegressor(operators=["add", "mul"], time_budget=None, max_iterations=500, random_state=0,
                              callbacks=[StopAtLoss(1e-12)]).fit(X, X[:, 0] * X[:, 0] + X[:, 0])
    assert model.result_.stopped_by == "callback" and model.result_.iterations < 500
    assert model.best_.loss <= 1e-12
