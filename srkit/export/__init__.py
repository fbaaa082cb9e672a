"""Exports of an Expr: sympy, LaTeX, torch, numpy — all built from the registry's forms."""

from srkit.export.latex import to_latex
from srkit.export.numpy import NumpyFunction, to_numpy
from srkit.export.sympy import from_sympy, to_sympy
from srkit.export.torch import to_torch

__all__ = ["to_latex", "to_numpy", "NumpyFunction", "to_sympy", "from_sympy", "to_torch"]
