"""Linear head: fit the weights of an expression's additive terms in closed form.

An expression ``T1 + T2 - T3`` is a linear model in its terms; weighted least
squares finds ``w0 + w1*T1 + w2*T2 + w3*T3`` at the cost of one evaluation per
term.  The closed-form step (:mod:`srkit.search.floor.closed_form`) writes its
sparse sums with :func:`linear_head`.  (An option to apply it inside every
coefficient fit, ``CoefficientFitter.linear_terms``, was never on by default: on
Nguyen it steered GP towards curve fits; it was removed in issue 32.)
Weights within 1e-6 of a simple rational are snapped (``0.99999997`` -> 1,
which needs no coefficient node at all), so exact formulas stay exact and small.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorSet

__all__ = ["additive_terms", "linear_head", "linear_scale", "snap_weight", "snapped_least_squares", "weighted_sum"]

Array = NDArray[np.float64]


def additive_terms(expr: Expr) -> list[tuple[float, int]]:
    """``(sign, node index)`` of each top-level term of sums and differences.

    >>> from srkit.core.parse import parse
    >>> additive_terms(parse("x0*x1 - (x1 - 2.0) + x0"))
    [(1.0, 2), (-1.0, 6), (1.0, 7), (1.0, 8)]
    """
    opset = expr.opset
    add = opset.code("add") if opset.has("add") else -1
    sub = opset.code("sub") if opset.has("sub") else -1
    out: list[tuple[float, int]] = []
    stack = [(1.0, 0)]
    while stack:
        sign, i = stack.pop()
        code = int(expr.codes[i])
        if code in (add, sub):
            left, right = expr.children(i)
            stack.append((-sign if code == sub else sign, right))
            stack.append((sign, left))
        else:
            out.append((sign, i))
    return out


def linear_scale(y: Array, values: Array, sqrt_w: Array | None = None) -> tuple[float, float]:
    """Intercept and slope ``(a, b)`` minimising ``|| y - (a + b*values) ||`` (Keijzer 2003).

    >>> linear_scale(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0]))
    (1.0, 2.0)
    """
    w = np.ones_like(y) if sqrt_w is None else sqrt_w**2
    sw = w.sum()
    my, mv = np.dot(w, y) / sw, np.dot(w, values) / sw
    dv = values - mv
    var = np.dot(w, dv * dv)
    if not np.isfinite(var) or var <= 1e-300:
        return float(my), 0.0
    b = float(np.dot(w, dv * (y - my)) / var)
    return float(my - b * mv), b


def linear_head(
    expr: Expr,
    term_values: Callable[[Expr], Array],
    y: Array,
    sqrt_w: Array | None = None,
) -> Expr:
    """``expr`` rebuilt as ``w0 + sum(w_i * T_i)`` with least-squares weights.

    ``term_values(subexpr)`` evaluates one term on the training data.  Terms
    without variables are absorbed into the intercept.  Returns ``expr``
    unchanged when a term is not finite or nothing would change.
    """
    terms = [(s, i) for s, i in additive_terms(expr)
             if (expr.codes[i:expr.subtree_end(i)] == VAR).any()]
    if not terms:
        return expr
    subs = [expr.subtree(i) for _, i in terms]
    columns = [np.ones_like(y)]
    for sub in subs:
        v = term_values(sub)
        if not np.all(np.isfinite(v)):
            return expr
        columns.append(v)
    A = np.column_stack(columns)
    b = y
    if sqrt_w is not None:
        A, b = A * sqrt_w[:, None], y * sqrt_w
    fit = snapped_least_squares(A, b, y, np.column_stack(columns[1:]))
    if fit is None:
        return expr
    intercept, weights = fit
    return weighted_sum(expr.opset, [sub for sub, w in zip(subs, weights) if w != 0.0],
                        [w for w in weights if w != 0.0], intercept)


def snapped_least_squares(
    A: Array, b: Array, target: Array, terms: Array
) -> tuple[float, list[float]] | None:
    """Least-squares ``(intercept, weights)`` of ``b`` on ``A`` (first column: ones), each
    snapped to a simple rational where that is within round-off (see :func:`snap_weight`),
    judged against the scale of ``target`` and the RMS of each column of ``terms``;
    an intercept below 1e-12 of that scale is 0.  None when the solve fails.

    >>> x = np.linspace(0, 1, 5)
    >>> snapped_least_squares(np.column_stack([np.ones(5), x]), 2 * x + 1, 2 * x + 1, x[:, None])
    (1.0, [2.0])
    """
    try:
        sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(sol)):
        return None
    scale = float(np.sqrt(np.mean(target * target))) or 1.0
    intercept = snap_weight(float(sol[0]), 1.0, scale)
    if abs(intercept) <= 1e-12 * scale:
        intercept = 0.0
    rms = np.sqrt(np.mean(terms * terms, axis=0))
    return intercept, [snap_weight(float(w), float(r), scale) for w, r in zip(sol[1:], rms)]


def weighted_sum(opset: OperatorSet, terms: Sequence[Expr], weights: Sequence[float], intercept: float = 0.0) -> Expr:
    """``intercept + sum(w_i * T_i)`` written compactly: weight 1 adds the term as it is,
    -1 subtracts it, other weights multiply it (or its leading coefficient).

    >>> from srkit.core.parse import parse
    >>> e = parse("x0")
    >>> str(weighted_sum(e.opset, [e, parse("sin(x0)")], [1.0, -2.0], 0.5))
    'x0 - 2.0 * sin(x0) + 0.5'
    """
    acc: Expr | None = None
    for term, w in zip(terms, weights):
        if acc is None:
            acc = (_scaled(term, w) if w > 0 or not opset.has("neg")
                   else Expr.apply(opset, "neg", _scaled(term, -w)))
        else:
            if w > 0 or not opset.has("sub"):
                acc = Expr.apply(opset, "add", acc, _scaled(term, w))
            else:
                acc = Expr.apply(opset, "sub", acc, _scaled(term, -w))
    if acc is None:
        return Expr.coefficient(opset, intercept)
    if intercept != 0.0:
        acc = Expr.apply(opset, "add", acc, Expr.coefficient(opset, intercept))
    return acc


def snap_weight(w: float, term_rms: float, scale: float) -> float:
    """``snap_value(w)``, except that a weight whose term matters is never snapped to 0.

    snap_value's tolerance is absolute below 1, so on data of scale 1e-8 every
    weight would otherwise become 0 and the term would be dropped.
    """
    from srkit.fitness.coefficients import snap_value

    snapped = snap_value(w)
    if snapped == 0.0 and abs(w) * term_rms > 1e-12 * scale:
        return w
    return snapped


def _scaled(term: Expr, w: float) -> Expr:
    """``w * term``, reusing a leading coefficient of ``term`` instead of stacking one."""
    if w == 1.0:
        return term
    opset = term.opset
    code = int(term.codes[0])
    if opset.has("mul") and code == opset.code("mul"):
        for k in term.children(0):
            if int(term.codes[k]) == COEF:
                coefs = term.coefs.copy()
                coefs[int(term.args[k])] *= w
                return term.with_coefs(coefs)
    if opset.has("div") and code == opset.code("div"):
        k = term.children(0)[0]
        if int(term.codes[k]) == COEF:
            coefs = term.coefs.copy()
            coefs[int(term.args[k])] *= w
            return term.with_coefs(coefs)
    return Expr.apply(opset, "mul", Expr.coefficient(opset, w), term)
