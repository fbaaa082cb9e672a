"""Parallel map over candidates through joblib, with a user-chosen backend.

Results come back in input order and each item is computed by a pure function
of (state, item), so ``n_jobs`` never changes a result.  Backends: ``"loky"``
(processes, the default), ``"threading"``, ``"dask"`` (needs a running
``distributed.Client``; joblib then ships the chunks to the cluster).

:func:`one_blas_thread` is the other half of srkit's threading policy: the linear
algebra of a search (a Levenberg-Marquardt SVD of a 1,000 x 15 Jacobian, term
least squares) is on matrices far too small to share between cores, so searches
run it on one thread and parallelise over candidates instead.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, TypeVar

__all__ = ["parallel_map", "one_blas_thread", "BACKENDS"]

T = TypeVar("T")
R = TypeVar("R")

BACKENDS = ("loky", "threading", "multiprocessing", "dask", "sequential")


def parallel_map(
    fn: Callable[[Any, Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    state: Any,
    n_jobs: int = 1,
    backend: str = "loky",
    min_chunk: int = 4,
) -> list[R]:
    """``fn(state, chunk)`` over chunks of ``items``; results flattened in order.

    Examples
    --------
    >>> parallel_map(lambda s, xs: [s + x for x in xs], [1, 2, 3], state=10)
    [11, 12, 13]
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown parallel backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1 (all cores), got {n_jobs}")
    items = list(items)
    if n_jobs == 1 or backend == "sequential" or len(items) < 2 * min_chunk:
        return fn(state, items)
    import joblib

    workers = joblib.cpu_count() if n_jobs == -1 else n_jobs
    n_chunks = max(1, min(len(items) // min_chunk, 4 * workers))
    bounds = [round(i * len(items) / n_chunks) for i in range(n_chunks + 1)]
    chunks = [items[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
        parts = joblib.Parallel()(joblib.delayed(fn)(state, chunk) for chunk in chunks)
    return [r for part in parts for r in part]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS and LAPACK on one thread inside the block; the previous setting afterwards.

    OpenBLAS spreads even tiny problems over every core.  On a 2-core machine with
    another busy process, a Levenberg-Marquardt fit with a 1,000 x 15 Jacobian took
    270 ms with two BLAS threads and 100 ms with one; idle, both took 58 ms
    (benchmarks/notes/results-history-to-2026-12-07.md §9).  Every search runs inside this block
    (:func:`srkit.search.base.run_search`).

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     _ = np.linalg.svd(np.ones((100, 5)))
    """
    global _CONTROLLER, _CONTROLLER_MODULES
    # Finding the loaded BLAS libraries takes ~1 ms, so it is done again only after new
    # modules were imported: the controller limits only the libraries loaded when it
    # was made, and scipy's own OpenBLAS arrives with a later ``import scipy.linalg``
    # (a search started before it ran that BLAS on every core).
    if _CONTROLLER is None or len(sys.modules) != _CONTROLLER_MODULES:
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

        _CONTROLLER = ThreadpoolController()
        _CONTROLLER_MODULES = len(sys.modules)
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield


_CONTROLLER: Any = None
_CONTROLLER_MODULES = 0
