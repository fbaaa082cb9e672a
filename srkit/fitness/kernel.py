"""A compiled (numba) backend of the interpreter for the built-in operators.

The numpy interpreter pays a few hundred nanoseconds of Python per node; on the
small data sets of symbolic regression (20 to 1,000 points) and inside the
coefficient fitter, which evaluates one expression hundreds of times, that
overhead is most of the cost.  This kernel walks the same prefix arrays in
compiled code, with the same semantics: plain IEEE arithmetic, nan/inf off the
domain, no protection.  ``interpret`` uses it whenever every operator of the
expression has a kernel opcode and numba is importable, and falls back to numpy
otherwise (user operators, no numba).

numba is imported on first use, never by ``import srkit``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from srkit.core.operators import OperatorSet

__all__ = ["kernel_opcodes", "run_kernel", "run_kernel_batch", "available"]

# Opcodes of the kernel. Terminals: 0 variable, 1 coefficient, 2 constant.
_VAR, _COEF, _CONST = 0, 1, 2
_OPCODES = {
    "add": 10, "sub": 11, "mul": 12, "div": 13, "pow": 14,
    "neg": 20, "inv": 21, "abs": 22, "square": 23, "cube": 24, "sqrt": 25,
    "exp": 26, "log": 27, "sin": 28, "cos": 29, "tan": 30, "tanh": 31,
}
_BUILTIN_NUMPY = {  # the kernel only stands in for these exact numpy forms
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "neg": np.negative, "inv": np.reciprocal, "abs": np.abs, "square": np.square, "sqrt": np.sqrt,
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
}

#: Largest data size the kernel is used for; beyond it the numpy path is faster
#: (measured with benchmarks/bench_evaluator.py: 4x faster at 10 points, even at
#: ~1k, 0.75x at 100k because numpy's sin/exp are vectorised).
MAX_POINTS = 512

_state: dict[str, Any] = {}


def available() -> bool:
    """Whether the compiled kernel can be used (numba importable, not disabled)."""
    if "ok" not in _state:
        if os.environ.get("SRKIT_DISABLE_NUMBA"):
            _state["ok"] = False
        else:
            try:
                _compile()
                _state["ok"] = True
            except ImportError:
                _state["ok"] = False
    return bool(_state["ok"])


def kernel_opcodes(opset: OperatorSet) -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
    """Map the opset's codes to kernel opcodes (and constant values); None if some
    operator has no kernel form."""
    opcodes = [_VAR, _COEF]
    consts = [0.0, 0.0]
    for op in opset.operators:
        if op.arity == 0:
            opcodes.append(_CONST)
            consts.append(op.value)
            continue
        code = _OPCODES.get(op.name)
        same = op.numpy is _BUILTIN_NUMPY.get(op.name) or (op.name == "cube" and op.numpy.__module__ == "srkit.core.builtins")
        if code is None or not same:
            return None
        opcodes.append(code)
        consts.append(0.0)
    return np.array(opcodes, dtype=np.int64), np.array(consts, dtype=np.float64)


def run_kernel(
    codes: NDArray[Any], args: NDArray[Any], coefs: NDArray[np.float64],
    opcodes: NDArray[np.int64], consts: NDArray[np.float64], arity: NDArray[Any],
    X: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Values of one prefix program on ``X`` of shape (n_features, n)."""
    return _state["single"](codes, args, coefs, opcodes, consts, arity, X)  # type: ignore[no-any-return]


def run_kernel_batch(
    codes: NDArray[np.int64], args: NDArray[np.int64], coefs: NDArray[np.float64],
    starts: NDArray[np.int64], coef_starts: NDArray[np.int64],
    opcodes: NDArray[np.int64], consts: NDArray[np.float64], arity: NDArray[np.int64],
    X: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Values of many concatenated programs: row ``k`` is program ``k``."""
    fn = _state["batch"]
    return fn(codes, args, coefs, starts, coef_starts, opcodes, consts, arity, X)  # type: ignore[no-any-return]


def _compile() -> None:
    if "single" in _state:
        return
    import numba

    njit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)

    @njit
    def _run(codes, args, coefs, c0, start, stop, opcodes, consts, arity, X, stack):  # type: ignore[no-untyped-def]
        # One loop per node with the operator chosen outside it, so that the
        # arithmetic loops vectorise.
        n = X.shape[1]
        sp = 0
        for i in range(stop - 1, start - 1, -1):
            op = opcodes[codes[i]]
            if op == 0:
                stack[sp, :] = X[args[i]]
                sp += 1
                continue
            if op == 1 or op == 2:
                stack[sp, :] = coefs[c0 + args[i]] if op == 1 else consts[codes[i]]
                sp += 1
                continue
            if arity[codes[i]] == 2:
                a = stack[sp - 1]  # left operand: pushed last
                b = stack[sp - 2]
                if op == 10:
                    for j in range(n):
                        b[j] = a[j] + b[j]
                elif op == 11:
                    for j in range(n):
                        b[j] = a[j] - b[j]
                elif op == 12:
                    for j in range(n):
                        b[j] = a[j] * b[j]
                elif op == 13:
                    for j in range(n):
                        b[j] = a[j] / b[j]
                else:  # pow, with numpy's nan for a negative base and fractional exponent
                    for j in range(n):
                        if a[j] < 0.0 and b[j] != np.floor(b[j]):
                            b[j] = np.nan
                        else:
                            b[j] = a[j] ** b[j]
                sp -= 1
                continue
            x = stack[sp - 1]
            if op == 20:
                for j in range(n):
                    x[j] = -x[j]
            elif op == 21:
                for j in range(n):
                    x[j] = 1.0 / x[j]
            elif op == 22:
                for j in range(n):
                    x[j] = abs(x[j])
            elif op == 23:
                for j in range(n):
                    x[j] = x[j] * x[j]
            elif op == 24:
                for j in range(n):
                    x[j] = x[j] * x[j] * x[j]
            elif op == 25:
                for j in range(n):
                    x[j] = np.sqrt(x[j]) if x[j] >= 0.0 else np.nan
            elif op == 26:
                for j in range(n):
                    x[j] = np.exp(x[j])
            elif op == 27:
                for j in range(n):
                    v = x[j]
                    x[j] = np.log(v) if v > 0.0 else (-np.inf if v == 0.0 else np.nan)
            elif op == 28:
                for j in range(n):
                    x[j] = np.sin(x[j])
            elif op == 29:
                for j in range(n):
                    x[j] = np.cos(x[j])
            elif op == 30:
                for j in range(n):
                    x[j] = np.tan(x[j])
            else:
                for j in range(n):
                    x[j] = np.tanh(x[j])
        return stack[0].copy()

    @njit
    def single(codes, args, coefs, opcodes, consts, arity, X):  # type: ignore[no-untyped-def]
        stack = np.empty((len(codes) + 1, X.shape[1]))
        return _run(codes, args, coefs, 0, 0, len(codes), opcodes, consts, arity, X, stack)

    @njit
    def batch(codes, args, coefs, starts, coef_starts, opcodes, consts, arity, X):  # type: ignore[no-untyped-def]
        m = len(starts) - 1
        out = np.empty((m, X.shape[1]))
        longest = 1
        for k in range(m):
            longest = max(longest, starts[k + 1] - starts[k])
        stack = np.empty((longest + 1, X.shape[1]))
        for k in range(m):
            out[k] = _run(codes, args, coefs, coef_starts[k], starts[k], starts[k + 1],
                          opcodes, consts, arity, X, stack)
        return out

    _state["single"] = single
    _state["batch"] = batch

