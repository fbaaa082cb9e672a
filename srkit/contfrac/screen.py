"""Vectorised float64 screen of many PCFs: value, error estimate, convergence flag, eigenvalue class.

The recurrence runs in float64 for a whole block of PCFs at once (a numba loop,
``_screen_kernel``), rescaled every 8 steps.  The error estimate is
``max(|x(N) - x(N-1)|, |x(N) - x(N/2)|)``: the first catches oscillation, the
second slow monotone convergence.  float64 holds about 16 digits, so a screen
value is a key for matching, never a result; results are verified exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from srkit.contfrac.box import CoefficientBox

__all__ = ["ScreenResult", "screen", "screen_box", "eigenvalue_class", "EIGEN_CLASSES"]

EIGEN_CLASSES = ("exponential", "polynomial", "complex")


def eigenvalue_class(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Class of the eigenvalues of ``[[0, b(n)], [1, a(n)]]`` for large n, from the leading terms.

    0 = ``"exponential"`` (distinct real moduli: geometric or faster convergence),
    1 = ``"polynomial"`` (equal moduli, real: at best polynomially slow convergence),
    2 = ``"complex"`` (complex pair: the convergents oscillate, no limit in general).

    >>> eigenvalue_class(np.array([[1, 0], [2, 0]]), np.array([[1, 0], [0, -1]])).tolist()
    [0, 2]
    """
    A = np.asarray(A, dtype=np.int64)
    B = np.asarray(B, dtype=np.int64)

    def lead(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nz = C != 0
        deg = np.where(nz.any(axis=1), C.shape[1] - 1 - np.argmax(nz[:, ::-1], axis=1), -1)
        return deg, C[np.arange(C.shape[0]), np.maximum(deg, 0)]

    da, la = lead(A)
    db, lb = lead(B)
    out = np.zeros(A.shape[0], dtype=np.int8)
    a_dominates = 2 * da > db
    b_dominates = 2 * da < db
    out[b_dominates & (lb > 0)] = 1
    out[b_dominates & (lb < 0)] = 2
    tie = ~a_dominates & ~b_dominates
    disc = la.astype(float) ** 2 + 4.0 * lb.astype(float)
    out[tie & (disc == 0)] = 1
    out[tie & (disc < 0)] = 2
    return out


@dataclass
class ScreenResult:
    """Per-PCF arrays of a screen (aligned with the input rows)."""

    value: np.ndarray        # x(depth) in float64
    error: np.ndarray        # error estimate of value
    converged: np.ndarray    # finite and error <= rtol * max(1, |value|)
    terminates: np.ndarray   # b(k) == 0 for some 1 <= k <= depth: the value is rational
    eig_class: np.ndarray    # index into EIGEN_CLASSES
    depth: int

    def __len__(self) -> int:
        return int(self.value.shape[0])

    @staticmethod
    def concat(parts: list["ScreenResult"]) -> "ScreenResult":
        if not parts:
            raise ValueError("nothing to concatenate")
        fields = ("value", "error", "converged", "terminates", "eig_class")
        arrays = {f: np.concatenate([getattr(p, f) for p in parts]) for f in fields}
        return ScreenResult(**arrays, depth=parts[0].depth)


def _run_kernel(A: np.ndarray, B: np.ndarray, depth: int, rtol: float) -> ScreenResult:
    from srkit.contfrac._screen_kernel import screen_block

    n = A.shape[0]
    x = np.empty(n)
    err = np.empty(n)
    term = np.empty(n, dtype=np.bool_)
    screen_block(np.ascontiguousarray(A.T, dtype=np.float64), np.ascontiguousarray(B.T, dtype=np.float64),
                 int(depth), x, err, term)
    with np.errstate(invalid="ignore"):
        conv = np.isfinite(x) & np.isfinite(err) & (err <= rtol * np.maximum(1.0, np.abs(x)))
    return ScreenResult(x, err, conv, term, eigenvalue_class(A, B), int(depth))


def screen(A: Any, B: Any, depth: int = 1000, *, rtol: float = 1e-10) -> ScreenResult:
    """Screen the PCFs with coefficient rows ``A[i]``, ``B[i]`` (lowest degree first) in float64.

    Examples
    --------
    >>> r = screen([[1, 2, 0], [1, 0, 0]], [[0, 0, 1], [1, 0, 0]], depth=400)
    >>> np.round(r.value, 10).tolist(), r.converged.tolist()
    ([1.2732395447, 1.6180339887], [True, True])
    """
    A = np.atleast_2d(np.asarray(A, dtype=np.int64))
    B = np.atleast_2d(np.asarray(B, dtype=np.int64))
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A has {A.shape[0]} rows but B has {B.shape[0]}; give one row per PCF")
    if depth < 2:
        raise ValueError(f"depth must be at least 2, got {depth}")
    return _run_kernel(A, B, depth, rtol)


def _screen_blocks(state: tuple[CoefficientBox, int, float, int], blocks: Sequence[int]) -> list[ScreenResult]:
    box, depth, rtol, size = state
    out = []
    for k in blocks:
        A, B = box.block(k * size, (k + 1) * size)
        out.append(_run_kernel(A, B, depth, rtol))
    return out


def screen_box(box: CoefficientBox, depth: int = 1000, *, rtol: float = 1e-10, n_jobs: int = 1,
               block_size: int = 65536, blocks: list[int] | None = None, backend: str = "threading") -> ScreenResult:
    """Screen every PCF of ``box`` (or only the given blocks of ``block_size`` indices), in parallel over blocks.

    The result does not depend on ``n_jobs``: each block is a pure function of its index.
    The default backend is threads: the numba kernel releases the GIL, and threads start
    instantly, where new worker processes would first import srkit and load the kernel.

    >>> box = CoefficientBox(1, 1, (-1, 1), (-1, 1))
    >>> r = screen_box(box, depth=200)
    >>> len(r), int(r.converged.sum()) > 0
    (64, True)
    """
    from srkit.fitness.parallel import parallel_map

    n_blocks = -(-len(box) // block_size)
    ids = list(range(n_blocks)) if blocks is None else list(blocks)
    parts = parallel_map(_screen_blocks, ids, state=(box, int(depth), float(rtol), int(block_size)),
                         n_jobs=n_jobs, backend=backend, min_chunk=1)
    return ScreenResult.concat(parts)
