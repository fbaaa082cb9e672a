"""Compiled (numba) code of :mod:`srkit.fitness.kernel`; imported on first use only.

Kept at module level so that numba's on-disk cache (``cache=True``) works: a new
process then loads the machine code instead of compiling it again.
"""

from __future__ import annotations

import numba
import numpy as np

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
