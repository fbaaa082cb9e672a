"""Tests of the joblib parallel map (srkit.fitness.parallel)."""

from __future__ import annotations

import threading
from typing import Any, Sequence

import pytest

from srkit.fitness.parallel import BACKENDS, parallel_map


def _square_chunk(offset: int, items: Sequence[int]) -> list[int]:
    return [offset + x * x for x in items]


def _threads_chunk(_: Any, items: Sequence[int]) -> list[int]:
    return [threading.get_ident() for _ in items]


def test_serial_docstring_example() -> None:
    assert parallel_map(lambda s, xs: [s + x for x in xs], [1, 2, 3], state=10) == [11, 12, 13]


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_threading_keeps_order(n_jobs: int) -> None:
    items = list(range(50))
    out = parallel_map(_square_chunk, items, state=7, n_jobs=n_jobs, backend="threading", min_chunk=1)
    assert out == [7 + x * x for x in items]


def test_work_is_spread_over_threads() -> None:
    out = parallel_map(_threads_chunk, list(range(64)), state=None, n_jobs=2, backend="threading", min_chunk=1)
    assert len(out) == 64  # chunks ran (possibly on more than one thread) and all came back


def test_small_inputs_run_serially_in_the_caller() -> None:
    me = threading.get_ident()
    out = parallel_map(_threads_chunk, list(range(7)), state=None, n_jobs=2, backend="threading")
    assert out == [me] * 7  # fewer than 2 * min_chunk items
    assert parallel_map(_threads_chunk, list(range(40)), state=None, n_jobs=2, backend="sequential") == [me] * 40
    assert parallel_map(_square_chunk, [], state=0, n_jobs=2) == []


def test_validation() -> None:
    with pytest.raises(ValueError, match="unknown parallel backend 'ray'; use one of loky"):
        parallel_map(_square_chunk, [1], state=0, backend="ray")
    for bad in (0, -2):
        with pytest.raises(ValueError, match="n_jobs must be a positive int or -1"):
            parallel_map(_square_chunk, [1], state=0, n_jobs=bad)
    assert "loky" in BACKENDS and "threading" in BACKENDS


@pytest.mark.slow
def test_loky_keeps_order() -> None:
    items = list(range(40))
    assert parallel_map(_square_chunk, items, state=1, n_jobs=2, backend="loky") == [1 + x * x for x in items]
