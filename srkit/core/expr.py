"""Expr: an expression as immutable prefix arrays plus a coefficient vector.

``codes[i]`` is an operator code of the expression's :class:`OperatorSet`
(``VAR``, ``COEF`` or ``2 + k`` for ``operators[k]``), ``args[i]`` is the feature
index of a variable leaf or the coefficient slot of a coefficient leaf (0 for
operators), and ``coefs`` holds the coefficient values, slot ``j`` being the
``j``-th coefficient leaf in prefix order.  A subtree is a contiguous slice.

Two expressions with the same codes and argument ids share a *skeleton*; the
skeleton is what caches and hashing key on, so that refitting coefficients never
makes a structure look new.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.operators import COEF, N_TERMINAL_CODES, VAR, OperatorSet

__all__ = ["Expr"]


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.setflags(write=False)
    return a


class Expr:
    """An immutable expression tree in prefix order.

    Build one with :func:`srkit.parse`, with the helpers :meth:`variable`,
    :meth:`coefficient`, :meth:`apply`, or directly from arrays.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"])
    >>> e = Expr.apply(ops, "mul", Expr.coefficient(ops, 3.1), Expr.apply(ops, "sin", Expr.variable(ops, 0)))
    >>> str(e), e.size, e.depth
    ('3.1 * sin(x0)', 4, 3)
    """

    __slots__ = ("codes", "args", "coefs", "opset", "_ends", "_skeleton")

    codes: NDArray[np.int16]
    args: NDArray[np.int32]
    coefs: NDArray[np.float64]
    opset: OperatorSet
    _ends: NDArray[np.int64] | None  # lazily computed subtree ends
    _skeleton: bytes | None  # lazily computed skeleton key

    def __init__(
        self,
        codes: Sequence[int] | NDArray[Any],
        args: Sequence[int] | NDArray[Any],
        coefs: Sequence[float] | NDArray[Any],
        opset: OperatorSet,
        *,
        validate: bool = True,
    ) -> None:
        c = np.array(codes, dtype=np.int16)
        a = np.array(args, dtype=np.int32)
        k = np.array(coefs, dtype=np.float64).reshape(-1)
        if validate:
            _validate(c, a, k, opset)
        object.__setattr__(self, "codes", _frozen(c))
        object.__setattr__(self, "args", _frozen(a))
        object.__setattr__(self, "coefs", _frozen(k))
        object.__setattr__(self, "opset", opset)
        object.__setattr__(self, "_ends", None)
        object.__setattr__(self, "_skeleton", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Expr is immutable; use with_coefs(), replace() or the builders")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.codes.tobytes(), self.args.tobytes(), self.coefs.tobytes(), self.opset))

    # ------------------------------------------------------------------ builders
    @classmethod
    def variable(cls, opset: OperatorSet, index: int | str) -> Expr:
        """A single variable leaf, by index or name."""
        if isinstance(index, str):
            if index not in opset.variables:
                from srkit.core.operators import suggest

                raise ValueError(f"unknown variable {index!r}.{suggest(index, opset.variables)}")
            index = opset.variables.index(index)
        return cls([VAR], [index], [], opset)

    @classmethod
    def coefficient(cls, opset: OperatorSet, value: float) -> Expr:
        """A single fitted-coefficient leaf."""
        return cls([COEF], [0], [value], opset)

    @classmethod
    def apply(cls, opset: OperatorSet, name: str, *children: Expr) -> Expr:
        """The operator ``name`` applied to ``children``."""
        code = opset.code(name)
        if opset.arity_of(code) != len(children):
            raise ValueError(
                f"operator {name!r} takes {opset.arity_of(code)} argument(s), got {len(children)}"
            )
        codes = np.concatenate([[code], *[ch.codes for ch in children]]).astype(np.int16)
        args = np.concatenate([[0], *[ch.args for ch in children]]).astype(np.int32)
        coefs = np.concatenate([np.zeros(0), *[ch.coefs for ch in children]])
        return cls._canonical(codes, args, coefs, opset)

    @classmethod
    def _canonical(
        cls, codes: NDArray[Any], args: NDArray[Any], coefs: NDArray[Any], opset: OperatorSet
    ) -> Expr:
        """Renumber coefficient slots in prefix order (coefs already in that order)."""
        args = np.array(args, dtype=np.int32)
        is_coef = codes == COEF
        args[is_coef] = np.arange(int(is_coef.sum()), dtype=np.int32)
        return cls(codes, args, coefs, opset, validate=False)

    # ------------------------------------------------------------------ measures
    def __len__(self) -> int:
        return len(self.codes)

    @property
    def size(self) -> int:
        """Number of nodes."""
        return len(self.codes)

    @property
    def n_coefs(self) -> int:
        return len(self.coefs)

    @property
    def depth(self) -> int:
        """Number of nodes on the longest root-to-leaf path (a leaf has depth 1)."""
        arity = self.opset.arity[self.codes]
        best, stack = 0, []  # stack of remaining-children counts along the current path
        for a in arity:
            stack.append(int(a))
            best = max(best, len(stack))
            while stack and stack[-1] == 0:
                stack.pop()
                if stack:
                    stack[-1] -= 1
        return best

    @property
    def complexity(self) -> float:
        """Weighted complexity: the sum of the per-node costs of the operator set."""
        return float(self.opset.complexity[self.codes].sum())

    @property
    def variables_used(self) -> list[int]:
        return sorted(set(self.args[self.codes == VAR].tolist()))

    # ------------------------------------------------------------------ structure
    def subtree_end(self, i: int) -> int:
        """Index one past the last node of the subtree rooted at ``i``."""
        ends = self._ends
        if ends is None:
            ends = _subtree_ends(self.opset.arity[self.codes])
            object.__setattr__(self, "_ends", ends)
        return int(ends[i])

    def subtree(self, i: int) -> Expr:
        """The subtree rooted at node ``i`` as an expression of its own."""
        j = self.subtree_end(i)
        codes, args = self.codes[i:j], self.args[i:j]
        slots = args[codes == COEF]
        return Expr._canonical(codes, args, self.coefs[slots], self.opset)

    def replace(self, i: int, other: Expr) -> Expr:
        """A copy with the subtree at node ``i`` replaced by ``other``."""
        if other.opset != self.opset:
            raise ValueError("cannot splice expressions of different operator sets; use with_opset() first")
        j = self.subtree_end(i)
        n_before = int((self.codes[:i] == COEF).sum())
        n_inside = int((self.codes[i:j] == COEF).sum())
        codes = np.concatenate([self.codes[:i], other.codes, self.codes[j:]])
        args = np.concatenate([self.args[:i], other.args, self.args[j:]])
        coefs = np.concatenate(
            [self.coefs[:n_before], other.coefs, self.coefs[n_before + n_inside :]]
        )
        return Expr._canonical(codes, args, coefs, self.opset)

    def children(self, i: int = 0) -> list[int]:
        """Indices of the children of node ``i``."""
        out, k = [], i + 1
        for _ in range(self.opset.arity_of(int(self.codes[i]))):
            out.append(k)
            k = self.subtree_end(k)
        return out

    def with_coefs(self, coefs: Sequence[float] | NDArray[Any]) -> Expr:
        """Same skeleton, new coefficient values."""
        coefs = np.asarray(coefs, dtype=np.float64)
        if coefs.shape != self.coefs.shape:
            raise ValueError(f"expected {self.n_coefs} coefficients, got {coefs.shape}")
        new = Expr(self.codes, self.args, coefs, self.opset, validate=False)
        object.__setattr__(new, "_ends", self._ends)
        object.__setattr__(new, "_skeleton", self._skeleton)
        return new

    def with_opset(self, opset: OperatorSet) -> Expr:
        """The same expression re-coded for another operator set (by operator name)."""
        codes = self.codes.copy()
        for i, c in enumerate(self.codes):
            if c >= N_TERMINAL_CODES:
                codes[i] = opset.code(self.opset.operator(int(c)).name)
        return Expr(codes, self.args, self.coefs, opset)

    # ------------------------------------------------------------------ identity
    @property
    def skeleton(self) -> bytes:
        """Key of the structure without coefficient values (used by caches)."""
        sk = self._skeleton
        if sk is None:
            sk = self.codes.tobytes() + b"|" + self.args.tobytes()
            object.__setattr__(self, "_skeleton", sk)
        return sk

    def __hash__(self) -> int:
        return hash(self.skeleton)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        return (
            self.skeleton == other.skeleton
            and self.coefs.tobytes() == other.coefs.tobytes()
            and (self.opset is other.opset or self.opset == other.opset)
        )

    def same_skeleton(self, other: Expr) -> bool:
        return self.skeleton == other.skeleton

    # ------------------------------------------------------------------ printing
    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Expr({self.format()!r})"

    def format(self, precision: int | None = None) -> str:
        """Infix text; ``precision`` significant digits for coefficients (None: exact)."""
        from srkit.core.printing import to_text

        return to_text(self, precision)

    def nodes(self) -> Iterator[tuple[int, int, int]]:
        """Iterate ``(index, code, arg)`` in prefix order."""
        for i, (c, a) in enumerate(zip(self.codes.tolist(), self.args.tolist())):
            yield i, c, a

    # ------------------------------------------------------------------ exports
    # srkit.export is part of the core layer (it imports only srkit.core), so these
    # conveniences stay; the imports are lazy because export imports this module and
    # because sympy must not load with `import srkit`.
    def to_sympy(self, **kwargs: Any) -> Any:
        """The expression as a sympy object; see :func:`srkit.export.to_sympy`."""
        from srkit.export.sympy import to_sympy

        return to_sympy(self, **kwargs)

    def latex(self, precision: int = 4) -> str:
        """The expression in LaTeX; see :func:`srkit.export.to_latex`."""
        from srkit.export.latex import to_latex

        return to_latex(self, precision)


def _rebuild(codes: bytes, args: bytes, coefs: bytes, opset: OperatorSet) -> Expr:
    return Expr(
        np.frombuffer(codes, dtype=np.int16),
        np.frombuffer(args, dtype=np.int32),
        np.frombuffer(coefs, dtype=np.float64),
        opset,
        validate=False,
    )


def _subtree_ends(arity: NDArray[Any]) -> NDArray[np.int64]:
    """For each prefix node, the index one past its subtree (one right-to-left pass)."""
    n = len(arity)
    ends = np.empty(n, dtype=np.int64)
    stack: list[int] = []  # ends of subtrees to the right, innermost last
    for i in range(n - 1, -1, -1):
        a = int(arity[i])
        if a == 0:
            ends[i] = i + 1
        else:
            for _ in range(a - 1):
                stack.pop()
            ends[i] = stack.pop()
        stack.append(int(ends[i]))
    return ends


def _validate(codes: NDArray[Any], args: NDArray[Any], coefs: NDArray[Any], opset: OperatorSet) -> None:
    n = len(codes)
    if n == 0:
        raise ValueError("an expression needs at least one node")
    if args.shape != codes.shape:
        raise ValueError(f"codes and args must have the same length, got {n} and {len(args)}")
    if codes.min() < 0 or codes.max() >= len(opset.arity):
        raise ValueError("operator code out of range for this operator set")
    # a prefix sequence is valid when the count of open slots reaches 0 exactly at the end
    need = np.cumsum(opset.arity[codes].astype(np.int64) - 1)
    if need[-1] != -1 or (n > 1 and need[:-1].min() < 0):
        raise ValueError("codes are not a complete prefix expression")
    var = codes == VAR
    if var.any() and (args[var].min() < 0 or args[var].max() >= opset.n_variables):
        raise ValueError(f"variable index out of range: the operator set has {opset.n_variables} variables")
    coef = codes == COEF
    if not np.array_equal(args[coef], np.arange(int(coef.sum()))):
        raise ValueError("coefficient slots must be numbered 0, 1, ... in prefix order")
    if len(coefs) != int(coef.sum()):
        raise ValueError(f"expected {int(coef.sum())} coefficient values, got {len(coefs)}")
