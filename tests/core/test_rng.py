"""Tests of random-state handling (srkit.core.rng)."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import as_generator, spawn


def test_as_generator() -> None:
    g = np.random.default_rng(3)
    assert as_generator(g) is g
    assert as_generator(5).integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)
    assert as_generator(np.int64(5)).integers(1 << 30) == as_generator(5).integers(1 << 30)
    ss = np.random.SeedSequence(9)
    assert as_generator(ss).random() == np.random.default_rng(np.random.SeedSequence(9)).random()
    assert isinstance(as_generator(None), np.random.Generator)


@pytest.mark.parametrize(("bad", "error"), [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)])
def test_as_generator_rejects(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="random_state"):
        as_generator(bad)  # type: ignore[arg-type]


def test_spawn_is_reproducible_and_independent() -> None:
    a = [g.random() for g in spawn(np.random.default_rng(1), 3)]
    b = [g.random() for g in spawn(np.random.default_rng(1), 3)]
    assert a == b and len(set(a)) == 3
