"""Adapters that run peer symbolic-regression tools under a time budget.

Each ``fit_<tool>(X, y, names, time_budget, seed)`` returns the found formula as
sympy-readable text in the problem's variable names, with protected operators
read as their plain meaning (as the benchmark recovery rules prescribe:
gplearn's ``log(a)`` is ``log|a|``, ``sqrt(a)`` is ``sqrt|a|``, protected
division is ``a/b``).  The peers are an optional extra (``pip install -e .[bench]``).

Settings follow the brief (SRBench): gplearn with population 1000, tournament 20,
mean absolute error, parsimony 0.001, p_crossover 0.9; pyoperon with population
1000, max length 50, R^2 objective, 5 Levenberg-Marquardt iterations, one thread.
"""

from __future__ import annotations

import time

import numpy as np

FUNCTIONS = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt")


def fit_gplearn(X: np.ndarray, y: np.ndarray, names: list[str], time_budget: float, seed: int) -> str:
    """gplearn 0.4 has no time limit: grow generations one at a time (warm start) until it is spent."""
    import sympy
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    def _exp(a):  # gplearn has no exp; a bounded one keeps its closure check happy
        with np.errstate(over="ignore"):
            return np.where(a < 100, np.exp(np.minimum(a, 100)), 0.0)

    exp = make_function(function=_exp, name="exp", arity=1)
    model = SymbolicRegressor(
        population_size=1000, tournament_size=20, metric="mean absolute error",
        parsimony_coefficient=0.001, p_crossover=0.9, p_subtree_mutation=0.01,
        p_hoist_mutation=0.01, p_point_mutation=0.01, generations=1, warm_start=True,
        function_set=("add", "sub", "mul", "div", "sin", "cos", "log", "sqrt", exp),
        random_state=seed, n_jobs=1,
    )
    start = time.perf_counter()
    generation = 1
    while True:
        t0 = time.perf_counter()
        model.set_params(generations=generation)
        model.fit(X, y)
        spent = time.perf_counter() - start
        if spent + (time.perf_counter() - t0) > time_budget:
            break
        generation += 1
    symbols = {f"X{i}": sympy.Symbol(n, real=True) for i, n in enumerate(names)}
    local = {
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b, "sin": sympy.sin, "cos": sympy.cos, "exp": sympy.exp,
        "log": lambda a: sympy.log(sympy.Abs(a)), "sqrt": lambda a: sympy.sqrt(sympy.Abs(a)),
        **symbols,
    }
    return str(sympy.sympify(str(model._program), locals=local))


def fit_operon(X: np.ndarray, y: np.ndarray, names: list[str], time_budget: float, seed: int) -> str:
    from pyoperon.sklearn import SymbolicRegressor

    model = SymbolicRegressor(
        allowed_symbols="add,sub,mul,div,sin,cos,exp,log,sqrt,constant,variable",
        population_size=1000, max_length=50, objectives=["r2"], optimizer_iterations=5,
        max_time=max(1, int(time_budget)), n_threads=1, random_state=seed,
        max_evaluations=10**12, generations=10**9,
    )
    model.fit(X, y)
    return model.get_model_string(model.model_, 16, names).replace("^", "**")


PEERS = {"gplearn": fit_gplearn, "operon": fit_operon}
