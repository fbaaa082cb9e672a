"""Constant folding: every coefficient-only subtree becomes one coefficient.

Such a subtree is one free number, and keeping it as ``(-559.3) / (-14422)`` only
adds complexity and makes fitting harder.  Subtrees of named constants alone
(``sqrt(pi)``) are kept, since they say something exact; ``2.0*pi`` holds a
fitted coefficient and folds to one number.

This lives in fitness, not in :mod:`srkit.core.simplify`, because folding needs a
subtree's value and :func:`~srkit.fitness.interpreter.interpret` is the one code
that computes values (a second evaluator in core could round differently from the
kernel that scores the folded formula).  The structural clean-up that needs no
values, :func:`srkit.core.simplify.drop_identities`, stays in core.
"""

from __future__ import annotations

import math

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR
from srkit.fitness.interpreter import interpret

__all__ = ["fold_constants"]


def fold_constants(expr: Expr) -> Expr:
    """Replace coefficient-only subtrees by one coefficient holding their value.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> str(fold_constants(parse("x0 * (2.0 + 3.0) + sin(1.5 - 1.5)")))
    'x0 * 5.0 + 0.0'
    """
    if not (expr.codes == COEF).any() or expr.size < 2:
        return expr
    zeros = np.zeros((expr.opset.n_variables, 1))
    out, i = expr, 0
    # prefix order: fold the outermost foldable subtree, then move past it
    while i < out.size:
        j = out.subtree_end(i)
        codes = out.codes[i:j]
        if j - i > 1 and (codes == COEF).any() and not (codes == VAR).any():
            value = float(interpret(out.subtree(i), zeros, 1)[0])
            out = out.replace(i, Expr.coefficient(out.opset, value if math.isfinite(value) else math.nan))
        i += 1
    return out
