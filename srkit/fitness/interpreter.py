"""The vectorised interpreter: evaluate an Expr's prefix arrays on data columns.

It walks the prefix arrays right to left with a value stack, calling each
operator's numpy form once on whole columns.  Coefficients and named constants
stay Python floats until they meet a column (numpy broadcasts), so a
coefficient-only subtree costs no array work.  Temporaries the interpreter owns
are overwritten in place (``out=``), which keeps large data sets from paying an
allocation per node.

This is the only place in srkit that computes the value of an expression.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorSet
from srkit.fitness import kernel
from srkit.fitness.kernel import run_kernel

__all__ = ["interpret", "NumpyFunction", "to_numpy", "OpTable", "op_table", "warm_up"]

Array = NDArray[np.float64]


class OpTable:
    """Per-operator-set lookup: numpy function, arity and in-place ability by code."""

    __slots__ = ("fns", "arity", "ufunc", "const", "kernel", "arity_array")

    def __init__(self, opset: OperatorSet) -> None:
        # compiled backend when every operator has a kernel form and numba is there
        self.kernel = kernel.kernel_opcodes(opset) if kernel.available() else None
        self.arity_array = np.asarray(opset.arity, dtype=np.int64)
        self.fns: list[Callable[..., Any] | None] = [None, None]
        self.arity: list[int] = [0, 0]
        self.ufunc: list[bool] = [False, False]
        self.const: list[float] = [0.0, 0.0]
        for op in opset.operators:
            self.arity.append(op.arity)
            if op.arity == 0:
                self.fns.append(None)
                self.ufunc.append(False)
                self.const.append(op.value)
            else:
                self.fns.append(op.numpy)
                self.ufunc.append(isinstance(op.numpy, np.ufunc) and op.numpy.nout == 1)
                self.const.append(0.0)


_TABLES: dict[int, tuple[OperatorSet, OpTable]] = {}


def op_table(opset: OperatorSet) -> OpTable:
    """The (memoised) lookup table of ``opset``."""
    hit = _TABLES.get(id(opset))
    if hit is not None and hit[0] is opset:
        return hit[1]
    table = OpTable(opset)
    if len(_TABLES) > 256:
        _TABLES.clear()
    _TABLES[id(opset)] = (opset, table)
    return table


def interpret(
    expr: Expr,
    columns: Array | Sequence[Array],
    n: int | tuple[int, ...],
    coefs: Array | None = None,
) -> Array:
    """Values of ``expr`` on the data ``columns`` (each of length ``n``).

    ``n`` may also be a shape: panels pass columns of shape (n_features, dates,
    assets) and ``n = (dates, assets)``; they always take the numpy path.

    ``columns`` is best a C-contiguous array of shape (n_features, n) (what
    ``Dataset.columns`` holds): then the compiled kernel runs when it can and
    ``n <= kernel.MAX_POINTS``.  Above that numpy's vectorised transcendental
    functions beat the kernel's scalar libm calls (benchmarks/RESULTS.md).

    ``coefs`` overrides the expression's own coefficient vector (used by the
    coefficient fitter).  Off-domain points come out as nan/inf; the caller
    decides what that means.  Always returns a fresh float64 array of length n.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> e = parse("2*x0 + sin(x1)")
    >>> interpret(e, [np.array([1.0, 2.0]), np.array([0.0, 0.0])], 2).tolist()
    [2.0, 4.0]
    """
    table = op_table(expr.opset)
    values = expr.coefs if coefs is None else coefs
    if (table.kernel is not None and type(columns) is np.ndarray and columns.ndim == 2
            and isinstance(n, int) and n <= kernel.MAX_POINTS):
        if values.dtype != np.float64 or not values.flags.c_contiguous:
            values = np.ascontiguousarray(values, dtype=np.float64)
        return run_kernel(expr.codes, expr.args, values, table.kernel[0], table.kernel[1],
                          table.arity_array, columns)
    fns, arity, ufunc, const = table.fns, table.arity, table.ufunc, table.const
    codes = expr.codes.tolist()
    args = expr.args.tolist()
    stack: list[Any] = []
    owned: list[bool] = []  # whether the array on the stack is our temporary
    with np.errstate(all="ignore"):
        for i in range(len(codes) - 1, -1, -1):
            c = codes[i]
            if c == VAR:
                stack.append(columns[args[i]])
                owned.append(False)
            elif c == COEF:
                stack.append(float(values[args[i]]))
                owned.append(False)
            else:
                a = arity[c]
                fn = fns[c]
                if a == 0:
                    stack.append(const[c])
                    owned.append(False)
                elif a == 1:
                    x = stack[-1]
                    if ufunc[c]:
                        if owned[-1]:
                            fn(x, out=x)  # type: ignore[misc]
                        else:  # a ufunc returns a fresh array, or a numpy scalar
                            r = fn(x)  # type: ignore[misc]
                            if type(r) is np.ndarray:
                                stack[-1], owned[-1] = r, True
                            else:
                                stack[-1] = float(r)
                    else:
                        stack[-1] = _as_value(fn(x))  # type: ignore[misc]
                        owned[-1] = _is_fresh(stack[-1], x)
                else:
                    left = stack.pop()
                    left_owned = owned.pop()
                    right = stack[-1]
                    if ufunc[c] and left_owned:
                        fn(left, right, out=left)  # type: ignore[misc]
                        stack[-1] = left
                        owned[-1] = True
                    elif ufunc[c] and owned[-1]:
                        fn(left, right, out=right)  # type: ignore[misc]
                    elif ufunc[c]:
                        r = fn(left, right)  # type: ignore[misc]
                        if type(r) is np.ndarray:
                            stack[-1], owned[-1] = r, True
                        else:
                            stack[-1] = float(r)
                    else:
                        stack[-1] = _as_value(fn(left, right))  # type: ignore[misc]
                        owned[-1] = _is_fresh(stack[-1], left, right)
    out = stack[0]
    if not owned[0]:
        shape = (n,) if isinstance(n, int) else tuple(n)
        out = np.array(np.broadcast_to(np.asarray(out, dtype=np.float64), shape), dtype=np.float64)
    return out  # type: ignore[no-any-return]


def _is_fresh(result: Any, *inputs: Any) -> bool:
    """True when ``result`` is a new array we may overwrite (not an input or a view)."""
    return (
        isinstance(result, np.ndarray)
        and result.base is None
        and all(result is not x for x in inputs)
    )


def _as_value(v: Any) -> Any:
    """Keep scalars as Python floats, arrays as float64 arrays."""
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return float(v)
        return v if v.dtype == np.float64 else v.astype(np.float64)
    return float(v)


def warm_up() -> None:
    """Compile the interpreter's kernel now (or load it from numba's disk cache).

    numba compiles on the first call: about 8 s on a fresh install, 0.2 s from the
    cache.  Searches call this before their clock starts, so compilation never eats
    a user's time budget.  Cheap after the first call.

    >>> warm_up()
    """
    if _WARM or not kernel.available():
        return
    from srkit.core.builtins import default_registry

    opset = default_registry().operator_set(["add", "mul"], ["x0"])
    codes = [opset.code("add"), VAR, COEF]
    interpret(Expr(codes, [0, 0, 0], [1.5], opset), np.zeros((1, 2)), 2)
    _WARM.append(True)


_WARM: list[bool] = []


class NumpyFunction:
    """``f(X)`` for ``X`` of shape ``(n, n_features)``: :func:`interpret` as a picklable
    callable (no lambdas inside), so predictions run the code that scored the model.

    It lives here, not in :mod:`srkit.export`, because export is part of the core layer
    and never imports fitness (docs/ARCHITECTURE.md, "Layers").

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> f = to_numpy(parse("x0 * x1"))
    >>> f(np.array([[2.0, 3.0]])).tolist()
    [6.0]
    """

    def __init__(self, expr: Expr) -> None:
        self.expr = expr

    def __call__(self, X: Any) -> Array:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return interpret(self.expr, np.ascontiguousarray(X.T), X.shape[0])

    def __repr__(self) -> str:
        return f"NumpyFunction({self.expr})"


def to_numpy(expr: Expr) -> NumpyFunction:
    """A picklable numpy callable computing ``expr`` (rows of ``X`` are samples)."""
    return NumpyFunction(expr)
