"""Tests of structural simplification (srkit.core.simplify)."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import parse
from srkit.fitness import interpret


@pytest.mark.parametrize(
    ("formula", "cleaned"),
    [
        ("1.0*x0 + 0.0*sin(x1) + -2.0*(3.0*x1)", "x0 - 6.0 * x1"),
        ("x0*1.0 - 0.0", "x0"),
        ("0.0 + x0/1.0", "x0"),
        ("sin(x0)**1.0", "sin(x0)"),
        ("x0**0.0 + x1", "1.0 + x1"),
        ("x0 + -1.0*x1", "x0 - x1"),
        ("x0 - -2.0*x1", "x0 + 2.0 * x1"),
        ("x0 + -3.0", "x0 - 3.0"),
        ("0.0/x0 + x1*(2.0*(0.5*x0))", "x1 * x0"),
    ],
)
def test_drop_identities_examples(formula: str, cleaned: str) -> None:
    from srkit.core.simplify import drop_identities

    e = parse(formula, ["x0", "x1"])
    out = drop_identities(e)
    assert str(out) == cleaned
    cols = [np.array([0.5, -1.0, 2.0]), np.array([2.0, 3.0, -0.25])]
    np.testing.assert_allclose(interpret(out, cols, 3), interpret(e, cols, 3), rtol=1e-14)
