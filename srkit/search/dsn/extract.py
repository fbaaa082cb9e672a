"""Turn a trained symbolic network into an :class:`~srkit.core.expr.Expr`.

The network is read forward, layer by layer: each unit input is the sum of the
weights above the prune threshold times the previous layer's formulas, plus the
bias; each unit applies its operator; the output is the weighted sum of the last
layer.  Weights at zero and units whose value is exactly zero vanish from the
formula, subtrees without variables fold into one coefficient, and ``1*x``-style
arithmetic is removed.  Every weight that survives becomes a coefficient leaf, so
the coefficient fitter can refine it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import VAR, OperatorSet
from srkit.core.simplify import drop_identities
from srkit.fitness.fold import fold_constants
from srkit.search.dsn.network import Architecture, Unit

__all__ = ["extract", "normalize_scales", "required_operators"]

#: operators a linear combination is written with
required_operators = ("add", "mul")


def _linear(opset: OperatorSet, weights: np.ndarray, bias: float, inputs: Sequence[Expr | None]) -> Expr | None:
    """``sum(w_i * inputs_i) + bias`` without zero terms; None when it is exactly 0."""
    acc: Expr | None = None
    for w, term in zip(weights.tolist(), inputs):
        if w == 0.0 or term is None:
            continue
        piece = Expr.apply(opset, "mul", Expr.coefficient(opset, w), term)
        acc = piece if acc is None else Expr.apply(opset, "add", acc, piece)
    if bias != 0.0:
        b = Expr.coefficient(opset, bias)
        acc = b if acc is None else Expr.apply(opset, "add", acc, b)
    return acc


def _zero_or_constant(e: Expr) -> Expr | None:
    """Fold a variable-free unit into one coefficient; None when it is 0."""
    if (e.codes == VAR).any():
        return e
    folded = fold_constants(e)
    if folded.size == 1 and folded.n_coefs == 1 and folded.coefs[0] == 0.0:
        return None
    return folded


def extract(
    weights: dict[str, Any],
    arch: Architecture,
    units: Sequence[Unit],
    opset: OperatorSet,
    *,
    threshold: float = 0.0,
    output_threshold: float = 0.0,
    x_scale: np.ndarray | None = None,
    y_scale: float = 1.0,
    y_offset: float = 0.0,
    normalize: bool = True,
) -> Expr:
    """The formula network ``weights`` compute (see :meth:`NetworkBatch.weights_of`).

    Weights below ``threshold`` (hidden layers, biases) or ``output_threshold`` (output
    layer) count as zero.  The network was trained on ``X / x_scale`` (per column) and ``(y - y_offset) / y_scale``; the
    formula is for the raw ``X`` and ``y``.  With ``normalize`` scale factors are moved
    out of units that allow it (:func:`normalize_scales`).

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core.builtins import default_registry
    >>> from srkit.search.dsn.network import Unit, Architecture
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"])
    >>> units = [Unit(None, 1, None, False), Unit("sin", 1, None, False)]
    >>> w = {"W": [np.array([[0.0, 0, 2.0, 0], [1.0, 0, 0, 0]])], "b": [np.zeros(4)],
    ...      "w_out": np.array([3.0, 0.5]), "b_out": 1.0}
    >>> str(extract(w, Architecture(((0, 1),)), units, ops))
    '3.0 * x1 + 0.5 * sin(2.0 * x0) + 1.0'
    """
    for name in required_operators:
        if not opset.has(name):
            raise ValueError(
                f"the dsn searcher writes linear combinations with {' and '.join(required_operators)}; "
                f"add {name!r} to the operators"
            )

    def cut(a: np.ndarray, t: float) -> np.ndarray:
        return np.where(np.abs(a) >= t, a, 0.0) if t > 0 else a

    Ws = [cut(np.array(W, dtype=np.float64), threshold) for W in weights["W"][: arch.depth]]
    bs = [cut(np.array(b, dtype=np.float64), threshold) for b in weights["b"][: arch.depth]]
    w_out = cut(np.array(weights["w_out"], dtype=np.float64)[: arch.width], output_threshold)
    b_out = float(weights["b_out"])
    if x_scale is not None:  # after the cut: thresholds apply to the weights as trained
        scale = np.asarray(x_scale, dtype=np.float64)
        Ws[0] = Ws[0] / scale[: Ws[0].shape[0], None]
    if normalize:
        b_out = normalize_scales(Ws, bs, w_out, b_out, arch, units)
    variables: list[Expr | None] = [Expr.variable(opset, i) for i in range(opset.n_variables)]
    h = variables
    for layer, unit_ids in enumerate(arch.layers):
        W, b = Ws[layer], bs[layer]
        out: list[Expr | None] = []
        for k, u in enumerate(unit_ids):
            unit = units[u]
            args = [_linear(opset, W[: len(h), 2 * k + m], float(b[2 * k + m]), h) for m in range(unit.arity)]
            if unit.name is None:
                out.append(args[0])
                continue
            filled = [a if a is not None else Expr.coefficient(opset, 0.0) for a in args]
            filled += [Expr.coefficient(opset, c) for c in unit.const_args]
            out.append(_zero_or_constant(Expr.apply(opset, unit.name, *filled)))
        h = out
    expr = _linear(opset, w_out * y_scale, b_out * y_scale + y_offset, h)
    if expr is None:
        return Expr.coefficient(opset, 0.0)
    return drop_identities(fold_constants(expr))


def normalize_scales(
    Ws: list[np.ndarray], bs: list[np.ndarray], w_out: np.ndarray, b_out: float,
    arch: Architecture, units: Sequence[Unit],
) -> float:
    """Move scale factors out of units, in place; returns the new output bias.

    A network can write ``x**2`` as ``0.1 * square(3.16 * x)``: the two numbers are
    not identifiable, so neither snaps to anything simple.  For a unit with
    ``f(c*z) = c**k * f(z)`` the first non-zero input weight ``c`` is divided out of
    the unit's inputs and ``c**k`` multiplied into the weights that read the unit;
    ``log(c*z) = log(c) + log(z)`` moves ``log(c)`` into the readers' biases and
    ``exp(z + b) = exp(b) * exp(z)`` moves ``exp(b)`` into their weights.  The
    network computes the same function afterwards.
    """
    for layer, unit_ids in enumerate(arch.layers):
        W, b = Ws[layer], bs[layer]
        last = layer == arch.depth - 1
        for k, u in enumerate(unit_ids):
            factor, shift = 1.0, 0.0
            for m, law in enumerate(units[u].scaling[: units[u].arity]):
                col = 2 * k + m
                vec = np.concatenate([W[:, col], b[col : col + 1]])
                nonzero = np.flatnonzero(vec)
                if not law or not len(nonzero):
                    continue
                c = float(vec[nonzero[0]])
                if law.startswith("hom"):
                    degree = float(law[3:])
                elif law.startswith("phom") or law == "log":
                    degree, c = (float(law[4:]) if law != "log" else 0.0), abs(c)
                elif law == "exp":
                    factor *= math.exp(float(b[col])) if math.isfinite(math.exp(float(b[col]))) else 1.0
                    b[col] = 0.0 if math.isfinite(math.exp(float(b[col]))) else b[col]
                    continue
                else:
                    continue
                W[:, col] /= c
                b[col] /= c
                if law == "log":
                    shift += math.log(c)
                else:
                    factor *= c**degree
            if factor == 1.0 and shift == 0.0:
                continue
            if last:
                b_out += float(w_out[k]) * shift
                w_out[k] *= factor
            else:
                nxt_W, nxt_b = Ws[layer + 1], bs[layer + 1]
                nxt_b += nxt_W[k] * shift
                nxt_W[k] *= factor
    return b_out
