"""Parallel map over candidates through joblib, with a user-chosen backend.

Results come back in input order and each item is computed by a pure function
of (state, item), so ``n_jobs`` never changes a result.  Backends: ``"loky"``
(processes, the default), ``"threading"``, ``"dask"`` (needs a running
``distributed.Client``; joblib then ships the chunks to the cluster).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

__all__ = ["parallel_map", "BACKENDS"]

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
