"""Token-by-token prefix building over an OperatorSet, with configurable structural rules.

An *action* is one token: a variable, the fitted-coefficient leaf, or an operator of the
run's :class:`~srkit.core.operators.OperatorSet` (named constants such as ``pi`` are leaves).
A :class:`Partial` is an expression under construction in prefix order: its tokens so
far and the stack of open argument slots.  :meth:`Grammar.allowed` lists the actions the
:class:`StructureRules` permit in the next slot; every complete expression the grammar
produces obeys them, so the searchers never spend evaluations on pointless forms such as
``sin(cos(x))`` or ``exp(log(x))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorSet

__all__ = ["StructureRules", "Grammar", "Partial"]


@dataclass(frozen=True)
class StructureRules:
    """Which expressions token-by-token building may produce.

    Parameters
    ----------
    max_depth : deepest node, the root counting 1 (leaves only at this depth).
    max_size : most tokens in one expression.
    max_coefs : most fitted-coefficient leaves (0: no coefficients at all).
    trig_ops : operators that may not appear inside one another (``sin(cos(x))``).
    forbidden_children : ``(parent, child)`` operator pairs that may not be nested
        directly, e.g. ``("exp", "log")`` bans ``exp(log(...))``.
    no_constant_subtrees : forbid subtrees without a variable other than a single leaf
        (``sin(c)``, ``c + c``): each is just one coefficient, written the long way.
    constant_power_base : allow a constant as the base of ``pow`` (``0.3679 ** (x*x)``
        fits ``exp(-x**2)`` exactly but reads as a float, which no recovery rule accepts).

    Examples
    --------
    >>> StructureRules(max_depth=4).max_depth
    4
    """

    max_depth: int = 6
    max_size: int = 25
    max_coefs: int = 3
    trig_ops: tuple[str, ...] = ("sin", "cos", "tan")
    forbidden_children: tuple[tuple[str, str], ...] = (("exp", "log"), ("log", "exp"))
    no_constant_subtrees: bool = True
    constant_power_base: bool = False

    def __post_init__(self) -> None:
        if self.max_depth < 1 or self.max_size < 1 or self.max_coefs < 0:
            raise ValueError("max_depth and max_size must be >= 1 and max_coefs >= 0")


class Partial:
    """An expression under construction: tokens in prefix order and the open slots.

    Each open slot is ``(depth, parent_code, inside_trig, constant_banned, is_left)``; the
    last slot on the stack is filled next.
    """

    __slots__ = ("tokens", "slots", "n_coefs")

    def __init__(self, tokens: tuple[int, ...], slots: tuple[tuple[int, int, bool, bool, bool], ...],
                 n_coefs: int) -> None:
        self.tokens = tokens
        self.slots = slots
        self.n_coefs = n_coefs

    @property
    def complete(self) -> bool:
        return not self.slots

    def __len__(self) -> int:
        return len(self.tokens)


class Grammar:
    """Actions and rules for one operator set.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "sin", "exp", "log"], ["x0"])
    >>> g = Grammar(ops, StructureRules(max_coefs=0))
    >>> p = g.step(g.start(), g.action_of("exp"))
    >>> [g.names[a] for a in g.allowed(p)]
    ['x0', 'add', 'sin', 'exp']
    """

    def __init__(self, opset: OperatorSet, rules: StructureRules) -> None:
        self.opset = opset
        self.rules = rules
        codes: list[int] = []
        args: list[int] = []
        for i in range(opset.n_variables):
            codes.append(VAR)
            args.append(i)
        if rules.max_coefs > 0:
            codes.append(COEF)
            args.append(0)
        for code in range(2, 2 + len(opset.operators)):
            codes.append(code)
            args.append(0)
        self.codes = np.array(codes, dtype=np.int16)
        self.args = np.array(args, dtype=np.int32)
        self.n_actions = len(codes)
        self.arity = [int(opset.arity[c]) for c in codes]
        self.names = [
            opset.variables[a] if c == VAR else "C" if c == COEF else opset.operator(c).name
            for c, a in zip(codes, args)
        ]
        self.coef_action = codes.index(COEF) if COEF in codes else -1
        self.leaves = [a for a in range(self.n_actions) if self.arity[a] == 0]
        self.is_leaf = np.array([ar == 0 for ar in self.arity])
        # named constants are leaves that, like a coefficient, hold no variable
        self._constant_leaf = {a for a in self.leaves if codes[a] != VAR}
        trig = {opset.code(n) for n in rules.trig_ops if opset.has(n)}
        self._trig_actions = {a for a in range(self.n_actions) if codes[a] in trig}
        self._banned_under: dict[int, set[int]] = {}
        for parent, child in rules.forbidden_children:
            if opset.has(parent) and opset.has(child):
                self._banned_under.setdefault(opset.code(parent), set()).add(
                    codes.index(opset.code(child))
                )
        self._pow = opset.code("pow") if opset.has("pow") and not rules.constant_power_base else -99
        self._action_of_code = {(c, a if c == VAR else 0): i for i, (c, a) in enumerate(zip(codes, args))}
        self._allowed_memo: dict[tuple[int, int, bool, bool, bool, int], list[int]] = {}

    # ------------------------------------------------------------------ building
    def action_of(self, name: str) -> int:
        """Action id of a token by name (variable name, ``"C"`` or operator name)."""
        return self.names.index(name)

    def start(self) -> Partial:
        """The empty expression: one open slot, the root."""
        return Partial((), ((1, -1, False, False, False),), 0)

    def allowed(self, p: Partial) -> list[int]:
        """Actions the rules allow in the next slot of ``p`` (never empty for a valid ``p``)."""
        depth, parent, in_trig, const_banned, is_left = p.slots[-1]
        const_banned = const_banned or (is_left and parent == self._pow)
        # size still free after the smallest completion of the other open slots
        room = self.rules.max_size - len(p.tokens) - (len(p.slots) - 1)
        coef_ok = p.n_coefs < self.rules.max_coefs
        key = (depth, parent, in_trig, const_banned, coef_ok, min(room, 4))
        hit = self._allowed_memo.get(key)
        if hit is not None:
            return hit
        out = []
        banned = self._banned_under.get(parent, ())
        for a in range(self.n_actions):
            ar = self.arity[a]
            if ar:
                if depth >= self.rules.max_depth or ar + 1 > room:
                    continue
                if in_trig and a in self._trig_actions:
                    continue
                if a in banned:
                    continue
            else:
                if a == self.coef_action and not coef_ok:
                    continue
                if const_banned and a in self._constant_leaf:
                    continue
            out.append(a)
        self._allowed_memo[key] = out
        return out

    def step(self, p: Partial, action: int) -> Partial:
        """``p`` with ``action`` placed in its next slot."""
        depth, _, in_trig, _, is_left = p.slots[-1]
        slots = list(p.slots[:-1])
        ar = self.arity[action]
        code = int(self.codes[action])
        if ar == 0:
            # a constant left child makes a constant right sibling pointless (c + c)
            if is_left and action in self._constant_leaf and self.rules.no_constant_subtrees and slots:
                d, par, trig, _, left = slots[-1]
                slots[-1] = (d, par, trig, True, left)
        else:
            trig = in_trig or action in self._trig_actions
            if ar == 1:
                slots.append((depth + 1, code, trig, self.rules.no_constant_subtrees, False))
            else:
                for k in range(ar - 1, -1, -1):  # rightmost first: the leftmost is filled next
                    slots.append((depth + 1, code, trig, False, k == 0))
        n_coefs = p.n_coefs + (action == self.coef_action)
        return Partial(p.tokens + (action,), tuple(slots), n_coefs)

    def complete_randomly(self, p: Partial, rng: np.random.Generator, p_leaf: float) -> Partial:
        """Finish ``p`` with random tokens (leaves with total probability ``p_leaf`` per slot)."""
        while p.slots:
            p = self.step(p, self.sample_prior(self.allowed(p), rng, p_leaf))
        return p

    def prior(self, allowed: Sequence[int], p_leaf: float) -> NDArray[np.float64]:
        """Base policy over ``allowed``: leaves share ``p_leaf``, operators the rest, each evenly."""
        leaf = self.is_leaf[list(allowed)]
        n_leaf = int(leaf.sum())
        n_op = len(allowed) - n_leaf
        if n_leaf == 0 or n_op == 0:
            return np.full(len(allowed), 1.0 / len(allowed))
        return np.where(leaf, p_leaf / n_leaf, (1.0 - p_leaf) / n_op)

    def sample_prior(self, allowed: Sequence[int], rng: np.random.Generator, p_leaf: float) -> int:
        w = self.prior(allowed, p_leaf)
        return int(allowed[int(np.searchsorted(np.cumsum(w), rng.random() * w.sum()))])

    # ------------------------------------------------------------------ conversion
    def to_expr(self, tokens: Sequence[int], coef_value: float = 1.0) -> Expr:
        """The complete expression spelled by ``tokens`` (coefficients start at ``coef_value``)."""
        idx = np.asarray(tokens, dtype=np.int64)
        codes = self.codes[idx]
        args = self.args[idx].copy()
        is_coef = codes == COEF
        n = int(is_coef.sum())
        args[is_coef] = np.arange(n, dtype=np.int32)
        return Expr(codes, args, np.full(n, coef_value), self.opset, validate=False)

    def to_tokens(self, expr: Expr) -> list[int] | None:
        """The action sequence of ``expr`` (None when it uses a token this grammar lacks)."""
        out = []
        for code, arg in zip(expr.codes.tolist(), expr.args.tolist()):
            a = self._action_of_code.get((code, arg if code == VAR else 0))
            if a is None:
                return None
            out.append(a)
        return out
