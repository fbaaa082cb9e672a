"""Tests of the numpy interpreter (srkit.fitness.interpreter)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from srkit.core import Operator, default_registry, parse
from srkit.fitness import interpret
from srkit.fitness.interpreter import NumpyFunction, op_table, to_numpy


def _cols(n: int = 5, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, n), rng.uniform(0.5, 3, n)]


@pytest.mark.parametrize(
    ("formula", "reference"),
    [
        ("2*x0 + sin(x1)", lambda a, b: 2 * a + np.sin(b)),
        ("3.1*sin(x0)/x1", lambda a, b: 3.1 * np.sin(a) / b),
        ("x1 ** x0 - exp(-x0 / 2)", lambda a, b: b**a - np.exp(-a / 2)),
        ("sqrt(x1) * log(x1) + abs(x0)", lambda a, b: np.sqrt(b) * np.log(b) + np.abs(a)),
        ("cube(x0) - square(x1) + inv(x1)", lambda a, b: a * a * a - b * b + 1 / b),
        ("tanh(x0) * tan(x1) - cos(x0 * x1)", lambda a, b: np.tanh(a) * np.tan(b) - np.cos(a * b)),
        ("-(x0 - x1) * pi + E", lambda a, b: -(a - b) * math.pi + math.e),
        ("x0 * x0 * x0 / (x0 * x0)", lambda a, b: a * a * a / (a * a)),
    ],
)
def test_values_match_numpy(formula: str, reference: object) -> None:
    cols = _cols()
    got = interpret(parse(formula, ["x0", "x1"]), cols, 5)
    np.testing.assert_array_equal(got, reference(*cols))  # type: ignore[operator]


def test_docstring_example() -> None:
    e = parse("2*x0 + sin(x1)")
    assert interpret(e, [np.array([1.0, 2.0]), np.array([0.0, 0.0])], 2).tolist() == [2.0, 4.0]


def test_coefs_override() -> None:
    e = parse("2.0*x0 + 1.0", ["x0"])
    x = np.array([1.0, 2.0, 3.0])
    assert interpret(e, [x], 3, np.array([10.0, -1.0])).tolist() == [9.0, 19.0, 29.0]
    assert e.coefs.tolist() == [2.0, 1.0]


def test_constant_expression_broadcasts_to_n() -> None:
    out = interpret(parse("2.0 * pi + sin(1.0)", ["x0"]), [np.zeros(4)], 4)
    assert out.shape == (4,) and out.dtype == np.float64
    assert np.all(out == 2.0 * math.pi + math.sin(1.0))
    out[0] = 0.0  # writable, and a fresh array
    assert interpret(parse("x0", ["x0"]), [np.ones(3)], 3).flags.writeable


def test_result_is_fresh_and_inputs_are_never_modified() -> None:
    """The interpreter writes temporaries in place: never a data column, never twice."""
    cols = _cols(50, seed=1)
    saved = [c.copy() for c in cols]
    formulas = [
        "x0", "-x0", "abs(x0)", "x0 * x0", "x0 + x1", "sin(x0) + x0", "x0 - sin(x0)",
        "exp(x0) * x1 + x0", "abs(x0 - x1) / x0", "square(x1) - cube(x0)", "neg(neg(x1))",
        "x0 ** 2.0 + x0 ** 2.0", "tanh(x0) * (x0 + 1.0)", "(x0 + x1) * (x0 - x1)",
    ]
    for formula in formulas:
        e = parse(formula, ["x0", "x1"])
        out = interpret(e, cols, 50)
        assert all(out is not c and not np.shares_memory(out, c) for c in cols), formula
        expected = out.copy()
        out[:] = 123.0  # scribbling on a result changes nothing else
        np.testing.assert_array_equal(interpret(e, cols, 50), expected, err_msg=formula)
    for c, s in zip(cols, saved):
        np.testing.assert_array_equal(c, s)


def test_user_operators_returning_their_input_or_a_view_are_not_overwritten() -> None:
    reg = default_registry()
    reg.register(Operator("ident", 1, lambda a: a, lambda a: a, lambda a: a, "{0}"), check=False)
    reg.register(Operator("view", 1, lambda a: a[:], lambda a: a, lambda a: a, "{0}"), check=False)
    ops = reg.operator_set(["ident", "view", "sin", "add", "neg"], ["x0"])
    x = np.array([0.5, 1.0, 2.0])
    saved = x.copy()
    for formula in ("sin(ident(x0))", "neg(view(x0))", "ident(x0) + view(x0)", "sin(view(ident(x0)))"):
        interpret(parse(formula, ops), [x], 3)
    np.testing.assert_array_equal(x, saved)
    assert interpret(parse("neg(ident(x0))", ops), [x], 3).tolist() == (-saved).tolist()


def test_off_domain_points_come_out_as_nan_or_inf() -> None:
    x = np.array([-1.0, 0.0, 4.0])
    assert np.isnan(interpret(parse("sqrt(x0)", ["x0"]), [x], 3)[0])
    assert interpret(parse("log(x0)", ["x0"]), [x], 3)[1] == -math.inf
    assert interpret(parse("1.0 / x0", ["x0"]), [x], 3).tolist()[1:] == [math.inf, 0.25]
    with np.errstate(all="raise"):  # no floating-point warning escapes
        interpret(parse("log(x0) / x0", ["x0"]), [x], 3)


def test_non_float_numpy_results_are_converted() -> None:
    reg = default_registry()
    reg.register(Operator("sgn", 1, lambda a: np.sign(a).astype(np.int64), "sign", "sign"), check=False)
    ops = reg.operator_set(["sgn", "mul"], ["x0"])
    out = interpret(parse("sgn(x0) * 0.5", ops), [np.array([-3.0, 0.0, 2.0])], 3)
    assert out.dtype == np.float64 and out.tolist() == [-0.5, 0.0, 0.5]


def test_op_table_is_memoised_per_opset() -> None:
    ops = default_registry().operator_set(["add", "sin"], ["x0"])
    t = op_table(ops)
    assert op_table(ops) is t
    assert t.arity == [0, 0, 2, 1] and t.ufunc == [False, False, True, True]


def test_batched_kernel_matches_one_program_at_a_time():
    from srkit.core import parse
    from srkit.fitness import kernel
    from srkit.fitness.interpreter import interpret, op_table

    if not kernel.available():
        import pytest

        pytest.skip("numba not available")
    opset = parse("x0", ["x0", "x1"]).opset
    exprs = [parse(t, opset) for t in ("x0*x1 + 2.5", "sin(x0) - x1**2.0", "sqrt(x0) / log(x1)", "pi * x1")]
    X = np.ascontiguousarray(np.random.default_rng(0).uniform(-2, 2, (2, 50)))
    table = op_table(opset)
    out = kernel.run_kernel_batch(
        np.concatenate([e.codes for e in exprs]).astype(np.int64),
        np.concatenate([e.args for e in exprs]).astype(np.int64),
        np.concatenate([e.coefs for e in exprs]),
        np.cumsum([0] + [e.size for e in exprs]).astype(np.int64),
        np.cumsum([0] + [e.n_coefs for e in exprs]).astype(np.int64),
        table.kernel[0], table.kernel[1], table.arity_array, X,
    )
    for row, e in zip(out, exprs):
        np.testing.assert_array_equal(row, interpret(e, X, 50))


def test_to_numpy_is_the_interpreter_and_picklable() -> None:
    e = parse("3.1*sin(x0)/x1 - pi", ["x0", "x1"])
    f = to_numpy(e)
    assert isinstance(f, NumpyFunction) and repr(f) == f"NumpyFunction({e})"
    X = np.random.default_rng(0).uniform(0.5, 2, (10, 2))
    expected = 3.1 * np.sin(X[:, 0]) / X[:, 1] - math.pi
    np.testing.assert_array_equal(f(X), expected)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(X), expected)
    assert g.expr == e
    assert f([0.5, 2.0]).shape == (1,)  # a single sample
