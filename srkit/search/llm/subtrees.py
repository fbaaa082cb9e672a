"""Frequent closed root subtrees ("root genes") of a repository of formulas.

A root gene is a complete subtree that reaches down to raw variables: a node
with all of its descendants, holding at least one operator and one variable.
Coefficient values are abstracted away (printed as ``c``), so ``2*x0`` and
``3.5*x0`` are the same gene ``c * x0``.  The support of a gene is the number of
formulas that contain it.  A gene is *closed* when no gene one level up (its
parent node with that parent's other children) has the same support; support
can only shrink going up, so the closed genes are the largest ones at each
support level.  Alpha Jungle asks the model to avoid the top-3 by support.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR

__all__ = ["Gene", "root_genes", "frequent_closed_genes"]

_Key = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Gene:
    """A root gene: its text (coefficients as ``c``), support and size in nodes."""

    text: str
    support: int
    size: int


def _keys(expr: Expr) -> list[_Key]:
    """For each node, the key of its subtree with coefficients abstracted."""
    tokens = []
    for _, code, arg in expr.nodes():
        if code == VAR:
            tokens.append(("v", expr.opset.variables[arg]))
        elif code == COEF:
            tokens.append(("c", ""))
        else:
            tokens.append(("o", expr.opset.operator(code).name))
    return [tuple(tokens[i : expr.subtree_end(i)]) for i in range(expr.size)]


def _is_gene(key: _Key) -> bool:
    return len(key) >= 2 and any(kind == "v" for kind, _ in key)


def _text(expr: Expr, i: int) -> str:
    sub = expr.subtree(i)
    return sub.with_coefs(np.full(sub.n_coefs, np.nan)).format().replace("(nan)", "c")


def root_genes(expr: Expr) -> list[str]:
    """The root genes of one formula, outermost first.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> root_genes(parse("sin(2*x0) + x1"))
    ['sin(c * x0) + x1', 'sin(c * x0)', 'c * x0']
    """
    keys = _keys(expr)
    return [_text(expr, i) for i, k in enumerate(keys) if _is_gene(k)]


def frequent_closed_genes(formulas: Sequence[Expr], top_k: int = 3, min_support: int = 2) -> list[Gene]:
    """The ``top_k`` closed root genes by support (ties: larger genes first, then by text).

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> repo = [parse(f, ["x0", "x1"]) for f in ["sin(x0*x1) + 1", "sin(x0*x1)*x0", "exp(x0*x1)"]]
    >>> [(g.text, g.support) for g in frequent_closed_genes(repo)]
    [('x0 * x1', 3), ('sin(x0 * x1)', 2)]
    """
    support: dict[_Key, int] = defaultdict(int)
    parents: dict[_Key, set[_Key]] = defaultdict(set)
    text: dict[_Key, str] = {}
    for expr in formulas:
        keys = _keys(expr)
        for key in {k for k in keys if _is_gene(k)}:
            support[key] += 1
        for i, key in enumerate(keys):
            if not _is_gene(key):
                continue
            text.setdefault(key, _text(expr, i))
            for child in expr.children(i):
                if _is_gene(keys[child]):
                    parents[keys[child]].add(key)
    closed = [
        k for k, s in support.items()
        if s >= min_support and all(support[p] < s for p in parents.get(k, ()))
    ]
    closed.sort(key=lambda k: (-support[k], -len(k), text[k]))
    return [Gene(text[k], support[k], len(k)) for k in closed[:top_k]]
