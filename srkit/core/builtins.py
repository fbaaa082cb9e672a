"""The built-in operators.

Every numpy form is the plain mathematical function: off its domain it returns
nan or inf (``log(-1)`` is nan, ``1/0`` is inf) and is never "protected", so a
fitted formula means exactly what it says in every export.
"""

from __future__ import annotations

import math
import operator as _op
from typing import Any

import numpy as np

from srkit.core.operators import Operator, OperatorRegistry

__all__ = ["BUILTIN_OPERATORS", "default_registry", "DEFAULT_OPERATORS"]


# Generic forms written with Python operators work on numpy arrays, sympy
# expressions and torch tensors alike, so one function serves all backends.
def _inv(a: Any) -> Any:
    return 1 / a


def _square(a: Any) -> Any:
    return a**2


def _cube(a: Any) -> Any:
    return a**3


def _np_cube(a: Any) -> Any:
    return a * a * a


BUILTIN_OPERATORS: tuple[Operator, ...] = (
    Operator("add", 2, np.add, _op.add, _op.add, "{0} + {1}", infix="+", precedence=10,
             aliases=("plus", "Add"), units="match"),
    Operator("sub", 2, np.subtract, _op.sub, _op.sub, "{0} - {1}", infix="-", precedence=10,
             aliases=("minus", "subtract", "Sub"), units="match"),
    Operator("mul", 2, np.multiply, _op.mul, _op.mul, r"{0} \cdot {1}", infix="*", precedence=20,
             aliases=("times", "multiply", "Mul"), units="product"),
    Operator("div", 2, np.divide, _op.truediv, _op.truediv, r"\frac{{{0}}}{{{1}}}", infix="/",
             precedence=20, aliases=("divide", "truediv", "Div"), units="quotient"),
    Operator("pow", 2, np.power, _op.pow, "pow", "{0}^{{{1}}}", infix="**", precedence=40,
             complexity=1.0, aliases=("power", "Pow"), units="power"),
    Operator("neg", 1, np.negative, _op.neg, "neg", r"-{0}", precedence=30, aliases=("negative",), units="power:1"),
    Operator("inv", 1, np.reciprocal, _inv, "reciprocal", r"\frac{{1}}{{{0}}}",
             aliases=("reciprocal",), units="power:-1"),
    Operator("abs", 1, np.abs, "Abs", "abs", r"\left|{0}\right|", aliases=("Abs", "fabs"), units="power:1"),
    Operator("square", 1, np.square, _square, "square", r"\left({0}\right)^{{2}}",
             aliases=("sqr",), units="power:2"),
    Operator("cube", 1, _np_cube, _cube, _cube, r"\left({0}\right)^{{3}}", units="power:3"),
    Operator("sqrt", 1, np.sqrt, "sqrt", "sqrt", r"\sqrt{{{0}}}", units="power:1/2"),
    Operator("exp", 1, np.exp, "exp", "exp", r"e^{{{0}}}"),
    Operator("log", 1, np.log, "log", "log", r"\log{{\left({0}\right)}}", aliases=("ln",)),
    Operator("sin", 1, np.sin, "sin", "sin", r"\sin{{\left({0}\right)}}"),
    Operator("cos", 1, np.cos, "cos", "cos", r"\cos{{\left({0}\right)}}"),
    Operator("tan", 1, np.tan, "tan", "tan", r"\tan{{\left({0}\right)}}"),
    Operator("tanh", 1, np.tanh, "tanh", "tanh", r"\tanh{{\left({0}\right)}}"),
    Operator("pi", 0, math.pi, "pi", None, r"\pi", aliases=("PI",)),
    Operator("E", 0, math.e, "E", None, r"e", aliases=("euler",)),
)

#: Operators a default ``SymbolicRegressor`` searches with.
DEFAULT_OPERATORS: tuple[str, ...] = (
    "add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt", "pow",
)


def default_registry() -> OperatorRegistry:
    """A fresh registry holding the built-in operators.

    Each call returns a new registry, so registering an operator in one run never
    leaks into another.

    Examples
    --------
    >>> reg = default_registry()
    >>> sorted(reg.names())[:4]
    ['E', 'abs', 'add', 'cos']
    """
    # Built-ins are verified by the test suite (tests/core/test_builtins.py), so
    # they skip the per-registration check that would import torch at start-up.
    return OperatorRegistry(BUILTIN_OPERATORS, check=False)
