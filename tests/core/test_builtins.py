"""Tests of the built-in operators (srkit.core.builtins)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from srkit.core import BUILTIN_OPERATORS, DEFAULT_OPERATORS, Operator, default_registry, parse
from srkit.core.operators import _check_operator
from srkit.fitness import interpret


@pytest.mark.parametrize("op", BUILTIN_OPERATORS, ids=lambda op: op.name)
def test_every_builtin_passes_the_full_backend_check(op: Operator) -> None:
    # numpy, sympy and torch forms agree on random inputs, the latex template formats
    _check_operator(op)


def test_builtin_names_and_aliases_are_unique() -> None:
    names = [n for op in BUILTIN_OPERATORS for n in (op.name, *op.aliases)]
    assert len(names) == len(set(names))
    reg = default_registry()
    assert sorted(reg.names()) == sorted(op.name for op in BUILTIN_OPERATORS)
    assert all(name in reg for name in DEFAULT_OPERATORS)
    assert reg.get("ln").name == "log" and reg.get("Abs").name == "abs" and reg.get("PI").name == "pi"


def test_named_constants() -> None:
    reg = default_registry()
    assert reg.get("pi").value == math.pi and reg.get("E").value == math.e
    assert reg.get("pi").is_constant and not reg.get("sin").is_constant
    assert reg.get("pi").torch_form() == math.pi
    assert reg.get("E").sympy_form() is sympy.E
    with pytest.raises(TypeError, match="not a constant"):
        _ = reg.get("sin").value


def test_default_registry_is_a_fresh_copy_each_time() -> None:
    a, b = default_registry(), default_registry()
    a.register(Operator("twice", 1, lambda x: 2 * x, lambda x: 2 * x, lambda x: 2 * x), check=False)
    assert "twice" in a and "twice" not in b and "twice" not in default_registry()


# -- off-domain values are nan/inf, never protected substitutes ----------------------------
OFF_DOMAIN = [
    ("log", (-1.0,), math.nan),
    ("log", (0.0,), -math.inf),
    ("sqrt", (-1.0,), math.nan),
    ("div", (1.0, 0.0), math.inf),
    ("div", (-1.0, 0.0), -math.inf),
    ("div", (0.0, 0.0), math.nan),
    ("inv", (0.0,), math.inf),
    ("pow", (-8.0, 1.0 / 3.0), math.nan),  # not the real cube root -2
    ("pow", (0.0, -1.0), math.inf),
    ("exp", (1000.0,), math.inf),
]


@pytest.mark.parametrize(("name", "args", "expected"), OFF_DOMAIN)
def test_off_domain_values_are_nan_or_inf(name: str, args: tuple[float, ...], expected: float) -> None:
    op = default_registry().get(name)
    with np.errstate(all="ignore"):
        got = float(op.numpy(*[np.array([a]) for a in args])[0])
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("formula", "x", "check"),
    [
        ("log(x0)", -1.0, math.isnan),
        ("1/x0", 0.0, lambda v: v == math.inf),
        ("sqrt(x0)", -1.0, math.isnan),
        ("inv(x0)", 0.0, lambda v: v == math.inf),
        ("x0/x0", 0.0, math.isnan),  # no "protected" 1.0
        ("log(x0 - 3.0)", 3.0, lambda v: v == -math.inf),
    ],
)
def test_interpreter_keeps_off_domain_values(formula: str, x: float, check: object) -> None:
    values = interpret(parse(formula, ["x0"]), [np.array([x, 4.0])], 2)
    assert check(values[0])  # type: ignore[operator]
    assert np.isfinite(values[1])  # an ordinary point next to it is untouched


def test_torch_forms_are_not_protected_either() -> None:
    torch = pytest.importorskip("torch")
    reg = default_registry()
    t = torch.tensor([-1.0, 0.0], dtype=torch.float64)
    assert torch.isnan(reg.get("log").torch_form()(t)[0])
    assert torch.isnan(reg.get("sqrt").torch_form()(t)[0])
    assert reg.get("inv").torch_form()(t)[1] == math.inf
    assert reg.get("div").torch_form()(torch.ones(2, dtype=torch.float64), t)[1] == math.inf


def test_builtin_values_on_ordinary_inputs() -> None:
    x = np.array([0.5, 2.0, -1.5])
    cols = [x]
    expected = {
        "neg(x0)": -x, "inv(x0)": 1 / x, "abs(x0)": np.abs(x), "square(x0)": x * x,
        "cube(x0)": x * x * x, "exp(x0)": np.exp(x), "sin(x0)": np.sin(x), "cos(x0)": np.cos(x),
        "tan(x0)": np.tan(x), "tanh(x0)": np.tanh(x), "x0 ** 2": x**2, "x0 - 1": x - 1,
        "pi * x0": math.pi * x, "E + x0": math.e + x,
    }
    for formula, want in expected.items():
        np.testing.assert_array_equal(interpret(parse(formula, ["x0"]), cols, 3), want, err_msg=formula)
