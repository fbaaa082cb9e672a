"""Random state handling: one ``numpy.random.Generator`` passed everywhere."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "spawn", "RandomState"]

RandomState = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(random_state: RandomState) -> np.random.Generator:
    """Turn ``None``, an int seed, a SeedSequence or a Generator into a Generator.

    Examples
    --------
    >>> as_generator(0).random() == as_generator(0).random()
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if int(random_state) < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        "random_state must be None, a non-negative int or a numpy.random.Generator, "
        f"got {type(random_state).__name__}"
    )


def spawn(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """Split ``rng`` into ``n`` independent child generators (before any parallel dispatch)."""
    return list(rng.spawn(n))
