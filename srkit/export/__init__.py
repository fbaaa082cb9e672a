"""Exports of an Expr: sympy, LaTeX, torch — all built from the registry's forms.

Export is part of the core layer: it imports only :mod:`srkit.core`, so that
``Expr.to_sympy()`` and ``Expr.latex()`` may use it (lazily: sympy stays out of
``import srkit``).  The numpy callable needs the interpreter and lives in fitness:
:func:`srkit.fitness.interpreter.to_numpy`.
"""

from srkit.export.latex import to_latex
from srkit.export.sympy import from_sympy, to_sympy
from srkit.export.torch import to_torch

__all__ = ["to_latex", "to_sympy", "from_sympy", "to_torch"]
