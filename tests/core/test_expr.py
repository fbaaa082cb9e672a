"""Tests of Expr: measures, slicing, replacement, identity, pickling (srkit.core.expr)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from srkit.core import COEF, VAR, Expr, OperatorSet, default_registry, parse


@pytest.fixture()
def ops() -> OperatorSet:
    return default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp", "pi"], ["x0", "x1"])


# -- measures ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("formula", "size", "depth"),
    [
        ("x0", 1, 1),
        ("2.5", 1, 1),
        ("pi", 1, 1),
        ("sin(x0)", 2, 2),
        ("3.1*sin(x0)/x1", 6, 4),
        ("x0 + x1 + x0 + x1", 7, 4),  # left-deep
        ("x0 + (x1 + (x0 + x1))", 7, 4),  # right-deep
        ("(x0 + x1) * (x0 - x1)", 7, 3),  # balanced
        ("sin(sin(sin(x0)))", 4, 4),
    ],
)
def test_size_and_depth(ops: OperatorSet, formula: str, size: int, depth: int) -> None:
    e = parse(formula, ops)
    assert (e.size, len(e), e.depth) == (size, size, depth)


def test_complexity_uses_per_node_costs() -> None:
    reg = default_registry()
    ops = OperatorSet([reg.get("add"), reg.get("exp")], ["x0"], var_complexity=1.0, coef_complexity=2.0)
    assert parse("x0", ops).complexity == 1.0
    assert parse("exp(x0) + 1.5", ops).complexity == 1 + 1 + 1 + 2
    costly = OperatorSet([reg.get("add"), reg.get("exp")], ["x0"])
    object.__setattr__(costly, "complexity", np.array([1.0, 1.0, 1.0, 3.0]))  # exp costs 3
    assert parse("exp(x0) + 1.5", costly).complexity == 6.0


def test_counts_and_variables_used(ops: OperatorSet) -> None:
    e = parse("2.0*x1 + sin(3.0) - x1", ops)
    assert e.n_coefs == 2 and e.coefs.tolist() == [2.0, 3.0]
    assert e.variables_used == [1]
    assert parse("pi", ops).variables_used == []


# -- structure ---------------------------------------------------------------------------------
def test_subtree_slicing(ops: OperatorSet) -> None:
    e = parse("3.1*sin(x0)/x1", ops)  # prefix: div mul 3.1 sin x0 x1
    assert [e.subtree_end(i) for i in range(6)] == [6, 5, 3, 5, 5, 6]
    assert e.children(0) == [1, 5] and e.children(1) == [2, 3] and e.children(3) == [4]
    left = e.subtree(1)
    assert str(left) == "3.1 * sin(x0)" and left.coefs.tolist() == [3.1] and left.opset is ops
    assert str(e.subtree(3)) == "sin(x0)" and e.subtree(3).n_coefs == 0
    assert str(e.subtree(5)) == "x1" and e.subtree(0) == e


def test_subtree_renumbers_coefficient_slots(ops: OperatorSet) -> None:
    e = parse("1.0*x0 + 2.0*x1*3.0", ops)
    right = e.subtree(e.children(0)[1])
    assert str(right) == "2.0 * x1 * 3.0"
    assert right.args[right.codes == COEF].tolist() == [0, 1]
    assert right.coefs.tolist() == [2.0, 3.0]


def test_replace(ops: OperatorSet) -> None:
    e = parse("1.0*x0 + 2.0*x1", ops)
    first_term = e.children(0)[0]
    r = e.replace(first_term, parse("5.0 - 6.0*x1", ops))
    assert str(r) == "5.0 - 6.0 * x1 + 2.0 * x1"
    assert r.coefs.tolist() == [5.0, 6.0, 2.0]
    assert r.args[r.codes == COEF].tolist() == [0, 1, 2]  # slots in prefix order
    assert str(e) == "1.0 * x0 + 2.0 * x1"  # the original is unchanged
    assert str(e.replace(0, parse("x1", ops))) == "x1"
    leaf = e.replace(e.children(0)[1], parse("pi", ops))
    assert str(leaf) == "1.0 * x0 + pi" and leaf.coefs.tolist() == [1.0]
    # a replaced expression is a valid one: rebuilding with validation accepts it
    Expr(r.codes, r.args, r.coefs, r.opset)


def test_builders(ops: OperatorSet) -> None:
    e = Expr.apply(ops, "mul", Expr.coefficient(ops, 3.1), Expr.apply(ops, "sin", Expr.variable(ops, "x0")))
    assert e == parse("3.1*sin(x0)", ops)
    assert Expr.variable(ops, 1) == parse("x1", ops)
    with pytest.raises(ValueError, match="Did you mean 'x0'"):
        Expr.variable(ops, "x00")
    with pytest.raises(ValueError, match="takes 2 argument"):
        Expr.apply(ops, "add", Expr.variable(ops, 0))


def test_with_coefs_and_with_opset(ops: OperatorSet) -> None:
    e = parse("2.0*sin(x0) + 1.0", ops)
    f = e.with_coefs([4.0, -1.0])
    assert str(f) == "4.0 * sin(x0) + (-1.0)" and e.coefs.tolist() == [2.0, 1.0]
    with pytest.raises(ValueError, match="expected 2 coefficients"):
        e.with_coefs([1.0])
    other = default_registry().operator_set(["sin", "mul", "add", "cos"], ["x0", "x1"])
    g = e.with_opset(other)
    assert g.opset is other and str(g) == str(e) and g.codes.tolist() != e.codes.tolist()
    with pytest.raises(ValueError, match="not in this run's operator set"):
        parse("exp(x0)", ops).with_opset(other)


@pytest.mark.parametrize(
    ("codes", "args", "coefs", "message"),
    [
        ([], [], [], "at least one node"),
        ([2, 0], [0, 0], [], "not a complete prefix"),  # add with one child
        ([0, 0], [0, 1], [], "not a complete prefix"),  # two roots
        ([0], [5], [], "variable index out of range"),
        ([COEF], [1], [1.0], "numbered 0, 1"),
        ([COEF], [0], [], "expected 1 coefficient"),
        ([99], [0], [], "out of range"),
        ([0], [0, 0], [], "same length"),
    ],
)
def test_invalid_arrays_are_rejected(
    ops: OperatorSet, codes: list[int], args: list[int], coefs: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Expr(codes, args, coefs, ops)


# -- identity -----------------------------------------------------------------------------
def test_skeleton_hashing(ops: OperatorSet) -> None:
    a = parse("2.0*sin(x0) + x1", ops)
    b = parse("3.0*sin(x0) + x1", ops)
    assert a.skeleton == b.skeleton and hash(a) == hash(b) and a.same_skeleton(b)
    assert a != b
    assert a == parse("2.0*sin(x0) + x1", ops)
    assert a.skeleton != parse("2.0*sin(x1) + x1", ops).skeleton  # variable index is structure
    assert a.skeleton != parse("2.0*exp(x0) + x1", ops).skeleton
    assert len({a, b, parse("2.0*sin(x0) + x1", ops)}) == 2


def test_equality_needs_an_equal_opset(ops: OperatorSet) -> None:
    a = parse("x0 + x1", ops)
    same_content = default_registry().operator_set(list(op.name for op in ops.operators), ["x0", "x1"])
    assert a == Expr(a.codes, a.args, a.coefs, same_content)
    renamed = ops.with_variables(["u", "v"])
    assert a != Expr(a.codes, a.args, a.coefs, renamed)
    assert a != "x0 + x1"


def test_pickle_round_trip(ops: OperatorSet) -> None:
    e = parse("3.1*sin(x0)/x1 - exp(-0.5*x1) + pi", ops)
    back = pickle.loads(pickle.dumps(e))
    assert back == e and str(back) == str(e) and back.opset == ops
    assert back.coefs.tobytes() == e.coefs.tobytes()
    assert not back.codes.flags.writeable and not back.coefs.flags.writeable
    assert copy.deepcopy(e) == e
    # the default opset (every builtin) pickles too, and evaluates the same
    d = parse("abs(x) ** 1.5 + tanh(x) / E")
    assert pickle.loads(pickle.dumps(d)) == d


def test_immutability(ops: OperatorSet) -> None:
    e = parse("2.0*x0", ops)
    with pytest.raises(AttributeError, match="immutable"):
        e.coefs = np.array([3.0])  # type: ignore[misc]
    with pytest.raises(AttributeError):
        e.new_attribute = 1  # type: ignore[attr-defined]
    for arr in (e.codes, e.args, e.coefs):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    source = np.array([2.0])
    f = Expr([ops.code("mul"), COEF, VAR], [0, 0, 0], source, ops)
    source[0] = 99.0  # the expression copied its input
    assert f.coefs.tolist() == [2.0]


def test_nodes_iterates_prefix(ops: OperatorSet) -> None:
    e = parse("sin(x1) * 2.0", ops)
    assert list(e.nodes()) == [(0, ops.code("mul"), 0), (1, ops.code("sin"), 0), (2, VAR, 1), (3, COEF, 0)]


def test_replace_refuses_another_operator_set():
    from srkit.core import parse

    a = parse("x0 + x1", ["x0", "x1"])
    b = parse("x0", ["x0"])
    with pytest.raises(ValueError, match="different operator sets"):
        a.replace(1, b)
