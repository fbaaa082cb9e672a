"""Tests of Operator, OperatorRegistry and OperatorSet (srkit.core.operators)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from srkit.core import Operator, OperatorSet, default_registry, parse
from srkit.export import to_latex, to_sympy, to_torch
from srkit.fitness import interpret


def _sinc() -> Operator:
    # numpy's and torch's sinc are normalised, sympy's is not: sin(pi a)/(pi a)
    return Operator(
        "sinc", 1, numpy=np.sinc, sympy=lambda a: sympy.sinc(sympy.pi * a), torch="sinc",
        latex=r"\operatorname{{sinc}}\left({0}\right)",
    )


def _softplus() -> Operator:
    return Operator(
        "softplus", 1, numpy=lambda a: np.logaddexp(0.0, a),
        sympy=lambda a: sympy.log(1 + sympy.exp(a)), torch="nn.functional.softplus",
        latex=r"\operatorname{{softplus}}\left({0}\right)", complexity=2.0,
    )


# -- registering a user operator with one call ----------------------------------------------
@pytest.mark.parametrize("make", [_sinc, _softplus], ids=["sinc", "softplus"])
def test_register_user_operator_in_one_call(make: object) -> None:
    torch = pytest.importorskip("torch")
    reg = default_registry()
    op = reg.register(make())  # type: ignore[operator]
    assert reg.get(op.name) is op
    ops = reg.operator_set(["mul", op.name], ["x"])
    e = parse(f"2.0 * {op.name}(x)", ops)
    x = np.array([-1.5, 0.25, 2.0])
    expected = 2.0 * op.numpy(x)
    np.testing.assert_allclose(interpret(e, [x], 3), expected, rtol=1e-15)
    f = sympy.lambdify([sympy.Symbol("x", real=True)], to_sympy(e), "numpy")
    np.testing.assert_allclose(f(x), expected, rtol=1e-12)
    with torch.no_grad():
        got = to_torch(e)(torch.from_numpy(x[:, None])).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert to_latex(e) == rf"2 \cdot \operatorname{{{op.name}}}\left(x\right)"
    assert e.size == 4 and e.complexity == 3 + op.complexity  # mul, 2.0, x cost 1 each


def _op(**overrides: object) -> Operator:
    base: dict[str, object] = dict(
        name="myop", arity=1, numpy=np.sin, sympy="sin", torch="sin", latex=r"\sin\left({0}\right)"
    )
    base.update(overrides)
    return Operator(**base)  # type: ignore[arg-type]


def test_valid_template_operator_registers() -> None:
    assert default_registry().register(_op()).name == "myop"


def _raises(a: np.ndarray) -> np.ndarray:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(numpy=_raises), "numpy form raised"),
        (dict(numpy=np.sum), "must be elementwise"),
        (dict(numpy=lambda a: a[:10]), "must be elementwise"),
        (dict(numpy=lambda a: np.full_like(a, np.nan)), "non-finite on all"),
        (dict(numpy="sin"), "must be callable"),
        (dict(sympy="cos"), "sympy form does not agree"),
        (dict(sympy=lambda a: sympy.sin(a) + 1e-6), "sympy form does not agree"),
        (dict(sympy="no_such_function"), "sympy form failed"),
        (dict(torch="cos"), "torch form does not agree"),
        (dict(torch=None), "torch form failed"),
        (dict(torch="no_such_function"), "torch form failed"),
        (dict(latex=r"\sin{\left({0}\right)}"), "latex template"),  # single braces
        (dict(latex=r"f({1})"), "latex template"),  # argument out of range
        (dict(name="my-op"), "must be an identifier"),
        (dict(name="2op"), "must be an identifier"),
        (dict(arity=3), "arity must be 0, 1 or 2"),
    ],
)
def test_registration_rejects_bad_operators_at_once(overrides: dict[str, object], message: str) -> None:
    reg = default_registry()
    with pytest.raises(ValueError, match=message):
        reg.register(_op(**overrides))
    assert "myop" not in reg


def test_bad_constant_is_rejected() -> None:
    with pytest.raises(ValueError, match="float value"):
        default_registry().register(Operator("c0", 0, numpy="abc", sympy="pi"))
    with pytest.raises(ValueError, match="sympy form does not agree"):
        default_registry().register(Operator("c1", 0, numpy=3.0, sympy="pi"))
    reg = default_registry()
    reg.register(Operator("golden", 0, numpy=(1 + 5**0.5) / 2, sympy="GoldenRatio"))
    assert str(parse("golden * x", reg.operator_set(["mul", "golden"], ["x"]))) == "golden * x"


def test_duplicate_names_are_rejected() -> None:
    reg = default_registry()
    with pytest.raises(ValueError, match="'sin' is already registered"):
        reg.register(_op(name="sin"))
    with pytest.raises(ValueError, match="'ln' is already registered"):
        reg.register(_op(aliases=("ln",)))
    assert reg.get("sin").numpy is np.sin
    replaced = reg.register(_op(name="sin", torch="sin"), replace=True)
    assert reg.get("sin") is replaced


def test_unknown_operator_gives_did_you_mean() -> None:
    reg = default_registry()
    with pytest.raises(ValueError, match="unknown operator 'sn'") as info:
        reg.get("sn")
    assert "sin" in str(info.value) and "Did you mean" in str(info.value)
    with pytest.raises(ValueError, match="Did you mean 'sqrt'"):
        reg.get("sqrtt")
    with pytest.raises(ValueError, match="Known operators: add"):
        reg.get("zzzzzz")


# -- OperatorSet ------------------------------------------------------------------------------
def test_operator_set_codes_arity_and_complexity() -> None:
    ops = default_registry().operator_set(["add", "mul", "sin", "pi"], ["x0", "x1"])
    assert (ops.code("add"), ops.code("mul"), ops.code("sin"), ops.code("pi")) == (2, 3, 4, 5)
    assert ops.code("plus") == ops.code("add")  # aliases map to the same code
    assert ops.arity.tolist() == [0, 0, 2, 2, 1, 0]
    assert ops.codes_with_arity(2) == [2, 3] and ops.codes_with_arity(0) == [5]
    assert ops.operator(4).name == "sin" and ops.arity_of(4) == 1
    assert ops.n_variables == 2 and len(ops) == 4
    assert ops.has("sin") and not ops.has("cos")
    assert ops.weights == (1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        ops.arity[0] = 3  # read-only


def test_operator_set_weights() -> None:
    ops = default_registry().operator_set({"add": 2.0, "mul": 1.0, "sin": 0.25}, ["x"])
    assert ops.weights == (2.0, 1.0, 0.25)
    for bad in ([1.0, -1.0], [1.0, float("nan")], [1.0]):
        with pytest.raises(ValueError, match="one finite non-negative number per operator"):
            OperatorSet(ops.operators[:2], ["x"], weights=bad)


def test_operator_set_node_complexities() -> None:
    reg = default_registry()
    ops = OperatorSet([reg.get("add"), reg.get("exp")], ["x"], var_complexity=0.5, coef_complexity=2.0)
    assert ops.complexity.tolist() == [0.5, 2.0, 1.0, 1.0]


def test_operator_set_code_unknown_has_did_you_mean() -> None:
    ops = default_registry().operator_set(["add", "sin"], ["x"])
    with pytest.raises(ValueError, match="not in this run's operator set. Did you mean 'sin'"):
        ops.code("sn")
    with pytest.raises(ValueError, match="Available: add, sin"):
        ops.code("cos")


def test_operator_set_validation() -> None:
    reg = default_registry()
    with pytest.raises(ValueError, match="twice"):
        OperatorSet([reg.get("add"), reg.get("add")], ["x"])
    with pytest.raises(ValueError, match="at least one variable"):
        OperatorSet([reg.get("add")], [])
    with pytest.raises(ValueError, match="unique"):
        OperatorSet([reg.get("add")], ["x", "x"])
    with pytest.raises(ValueError, match="Did you mean 'sin'"):
        reg.operator_set(["add", "sinn"], ["x"])


def test_operator_set_equality_and_hash_by_content() -> None:
    reg = default_registry()
    a = reg.operator_set(["add", "sin"], ["x"])
    b = default_registry().operator_set(["add", "sin"], ["x"])
    assert a == b and hash(a) == hash(b)
    assert a != reg.operator_set(["sin", "add"], ["x"])  # codes differ
    assert a != reg.operator_set(["add", "sin"], ["y"])
    c = a.with_variables(["u", "v"])
    assert c.variables == ("u", "v") and c.operators == a.operators


def test_variable_clashing_with_a_constant_is_rejected():
    from srkit.core.builtins import default_registry

    with pytest.raises(ValueError, match="also names of constants"):
        default_registry().operator_set(["add", "pi"], ["pi", "x"])
