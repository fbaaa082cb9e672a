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
    # numba's on-disk cache only works for module-level functions, so the compiled
    # code lives in its own module, imported here on first use.
    from srkit.fitness import _kernel_impl

    _state["single"] = _kernel_impl.single
    _state["batch"] = _kernel_impl.batch
