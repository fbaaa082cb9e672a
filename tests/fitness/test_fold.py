"""Tests of constant folding (srkit.fitness.fold)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from srkit.core import COEF, parse
from srkit.fitness.fold import fold_constants
from srkit.fitness import interpret


@pytest.mark.parametrize(
    ("formula", "folded"),
    [
        ("x0 * (2.0 + 3.0) + sin(1.5 - 1.5)", "x0 * 5.0 + 0.0"),
        ("(-559.3) / (-14422.0) * x0", f"{-559.3 / -14422.0!r} * x0"),
        ("(2.0 * 3.0) * (x0 + 1.0 * 4.0)", "6.0 * (x0 + 4.0)"),
        ("exp(1.0 - 1.0) * x0", "1.0 * x0"),
        ("sin(2.0 * 3.0) * x0", f"({math.sin(6.0)!r}) * x0"),  # negative: printed in parentheses
        ("sqrt(4.0) ** x0", "2.0 ** x0"),
        ("2.0 + 3.0", "5.0"),
        ("-(2.0 * 3.0)", "(-6.0)"),
    ],
)
def test_fold_constants_examples(formula: str, folded: str) -> None:
    e = parse(formula, ["x0"])
    out = fold_constants(e)
    assert str(out) == folded
    assert out.args[out.codes == COEF].tolist() == list(range(out.n_coefs))  # slots renumbered


def test_folding_keeps_values() -> None:
    e = parse("x0 * (2.5 + 0.5) / (1.0 + 3.0) - log(2.0) * x1", ["x0", "x1"])
    out = fold_constants(e)
    assert str(out) == "x0 * 3.0 / 4.0 - 0.6931471805599453 * x1"  # (x0 * 3.0) holds a variable
    cols = [np.array([0.5, -1.0]), np.array([2.0, 3.0])]
    np.testing.assert_allclose(interpret(out, cols, 2), interpret(e, cols, 2), rtol=1e-15)


def test_nothing_to_fold_returns_the_same_expression() -> None:
    for formula in ("x0 + x1", "2.0 * x0", "sin(x0) * 3.0 + x1", "x0"):
        e = parse(formula, ["x0", "x1"])
        assert fold_constants(e) is e


def test_named_constants_alone_are_kept() -> None:
    e = parse("pi * E * x0 + sqrt(pi)", ["x0"])
    assert fold_constants(e) is e


def test_subtrees_with_variables_are_not_folded() -> None:
    e = parse("(x0 - x0) * 2.0 + exp(x1 * 0.0)", ["x0", "x1"])
    assert str(fold_constants(e)) == str(e)


def test_non_finite_fold_becomes_nan() -> None:
    out = fold_constants(parse("x0 + log(-1.0) + 1.0 / 0.0", ["x0"]))
    assert out.n_coefs == 2 and all(math.isnan(c) for c in out.coefs)
