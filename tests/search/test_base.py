"""run_search: the bookkeeping every searcher shares."""

from dataclasses import dataclass

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry, parse
from srkit.fitness import Evaluator
from srkit.search.base import Budget, Problem, run_search


@dataclass
class _Config:
    offer_first: bool = True


class _Failing:
    name = "failing"
    config = _Config()

    def __init__(self, offer_first: bool) -> None:
        self.offer_first = offer_first

    def loop(self, state):
        if self.offer_first:
            expr = parse("x0 * 2.0", ["x0"]).with_opset(state.problem.opset)
            state.offer(expr, state.problem.evaluator.loss(expr))
        raise ZeroDivisionError("float division by zero")


def _problem():
    X = np.linspace(0, 1, 10)[:, None]
    data = as_dataset(X, 2 * X[:, 0])
    return Problem(data, default_registry().operator_set(["add", "mul"], data.feature_names), Evaluator(data))


def test_a_failing_search_keeps_the_front_it_found():
    searcher = _Failing(offer_first=True)
    with pytest.warns(RuntimeWarning, match="stopped on an error.*ZeroDivisionError"):
        result = run_search(searcher, _problem(), Budget(evals=100), (), searcher.loop)
    assert str(result.best.expr) == "x0 * 2.0" and result.best.loss == 0.0
    assert result.stopped_by.startswith("error: ZeroDivisionError")
    assert "Traceback" in result.error and "ZeroDivisionError" in result.error


def test_a_search_failing_before_it_found_anything_raises():
    searcher = _Failing(offer_first=False)
    with pytest.raises(ZeroDivisionError):
        run_search(searcher, _problem(), Budget(evals=100), (), searcher.loop)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_a_search_runs_blas_on_one_thread_and_restores_the_setting_after():
    from threadpoolctl import threadpool_limits

    seen: list[list[int]] = []

    class _Probe(_Failing):
        def loop(self, state):
            seen.append(_blas_threads())
            expr = parse("x0 * 2.0", ["x0"]).with_opset(state.problem.opset)
            state.offer(expr, state.problem.evaluator.loss(expr))

    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        searcher = _Probe(offer_first=True)
        run_search(searcher, _problem(), Budget(evals=100), (), searcher.loop)
        assert _blas_threads() == before
    assert before and seen == [[1] * len(before)]


def test_offer_brings_the_significance_snapped_form_of_a_noisy_fit_onto_the_front() -> None:
    import numpy as np

    from srkit.core import as_dataset, default_registry, parse
    from srkit.fitness import Evaluator
    from srkit.search.base import Budget, Problem, SearchState

    x = np.linspace(-1, 1, 300)
    y = x**3 + x + np.random.default_rng(0).normal(0, 0.01, 300)
    data = as_dataset(x[:, None], y, feature_names=["x"])
    problem = Problem(data, default_registry().operator_set(["add", "mul"], ["x"]), Evaluator(data))
    state = SearchState(problem=problem, budget=Budget(evals=100), front=problem.new_front())
    fitted, loss = problem.evaluator.fit(parse("1.0*x*x*x + 1.0*x + 1.0", problem.opset))
    assert state.offer(fitted, loss)
    assert [str(e.expr) for e in state.front] == ["x * x * x + x", str(fitted)]


def test_offer_scores_the_simplified_form_with_the_evaluators_penalty() -> None:
    # with units, 1.0*t may be a speed times t; t alone breaks the prior and pays for it
    from srkit.search.base import SearchState

    t = np.linspace(0, 1, 50)
    data = as_dataset(t[:, None], t, feature_names=["t"])
    no_constants = lambda e: 0.0 if e.n_coefs else 10.0  # noqa: E731
    problem = Problem(data, default_registry().operator_set(["add", "mul"], ["t"]), Evaluator(data, penalty=no_constants))
    state = SearchState(problem=problem, budget=Budget(evals=100), front=problem.new_front())
    fitted, loss = problem.evaluator.fit(parse("1.1*t", problem.opset))
    state.offer(fitted, loss)
    assert str(fitted) == "1.0 * t" and loss == 0.0  # the fitter snaps an exact 1
    simplified = [e for e in state.front if str(e.expr) == "t"]
    assert simplified and simplified[0].loss == 10.0


def test_a_ctrl_c_swallowed_where_python_ignores_exceptions_still_stops_the_search() -> None:
    # Python may raise a signal's KeyboardInterrupt inside a finalizer, where it is only
    # printed; the meter notes the Ctrl-C and the next evaluation raises it again
    import os
    import signal

    x = np.linspace(0, 1, 30)
    data = as_dataset(x[:, None], x**2 + 0.1 * np.sin(9 * x), feature_names=["x"])
    problem = Problem(data, default_registry().operator_set(["add", "mul"], ["x"]), Evaluator(data))
    seen = []

    class Swallowed:
        name = "swallowed"

        def search(self, problem, *, budget, rng, callbacks=()):  # type: ignore[no-untyped-def]
            def loop(state):  # type: ignore[no-untyped-def]
                ev = state.problem.evaluator
                state.offer(*ev.fit(parse("x*x", problem.opset)))
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    for _ in range(1000):  # the signal arrives at some bytecode in here
                        pass
                except KeyboardInterrupt:
                    seen.append("swallowed")  # as a finalizer would: printed, not raised
                for k in range(100):
                    state.offer(*ev.fit(parse(f"x*x + {k}.5*x", problem.opset)))
                    seen.append(k)

            return run_search(self, problem, budget, callbacks, loop)

    # as in a terminal (a test runner may run with SIGINT ignored)
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    before = signal.getsignal(signal.SIGINT)
    try:
        result = Swallowed().search(problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))
    finally:
        after = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, outer)
    assert seen[0] == "swallowed" and len(seen) == 1  # the first evaluation after it stopped the search
    assert result.stopped_by == "interrupt" and result.front
    assert after is before  # the handler is put back
    assert problem.evaluator.loss(parse("x", problem.opset)) < float("inf")  # and the meter is clean again
