"""The floor's random-formula generator: limits, leaves, weights, sizes, determinism."""

import collections

import numpy as np
import pytest

from srkit.core import default_registry
from srkit.core.operators import COEF, N_TERMINAL_CODES, VAR
from srkit.core.parse import parse
from srkit.search.floor.random_formulas import random_expr

OPS = ["add", "sub", "mul", "div", "sin", "exp", "pi"]


def _ops(names=OPS, variables=("a", "b")):
    return default_registry().operator_set(list(names), list(variables))


def _same(e, f):
    return e.codes.tolist() == f.codes.tolist() and e.args.tolist() == f.args.tolist() and list(e.coefs) == list(f.coefs)


@pytest.mark.parametrize("max_depth, max_size", [(4, None), (6, 9), (None, 7), (1, None), (3, 1)])
def test_grow_stays_within_the_limits_and_reads_back(max_depth, max_size):
    ops = _ops()
    rng = np.random.default_rng(0)
    for _ in range(300):
        e = random_expr(ops, rng, max_depth=max_depth, max_size=max_size)
        assert max_depth is None or e.depth <= max_depth
        assert max_size is None or e.size <= max_size
        assert parse(e.format(), ops).same_skeleton(e)
        if (max_depth or 2) > 1 and (max_size or 2) > 1:
            assert e.codes[0] >= N_TERMINAL_CODES and ops.arity_of(int(e.codes[0])) > 0  # the root is an operator


def test_same_generator_state_same_formulas():
    ops = _ops()
    for kw in ({"max_depth": 5}, {"size": (5, 15), "max_depth": None}):
        a = [random_expr(ops, np.random.default_rng(3), **kw) for _ in range(3)]
        b = [random_expr(ops, np.random.default_rng(3), **kw) for _ in range(3)]
        assert all(_same(x, y) for x, y in zip(a, b))
        rng = np.random.default_rng(3)
        assert not all(_same(random_expr(ops, rng, **kw), random_expr(ops, rng, **kw)) for _ in range(5))


def test_leaf_shares_and_the_coefficient_hook():
    ops = _ops()
    rng = np.random.default_rng(1)
    leaves = collections.Counter()
    for _ in range(2000):
        e = random_expr(ops, rng, max_depth=3)
        for c in e.codes:
            c = int(c)
            leaves["var" if c == VAR else "coef" if c == COEF else "pi" if ops.arity_of(c) == 0 else "op"] += 1
    n = leaves["var"] + leaves["coef"] + leaves["pi"]
    assert leaves["pi"] / n == pytest.approx(0.05, abs=0.015)
    assert leaves["coef"] / n == pytest.approx(0.20, abs=0.03)
    # variables only (the alpha baseline): no coefficients, no constants
    plain = [random_expr(ops, rng, max_depth=4, p_coef=0.0, p_constant=0.0) for _ in range(200)]
    assert all(e.n_coefs == 0 and all(c == VAR or ops.arity_of(int(c)) > 0 for c in e.codes) for e in plain)
    # the coefficient hook draws every coefficient
    fixed = [random_expr(ops, rng, max_depth=4, p_coef=1.0, p_constant=0.0, coefficient=lambda r: 7.0)
             for _ in range(50)]
    assert all(set(e.coefs) == {7.0} for e in fixed)
    # no named constant in the set: their share goes to coefficients
    no_pi = [random_expr(_ops(OPS[:-1]), rng, max_depth=1, p_coef=0.0, p_constant=1.0) for _ in range(20)]
    assert all(e.codes.tolist() == [COEF] for e in no_pi)


def test_sized_formulas_have_exactly_the_sizes_asked_for():
    ops = _ops()
    rng = np.random.default_rng(2)
    sizes = [random_expr(ops, rng, size=(10, 30), max_depth=None).size for _ in range(600)]
    assert min(sizes) == 10 and max(sizes) == 30
    assert len(set(sizes)) == 21  # every size in the range is drawn
    assert all(random_expr(ops, rng, size=13, max_depth=None).size == 13 for _ in range(20))
    # max_size and max_depth cut the range: only sizes a tree can have are drawn
    for _ in range(100):
        e = random_expr(ops, rng, size=(10, 30), max_size=12, max_depth=4)
        assert 10 <= e.size <= 12 and e.depth <= 4


def test_sized_formulas_respect_arities_and_depth():
    binary = _ops(["add", "mul"], ["x"])  # trees of binary operators have an odd size
    rng = np.random.default_rng(4)
    for _ in range(100):
        e = random_expr(binary, rng, size=(4, 9), max_depth=3)
        assert e.size in (5, 7) and e.depth <= 3
    with pytest.raises(ValueError, match="no formula of 4-4 nodes"):
        random_expr(binary, rng, size=4)
    with pytest.raises(ValueError, match="raise max_depth"):
        random_expr(binary, rng, size=(9, 12), max_depth=3)  # at most 7 nodes in depth 3


def test_operator_weights_choose_the_operators():
    ops = _ops()
    rng = np.random.default_rng(5)
    names = [op.name for op in ops.operators]
    only_add = [1.0 if n == "add" else 0.0 for n in names]
    for _ in range(50):
        e = random_expr(ops, rng, max_depth=4, operator_weights=only_add, p_constant=0.0)
        assert {ops.operator(int(c)).name for c in e.codes if c >= N_TERMINAL_CODES} <= {"add"}
    # the share of unary nodes follows the weights (bench_evaluator's 30% unary)
    w = [0.3 / 2 if op.arity == 1 else 0.7 / 4 if op.arity == 2 else 0.0 for op in ops.operators]
    roots = [ops.arity_of(int(random_expr(ops, rng, size=(10, 30), max_depth=None, operator_weights=w).codes[0]))
             for _ in range(1000)]
    assert roots.count(1) / len(roots) == pytest.approx(0.3, abs=0.04)  # a root has room for either
    # a set's own sampling weights are the default
    weighted = default_registry().operator_set({"add": 1.0, "mul": 0.0, "sin": 1.0}, ["x"])
    assert all("mul" not in str(random_expr(weighted, rng, max_depth=4)) for _ in range(50))


@pytest.mark.parametrize("kw, message", [
    ({"operator_weights": [1.0]}, "one finite non-negative number per operator"),
    ({"p_leaf": 1.5}, "p_leaf must be a probability"),
    ({"p_coef": 0.8, "p_constant": 0.3}, "at most 1"),
    ({"max_depth": 0}, "max_depth must be at least 1"),
    ({"max_depth": None}, "needs max_depth or max_size"),
])
def test_bad_options_are_named(kw, message):
    with pytest.raises(ValueError, match=message):
        random_expr(_ops(), np.random.default_rng(0), **kw)
