"""Convergence-dynamics metrics of the blind-delta method, computed from exact integers.

For a sampling depth ``N`` (1000 in the paper) and final depth ``2N`` the metrics
are (natural logs; the reference code's lists start at p(-1), so its "n" is the
convergent n-1 and its limit is x(2N-1); we keep that indexing so that values
match the published ones):

* ``fr_delta`` / ``naive_delta``: delta at n = N with q reduced by gcd(p, q) / not reduced.
* ``c``, ``d``: least-squares fit ``log q~(n) = c n + d n log n`` at n in {6, N/8, N/4, N/2, N};
  if ``|d| < 0.05`` the PCF counts as factorially reduced and ``c n`` alone is refitted (d = 0).
* ``eig_ratio``: ``log|lambda+/lambda-|`` of ``[[0, b(n)], [1, a(n)]]`` at ``n = limit_n`` (1e9);
  ``complex_eig`` is True when the eigenvalues are complex (the ratio is then 1, log 0).
* ``predicted_delta``: ``|eig_ratio| / (c + d log n) - 1`` at ``n = limit_n``.
* ``conv_b``, ``conv_c``, ``conv_d``: fit ``log|L - x(n)| = b log n + c n + d n log n`` at the same n.

Only the products between the six checkpoints are formed, and every log of a
huge integer comes from its bit length, so one PCF takes milliseconds instead
of the seconds that 100,000-bit floats and a gcd per step cost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np

from srkit.contfrac import exact

if TYPE_CHECKING:
    from srkit.contfrac.pcf import PCF

__all__ = ["BlindMetrics", "blind_metrics", "METRIC_NAMES"]

METRIC_NAMES = (
    "fr_delta", "naive_delta", "c", "d", "eig_ratio", "predicted_delta", "conv_b", "conv_c", "conv_d",
)
_FR_THRESHOLD = 0.05  # |d| below this: factorial reduction, refit without the n log n term


@dataclass(frozen=True)
class BlindMetrics:
    """The blind-delta metrics of one PCF (see the module docstring for the definitions)."""

    limit: float
    fr_delta: float
    naive_delta: float
    c: float
    d: float
    eig_ratio: float
    complex_eig: bool
    predicted_delta: float
    conv_b: float
    conv_c: float
    conv_d: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for CSV/JSON)."""
        return asdict(self)


def _lstsq(columns: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    X = np.column_stack(columns)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def eigen_log_ratio(a: tuple[int, ...], b: tuple[int, ...], n: float = 1e9) -> tuple[float, bool]:
    """``(log|lambda+/lambda-|, complex)`` for ``[[0, b(n)], [1, a(n)]]`` at a large ``n``.

    >>> round(eigen_log_ratio((1,), (1,))[0], 4)   # golden ratio: log(phi^2)
    0.9624
    """
    if float(n).is_integer():
        # exact integers: a(n) and b(n) at n = 1e9 overflow float64 from degree ~35 on, and the
        # discriminant of a "polynomial" class PCF cancels in its leading terms
        N = int(n)
        A = sum(c * N**i for i, c in enumerate(a))
        B = sum(c * N**i for i, c in enumerate(b))
        disc = A * A + 4 * B
        if disc < 0:
            return 0.0, True
        with mpmath.workdps(30):
            root = mpmath.sqrt(mpmath.mpf(disc))
            mA = mpmath.mpf(A)
            big = (mA + (root if A >= 0 else -root)) / 2 if A != 0 else root / 2
    else:
        with mpmath.workdps(60):
            x = mpmath.mpf(n)
            mA = mpmath.fsum(mpmath.mpf(c) * x**i for i, c in enumerate(a))
            B = mpmath.fsum(mpmath.mpf(c) * x**i for i, c in enumerate(b))
            disc = mA * mA + 4 * B
            if disc < 0:
                return 0.0, True
            root = mpmath.sqrt(disc)
            big = (mA + (root if mA >= 0 else -root)) / 2 if mA != 0 else root / 2
    if big == 0:
        return 0.0, False
    if B == 0:
        return math.inf, False
    # lambda+ lambda- = -B, so |lambda+/lambda-| = big**2/|B| (no cancellation in (A - root)/2)
    with mpmath.workdps(30):
        return float(2 * mpmath.log(abs(big)) - mpmath.log(abs(mpmath.mpf(B)))), False


def blind_metrics(pcf: "PCF", depth: int = 1000, limit_n: float = 1e9) -> BlindMetrics:
    """Blind-delta metrics of ``pcf`` sampled at ``depth`` (the limit is taken at ``2*depth``).

    Examples
    --------
    >>> from srkit.contfrac import PCF
    >>> m = blind_metrics(PCF("2*n+1", "n**2"))   # 4/pi
    >>> round(m.fr_delta, 3), round(m.c, 3), m.d
    (-0.203, 2.201, 0.0)
    """
    import gmpy2

    N = int(depth)
    if N < 16:
        raise ValueError(f"depth must be at least 16 for the five fit points, got {depth}")
    ns = np.array([6, N // 8, N // 4, N // 2, N], dtype=float)
    idx = [int(k) - 1 for k in ns]  # the reference code's "n" is convergent n-1
    last = 2 * N - 1
    walks = exact.walk(pcf.a, pcf.b, idx + [last])
    Lm = walks[last]
    log_q_red, log_q, log_err = [], [], []
    for i in idx:
        m = walks[i]
        if m[3] == 0:  # x(i) is undefined (a pole of the fraction): left out of the fits below
            log_q.append(math.nan)
            log_q_red.append(math.nan)
            log_err.append(math.nan)
            continue
        g = gmpy2.gcd(m[1], m[3])
        lq = exact.log_abs(m[3])
        log_q.append(lq)
        log_q_red.append(lq - exact.log_abs(g))
        log_err.append(exact.log_abs_diff(Lm, m) if Lm[3] != 0 else math.nan)
    log_q_red_a = np.array(log_q_red)
    err = np.array(log_err)
    q_last = Lm[3]
    limit = exact.ratio_float(Lm[1], q_last)
    fr = -1.0 - err[-1] / log_q_red[-1] if log_q_red[-1] > 0 else math.nan
    naive = -1.0 - err[-1] / log_q[-1] if log_q[-1] > 0 else math.nan

    ok = np.isfinite(log_q_red_a)
    if ok.sum() >= 2:
        c, d = _lstsq([ns[ok], ns[ok] * np.log(ns[ok])], log_q_red_a[ok])
        if abs(d) < _FR_THRESHOLD:
            c, d = float(_lstsq([ns[ok]], log_q_red_a[ok])[0]), 0.0
    else:  # too few defined convergents to fit the growth of q
        c = d = math.nan
    finite = np.isfinite(err)
    if finite.sum() >= 3:
        cb, cc, cd = _lstsq([np.log(ns[finite]), ns[finite], ns[finite] * np.log(ns[finite])], err[finite])
    else:  # the fraction terminated (x(n) = L exactly) or its convergents are undefined
        cb = cc = cd = math.nan
    ratio, cplx = eigen_log_ratio(pcf.a, pcf.b, limit_n)
    growth = c + d * math.log(limit_n)
    pred = abs(ratio) / growth - 1.0 if (growth != 0 and math.isfinite(growth) and not cplx) else math.nan
    return BlindMetrics(
        limit=limit, fr_delta=float(fr), naive_delta=float(naive), c=float(c), d=float(d),
        eig_ratio=float(ratio), complex_eig=cplx, predicted_delta=float(pred),
        conv_b=float(cb), conv_c=float(cc), conv_d=float(cd),
    )
