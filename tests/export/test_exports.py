"""Tests of the exports: sympy, LaTeX, torch (srkit.export)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from srkit.core import Operator, default_registry, parse
from srkit.export import from_sympy, to_latex, to_sympy, to_torch
from srkit.fitness import interpret
from srkit.fitness.interpreter import to_numpy

X0, X1 = sympy.symbols("x0 x1", real=True)


# -- sympy ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("2.5*x0 + sin(x1)", 2.5 * X0 + sympy.sin(X1)),
        ("3.1*sin(x0)/x1", sympy.Float(3.1) * sympy.sin(X0) / X1),
        ("x0**2", X0**2),  # integer-valued coefficients become sympy Integers
        ("sqrt(x0)*exp(-x1)", sympy.sqrt(X0) * sympy.exp(-X1)),
        ("abs(x0) + pi*E", sympy.Abs(X0) + sympy.pi * sympy.E),
        ("inv(x0) - cube(x1) + square(x0)", 1 / X0 - X1**3 + X0**2),
        ("tanh(x1) - log(x0)/tan(x1) + cos(x0)", sympy.tanh(X1) - sympy.log(X0) / sympy.tan(X1) + sympy.cos(X0)),
        ("-(x0 - x1)", X1 - X0),
    ],
)
def test_to_sympy(formula: str, expected: sympy.Expr) -> None:
    assert to_sympy(parse(formula, ["x0", "x1"])) == expected


def test_to_sympy_options() -> None:
    e = parse("1.5*x0 + 3.14159265*x1", ["x0", "x1"])
    assert to_sympy(e, rational=True) == sympy.Rational(3, 2) * X0 + sympy.Rational(314159265, 10**8) * X1
    assert to_sympy(e, precision=3) == sympy.Float(1.5) * X0 + sympy.Float(3.14) * X1
    a, b = sympy.symbols("a b", positive=True)
    assert to_sympy(e, symbols=[a, b]) == sympy.Float(1.5) * a + sympy.Float(3.14159265) * b
    assert e.to_sympy() == to_sympy(e)


def test_to_sympy_non_finite_coefficients() -> None:
    """Regression: int(nan) / int(inf) crashed; a fold_constants result can hold nan."""
    e = parse("1.0*x0 + 1.0", ["x0"])
    assert to_sympy(e.with_coefs([math.inf, 2.0])) == sympy.oo * X0 + 2
    assert to_sympy(e.with_coefs([1.0, math.nan])).has(sympy.nan)
    assert to_sympy(e.with_coefs([1.0, -math.inf]), rational=True) == X0 - sympy.oo


def test_from_sympy() -> None:
    e = from_sympy(2 * sympy.sin(X0) + X0**2, ["x0"])
    assert str(e) == "x0 ** 2 + 2.0 * sin(x0)"
    e = from_sympy(sympy.Rational(1, 3) * X0 + sympy.exp(-X1) / 2, ["x0", "x1"])
    np.testing.assert_allclose(interpret(e, [np.array([3.0]), np.array([0.0])], 1), [1.5], rtol=1e-15)
    assert str(from_sympy(sympy.Abs(X0) + sympy.pi * sympy.E, ["x0"])) == "E * pi + abs(x0)"  # sympy's order
    assert from_sympy(sympy.sympify("x*y + 2")).opset.variables == ("x", "y")
    ops = default_registry().operator_set(["add", "mul", "sin"], ["x0"])
    assert from_sympy(sympy.sin(X0) * 2, ops).opset is ops


@pytest.mark.parametrize("bad", [sympy.I * X0, sympy.zoo * X0, sympy.oo + X0, sympy.nan * X0])
def test_from_sympy_rejects_complex_and_infinite(bad: sympy.Expr) -> None:
    with pytest.raises(ValueError, match="complex or infinite"):
        from_sympy(bad, ["x0"])


def test_from_sympy_never_evaluates_text() -> None:
    with pytest.raises(ValueError):
        from_sympy(sympy.Function("system")(X0), ["x0"])  # an unknown function is a parse error


def test_sympy_round_trip_keeps_values() -> None:
    rng = np.random.default_rng(0)
    cols = [rng.uniform(0.5, 2, 20), rng.uniform(0.5, 2, 20)]
    for formula in ("3.7*sin(x0)/x1 - exp(-0.25*x1)", "sqrt(x0*x1) + abs(x0 - 1.1)**1.5", "tanh(x0) / inv(x1) + E"):
        e = parse(formula, ["x0", "x1"])
        back = from_sympy(to_sympy(e), e.opset)
        np.testing.assert_allclose(interpret(back, cols, 20), interpret(e, cols, 20), rtol=1e-13)


# -- LaTeX ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("formula", "precision", "latex"),
    [
        ("3.14159*sin(x0)/x1", 3, r"\frac{3.14 \cdot \sin{\left(x_{0}\right)}}{x_{1}}"),
        ("x0**2 + 1.5", 4, r"x_{0}^{2} + 1.5"),
        ("-x0**2", 4, r"-x_{0}^{2}"),
        ("(x0 + x1)*x2", 4, r"\left(x_{0} + x_{1}\right) \cdot x_{2}"),
        ("x0 - (x1 - x2)", 4, r"x_{0} - \left(x_{1} - x_{2}\right)"),
        ("sqrt(x0)*exp(-x1)", 4, r"\sqrt{x_{0}} \cdot e^{-x_{1}}"),
        ("abs(x0 - 2.5)", 4, r"\left|x_{0} - 2.5\right|"),
        ("(x0**x1)**2", 4, r"\left(x_{0}^{x_{1}}\right)^{2}"),
        ("-2.5*x0", 4, r"\left(-2.5\right) \cdot x_{0}"),
        ("1e-5*x0", 4, r"1 \cdot 10^{-5} \cdot x_{0}"),
        ("pi*E*x0", 4, r"\pi \cdot e \cdot x_{0}"),
        ("log(x0)/inv(x1)", 4, r"\frac{\log{\left(x_{0}\right)}}{\frac{1}{x_{1}}}"),
        ("3.14159*x0", None, r"3.14159 \cdot x_{0}"),
        # a power of a power-shaped template needs parentheses (no double superscripts)
        ("exp(x0)**2", 4, r"\left(e^{x_{0}}\right)^{2}"),
        ("square(x0)**x1", 4, r"\left(\left(x_{0}\right)^{2}\right)^{x_{1}}"),
        ("1e-5**x0", 4, r"\left(1 \cdot 10^{-5}\right)^{x_{0}}"),
    ],
)
def test_latex(formula: str, precision: int | None, latex: str) -> None:
    e = parse(formula, ["x0", "x1", "x2"])
    assert to_latex(e, precision) == latex


def test_latex_variable_names() -> None:
    e = parse("theta*omega1 + mass + x_1 + v", ["theta", "omega1", "mass", "x_1", "v"])
    assert to_latex(e) == r"\theta \cdot \omega_{1} + \mathrm{mass} + x_{1} + v"
    assert e.latex() == to_latex(e)


def test_latex_of_user_operators_with_and_without_template() -> None:
    reg = default_registry()
    reg.register(Operator("twice", 1, lambda a: 2 * a, lambda a: 2 * a, lambda a: 2 * a))  # default latex
    reg.register(Operator("golden", 0, (1 + 5**0.5) / 2, "GoldenRatio"))
    reg.register(Operator("sinc", 1, np.sinc, lambda a: sympy.sinc(sympy.pi * a), "sinc",
                          latex=r"\operatorname{{sinc}}\left({0}\right)"))
    ops = reg.operator_set(["twice", "golden", "sinc", "mul"], ["x"])
    e = parse("twice(x) * golden * sinc(x)", ops)
    assert to_latex(e) == r"\operatorname{twice}\left(x\right) \cdot \mathrm{golden} \cdot \operatorname{sinc}\left(x\right)"


# -- torch ------------------------------------------------------------------------------------
def test_torch_module_output() -> None:
    torch = pytest.importorskip("torch")
    e = parse("2.5*sin(x0)*x1 + exp(-x0/3.0) - pi + abs(x1)**1.5", ["x0", "x1"])
    X = np.random.default_rng(0).uniform(-2, 2, (30, 2))
    module = to_torch(e)
    out = module(torch.from_numpy(X))
    assert out.shape == (30,) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), interpret(e, list(X.T.copy()), 30), rtol=1e-13)
    assert [p.shape for p in module.parameters()] == [torch.Size([3])]
    assert module.coefs.tolist() == e.coefs.tolist() == [2.5, 3.0, 1.5]
    assert str(e) in repr(module)


def test_torch_constant_expression_and_options() -> None:
    torch = pytest.importorskip("torch")
    m = to_torch(parse("2.0 * pi", ["x0"]))
    assert m(torch.zeros(4, 1, dtype=torch.float64)).tolist() == [2 * math.pi] * 4
    frozen = to_torch(parse("2.0 * x0", ["x0"]), trainable=False)
    assert list(frozen.parameters()) == [] and frozen.coefs.tolist() == [2.0]
    f32 = to_torch(parse("2.0 * x0", ["x0"]), dtype=torch.float32)
    assert f32.coefs.dtype == torch.float32


def test_torch_gradients_and_an_optimizer_step_reduce_the_loss() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X = torch.from_numpy(rng.uniform(-2, 2, (50, 1)))
    y = 3.0 * torch.sin(1.5 * X[:, 0])
    module = to_torch(parse("2.0*sin(1.0*x0)", ["x0"]))
    loss = torch.mean((module(X) - y) ** 2)
    loss.backward()
    # analytic gradient of mean((a sin(b x) - y)^2) with respect to a
    a, b = 2.0, 1.0
    resid = a * torch.sin(b * X[:, 0]) - y
    grad_a = torch.mean(2 * resid * torch.sin(b * X[:, 0]))
    grad_b = torch.mean(2 * resid * a * X[:, 0] * torch.cos(b * X[:, 0]))
    np.testing.assert_allclose(module.coefs.grad.numpy(), [grad_a.item(), grad_b.item()], rtol=1e-12)
    opt = torch.optim.SGD(module.parameters(), lr=0.02)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.mean((module(X) - y) ** 2)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = torch.mean((module(X) - y) ** 2).item()
    assert final < losses[0] and all(b < a for a, b in zip(losses, losses[1:] + [final]))


def test_torch_export_of_user_operator() -> None:
    torch = pytest.importorskip("torch")
    reg = default_registry()
    reg.register(Operator("softplus", 1, lambda a: np.logaddexp(0.0, a),
                          lambda a: sympy.log(1 + sympy.exp(a)), "nn.functional.softplus"))
    e = parse("softplus(x) * 2.0", reg.operator_set(["softplus", "mul"], ["x"]))
    x = np.linspace(-3, 3, 7)
    out = to_torch(e)(torch.from_numpy(x[:, None])).detach().numpy()
    np.testing.assert_allclose(out, 2 * np.logaddexp(0, x), rtol=1e-12)


# -- completing squares -------------------------------------------------------------------------
def test_complete_squares_writes_an_expanded_distance_as_squares_and_keeps_the_function() -> None:
    from srkit.export.sympy import complete_squares

    names = ["x1", "x2", "y1", "y2", "z1", "z2"]
    expanded = parse("x1**2 - 2*x1*x2 + x2**2 + y1**2 - 2.0*y1*y2 + y2**2 + z1**2 - 2*z1*z2 + z2**2 + 0.5",
                     names)
    short = complete_squares(expanded)
    assert short.size < expanded.size
    assert str(short) == "0.5 + (x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2"
    X = np.random.default_rng(0).uniform(-2, 2, (20, 6))
    np.testing.assert_allclose(to_numpy(short)(X), to_numpy(expanded)(X), rtol=1e-12)
    # unequal weights with a zero discriminant: 4*a**2 + 12*a*b + 9*b**2 = 4*(a + 3*b/2)**2
    assert sympy.simplify(complete_squares(parse("4*a**2 + 12*a*b + 9*b**2", ["a", "b"])).to_sympy()
                          - sympy.sympify("(2*a + 3*b)**2", locals={n: sympy.Symbol(n, real=True) for n in "ab"})) == 0
    # no square to complete (discriminant not zero, or a cross term missing): unchanged
    for text in ("x1**2 + x1*x2 + x2**2", "x1**2 + x2**2 + 3*x1"):
        e = parse(text, names)
        assert complete_squares(e) is e
