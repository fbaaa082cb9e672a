"""Modulated sub-tree discovery: forms ``A + f``, ``A * f`` and ``A ** f`` mined from good expressions.

The best expressions found so far often agree on part of the answer (all contain
``x**3 + x**2``, or all are ``sin(x) * (...)``).  :func:`mine_forms` votes on the
top-level additive terms, multiplicative factors and power bases/exponents of the
best expressions; a part that enough of them share becomes the fixed part ``A`` of a
:class:`Form`, and the search continues for the remaining ``f`` alone (a smaller
problem).  Following the paper (and unlike the released code, where only the additive
form could fire), all three kinds are live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorSet

__all__ = ["Form", "FORM_KINDS", "mine_forms", "additive_terms", "multiplicative_factors", "subtrees"]

#: The kinds of form, in the order :func:`mine_forms` tries them by default.
FORM_KINDS = ("additive", "multiplicative", "power")


@dataclass(frozen=True)
class Form:
    """A fixed part around a hole: ``wrap(f)`` is the full expression.

    ``kind`` is ``"additive"`` (``pos[0] + ... + f - neg[0] - ...``),
    ``"multiplicative"`` (``pos[0] * ... * f / neg[0] / ...``) or ``"power"``
    (``pos[0] ** f`` for a shared base, ``f ** neg[0]`` for a shared exponent).

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> x = parse("x0")
    >>> form = Form("additive", (parse("sin(x0)"),), ())
    >>> str(form.wrap(x)), str(form.unwrap(parse("sin(x0) + x0 * x0")))
    ('sin(x0) + x0', 'x0 * x0')
    """

    kind: str
    pos: tuple[Expr, ...]
    neg: tuple[Expr, ...]

    @property
    def key(self) -> tuple[str, tuple[bytes, ...], tuple[bytes, ...]]:
        """The form's structure (kind and skeletons), whatever its coefficient values."""
        return self.kind, tuple(p.skeleton for p in self.pos), tuple(p.skeleton for p in self.neg)

    def _ops(self) -> tuple[str, str]:
        return {"additive": ("add", "sub"), "multiplicative": ("mul", "div"), "power": ("pow", "pow")}[self.kind]

    def wrap(self, f: Expr) -> Expr:
        """The full expression with ``f`` in the hole (``f`` must use the same operator set)."""
        opset = f.opset
        up, down = self._ops()
        out = f
        for part in reversed(self.pos):
            out = Expr.apply(opset, up, part, out)  # the fixed part first: A + f, A * f, A ** f
        for part in self.neg:
            out = Expr.apply(opset, down, out, part)
        return out

    def unwrap(self, expr: Expr) -> Expr | None:
        """The ``f`` of an expression of this form (None when it does not have it)."""
        up, down = self._ops()
        opset = expr.opset
        if not (opset.has(up) and opset.has(down)):
            return None
        out = expr
        for part in reversed(self.neg):
            if out.size < 3 or int(out.codes[0]) != opset.code(down):
                return None
            left, right = out.children(0)
            if out.subtree(right).skeleton != part.skeleton:
                return None
            out = out.subtree(left)
        for part in self.pos:
            if out.size < 3 or int(out.codes[0]) != opset.code(up):
                return None
            left, right = out.children(0)
            if out.subtree(left).skeleton != part.skeleton:
                return None
            out = out.subtree(right)
        return out

    def describe(self) -> str:
        """Text such as ``"x0**3 + x0**2 + f"``."""
        sym = {"additive": (" + ", " - "), "multiplicative": (" * ", " / "), "power": ("**", "**")}[self.kind]
        text = "f"
        for part in reversed(self.pos):
            text = f"({part}){sym[0]}{text}" if self.kind == "power" else f"{part}{sym[0]}{text}"
        for part in self.neg:
            text = f"({text}){sym[1]}({part})" if self.kind == "power" else f"{text}{sym[1]}{part}"
        return text


def additive_terms(expr: Expr) -> list[tuple[int, Expr]]:
    """Top-level terms of ``expr`` with their signs: ``a - (b + c)`` -> ``[(+1, a), (-1, b), (-1, c)]``.

    >>> from srkit.core.parse import parse
    >>> [(s, str(t)) for s, t in additive_terms(parse("x0 - (sin(x0) + 2.0)"))]
    [(1, 'x0'), (-1, 'sin(x0)'), (-1, '2.0')]
    """
    return _split(expr, 0, 1, ("add", "sub"), "neg")


def multiplicative_factors(expr: Expr) -> list[tuple[int, Expr]]:
    """Top-level factors with their powers (+1 numerator, -1 denominator).

    >>> from srkit.core.parse import parse
    >>> [(s, str(t)) for s, t in multiplicative_factors(parse("x0 * sin(x0) / exp(x0)"))]
    [(1, 'x0'), (1, 'sin(x0)'), (-1, 'exp(x0)')]
    """
    return _split(expr, 0, 1, ("mul", "div"), "inv")


def _split(expr: Expr, i: int, sign: int, ops: tuple[str, str], flip: str) -> list[tuple[int, Expr]]:
    opset = expr.opset
    code = int(expr.codes[i])
    same = opset.code(ops[0]) if opset.has(ops[0]) else -99
    other = opset.code(ops[1]) if opset.has(ops[1]) else -99
    unary = opset.code(flip) if opset.has(flip) else -99
    if code in (same, other):
        left, right = expr.children(i)
        return _split(expr, left, sign, ops, flip) + _split(
            expr, right, sign if code == same else -sign, ops, flip
        )
    if code == unary:
        return _split(expr, i + 1, -sign, ops, flip)
    return [(sign, expr.subtree(i))]


def _power_parts(expr: Expr) -> list[tuple[int, Expr]]:
    """``[(+1, base), (-1, exponent)]`` of a top-level power, else ``[]``."""
    opset = expr.opset
    if not opset.has("pow") or int(expr.codes[0]) != opset.code("pow"):
        return []
    base, exponent = expr.children(0)
    return [(1, expr.subtree(base)), (-1, expr.subtree(exponent))]


_PARTS = {"additive": additive_terms, "multiplicative": multiplicative_factors, "power": _power_parts}
_NEEDS = {"additive": ("add", "sub"), "multiplicative": ("mul", "div"), "power": ("pow",)}


def mine_forms(
    candidates: Sequence[tuple[Expr, float]],
    *,
    kinds: Sequence[str] = FORM_KINDS,
    max_exprs: int = 20,
    expr_ratio: float = 0.1,
    part_ratio: float = 0.5,
    loss_floor: float = 0.0,
) -> list[Form]:
    """Forms shared by the best ``candidates`` (expression, loss), one per kind that fires.

    The ``max_exprs`` best are voted over; those whose loss is within a factor
    ``1/expr_ratio`` of the best take part (the two best always).  A part (a term, a
    factor, a power's base or exponent, compared by skeleton) is fixed when at least
    ``part_ratio`` of them contain it.  Parts without a variable never count: a lone
    constant is the coefficient fitter's business.  Nothing fires once an exact fit
    (loss at most ``loss_floor``) is among the candidates: there is nothing left to find.

    >>> from srkit.core.parse import parse
    >>> cands = [(parse("x0**3.0 + x0**2.0 + sin(x0)"), 0.1), (parse("x0**3.0 + x0**2.0 + x0"), 0.2),
    ...          (parse("x0**3.0 + exp(x0)"), 0.3)]
    >>> [f.describe() for f in mine_forms(cands)]
    ['x0 ** 3 + x0 ** 2 + f']
    """
    ranked = sorted((c for c in candidates if math.isfinite(c[1])), key=lambda c: c[1])
    # one vote per structure: a pool may hold the same skeleton with other coefficients
    seen: set[bytes] = set()
    unique = []
    for e, loss in ranked:
        if e.skeleton not in seen:
            seen.add(e.skeleton)
            unique.append((e, loss))
    unique = unique[:max_exprs]
    if not unique or unique[0][1] <= loss_floor:
        return []
    best = max(unique[0][1], loss_floor, 1e-300)
    kept = [e for k, (e, loss) in enumerate(unique) if k < 2 or best / max(loss, 1e-300) > expr_ratio]
    opset: OperatorSet = kept[0].opset
    forms = []
    for kind in kinds:
        if kind not in _PARTS:
            raise ValueError(f"unknown form kind {kind!r}; choose from {FORM_KINDS}")
        if not all(opset.has(op) for op in _NEEDS[kind]):
            continue
        votes: dict[tuple[int, bytes, int], int] = {}
        example: dict[tuple[int, bytes, int], Expr] = {}
        for e in kept:
            parts = _PARTS[kind](e)
            if kind != "power" and len(parts) < 2:
                continue  # only expressions that really split vote (else A would be all of e)
            keys = set()
            for sign, part in parts:
                if not (part.codes == VAR).any():
                    continue
                k = 0  # the k-th copy of a skeleton is its own part (x**3 + x**2 share pow(x, c))
                while (sign, part.skeleton, k) in keys:
                    k += 1
                key = (sign, part.skeleton, k)
                keys.add(key)
                example.setdefault(key, part)  # the best expression's coefficients
            for key in keys:
                votes[key] = votes.get(key, 0) + 1
        # a part is shared when enough of the expressions, and at least two, contain it
        common = [k for k, n in votes.items() if n >= max(2.0, part_ratio * len(kept))]
        if not common:
            continue
        if kind == "power":  # one hole: keep the most voted of base or exponent
            common = [max(common, key=lambda k: (votes[k], k[0]))]
        # order of first appearance in the best expression, so A reads like it
        order = {k: i for i, k in enumerate(example)}
        common.sort(key=lambda k: order[k])
        pos = tuple(example[k] for k in common if k[0] > 0)
        neg = tuple(example[k] for k in common if k[0] < 0)
        forms.append(Form(kind, pos, neg))
    return forms


def subtrees(exprs: Iterable[Expr], max_size: int = 12) -> list[Expr]:
    """The distinct coefficient-free sub-trees with a variable of ``exprs`` (leaves excluded),
    most frequent first: the extra terms mcts hands to the closed-form step's library.

    >>> from srkit.core.parse import parse
    >>> [str(t) for t in subtrees([parse("sin(x0 * x0) + 2.0 * x0"), parse("sin(x0 * x0) * x0")])]
    ['sin(x0 * x0)', 'x0 * x0', 'sin(x0 * x0) * x0']
    """
    count: dict[tuple[bytes, bytes], tuple[int, int, Expr]] = {}
    order = 0
    for e in exprs:
        for i in range(e.size):
            end = e.subtree_end(i)
            if end - i < 2 or end - i > max_size:
                continue
            codes = e.codes[i:end]
            if (codes == COEF).any() or not (codes == VAR).any():
                continue
            sub = e.subtree(i)
            key = (sub.skeleton, np.asarray(sub.coefs).tobytes())
            c, o, _ = count.get(key, (0, order, sub))
            count[key] = (c + 1, o, sub)
            order += 1
    ranked = sorted(count.values(), key=lambda t: (-t[0], t[1]))
    return [t[2] for t in ranked]
