"""The numba loop of the float64 screen (module level so numba's disk cache works).

PCFs are processed in blocks of ``_W`` that stay in L1 cache; the inner loops run
over the block, so LLVM vectorises them.  Every 8 steps the four recurrence
values of each PCF are divided by ``|p| + |q|``: the ratios are unchanged and
nothing overflows (a step grows them by at most about ``|a| + |b|``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_W = 512


@njit(cache=True, nogil=True, error_model="numpy")
def _differences(C, s, m, out):  # pragma: no cover - compiled
    """Forward-difference table of each polynomial at k = 1: out[j, i] = (Delta^j c)(1)."""
    deg = C.shape[0]
    for i in range(m):
        for j in range(deg):  # values at k = 1..deg
            kf = float(j + 1)
            v = 0.0
            for t in range(deg - 1, -1, -1):
                v = v * kf + C[t, s + i]
            out[j, i] = v
        for j in range(1, deg):  # in-place differences
            for t in range(deg - 1, j - 1, -1):
                out[t, i] = out[t, i] - out[t - 1, i]


@njit(cache=True, nogil=True, error_model="numpy")
def screen_block(A, B, depth, out_x, out_err, out_term):  # pragma: no cover - compiled
    """A, B: float64 (deg+1, n) coefficients (lowest first); fills x(depth), error estimate, b(k)=0 flag.

    a(k), b(k) are stepped by forward differences (exact: integers below 2**53),
    which costs deg additions per step instead of a polynomial evaluation.
    """
    n = A.shape[1]
    da = A.shape[0]
    db = B.shape[0]
    half = depth // 2
    p0 = np.empty(_W)
    p1 = np.empty(_W)
    q0 = np.empty(_W)
    q1 = np.empty(_W)
    Da = np.empty((da, _W))
    Db = np.empty((db, _W))
    xh = np.empty(_W)
    xp = np.empty(_W)
    term = np.zeros(_W, dtype=np.bool_)
    for s in range(0, n, _W):
        m = min(_W, n - s)
        _differences(A, s, m, Da)
        _differences(B, s, m, Db)
        for i in range(m):
            p0[i] = 1.0
            q0[i] = 0.0
            p1[i] = A[0, s + i]
            q1[i] = 1.0
            term[i] = False
            xh[i] = np.nan
            xp[i] = np.nan
        for k in range(1, depth + 1):
            for i in range(m):
                a = Da[0, i]
                b = Db[0, i]
                np_ = a * p1[i] + b * p0[i]
                nq = a * q1[i] + b * q0[i]
                p0[i] = p1[i]
                q0[i] = q1[i]
                p1[i] = np_
                q1[i] = nq
                term[i] = term[i] | (b == 0.0)
            for j in range(da - 1):
                for i in range(m):
                    Da[j, i] += Da[j + 1, i]
            for j in range(db - 1):
                for i in range(m):
                    Db[j, i] += Db[j + 1, i]
            if k % 8 == 0:
                for i in range(m):
                    sc = abs(p1[i]) + abs(q1[i])
                    if sc > 0.0 and sc < np.inf:
                        r = 1.0 / sc
                        p0[i] *= r
                        p1[i] *= r
                        q0[i] *= r
                        q1[i] *= r
            if k == half:
                for i in range(m):
                    xh[i] = p1[i] / q1[i]
            if k == depth - 1:
                for i in range(m):
                    xp[i] = p1[i] / q1[i]
        for i in range(m):
            x = p1[i] / q1[i]
            out_x[s + i] = x
            out_err[s + i] = max(abs(x - xp[i]), abs(x - xh[i]))
            out_term[s + i] = term[i]
