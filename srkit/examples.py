"""Generated example data sets for the demo, the README and the notebooks."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from srkit.core.rng import RandomState, as_generator

__all__ = ["gravity_data", "kinetic_energy_data"]


def kinetic_energy_data(
    n: int = 200, noise: float = 0.001, random_state: RandomState = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], str]:
    """Mechanical energy ``E = m*v**2/2 + 9.81*m*h`` of a body, with Gaussian noise.

    ``noise`` is relative to the RMS of E.  Returns ``X`` (columns m, v, h), ``y``,
    the feature names and the true law as text.

    Examples
    --------
    >>> X, y, names, truth = kinetic_energy_data(n=5)
    >>> X.shape, names
    ((5, 3), ['m', 'v', 'h'])
    """
    rng = as_generator(random_state)
    m = rng.uniform(0.5, 5.0, n)
    v = rng.uniform(-10.0, 10.0, n)
    h = rng.uniform(0.0, 20.0, n)
    energy = 0.5 * m * v**2 + 9.81 * m * h
    energy = energy + rng.normal(0.0, noise * np.sqrt(np.mean(energy**2)), n)
    return np.column_stack([m, v, h]), energy, ["m", "v", "h"], "E = m*v**2/2 + 9.81*m*h"


def gravity_data(
    n: int = 300, noise: float = 0.01, random_state: RandomState = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], str]:
    """Newton's gravitation in scaled units, ``F = 6.674*m1*m2/r**2``, with Gaussian noise.

    ``noise`` is relative to the RMS of F.  Returns ``X`` (columns m1, m2, r), ``y``,
    the feature names and the true law as text.

    Examples
    --------
    >>> X, y, names, truth = gravity_data(n=4)
    >>> X.shape, names
    ((4, 3), ['m1', 'm2', 'r'])
    """
    rng = as_generator(random_state)
    m1, m2 = rng.uniform(1, 10, n), rng.uniform(1, 10, n)
    r = rng.uniform(1, 5, n)
    force = 6.674 * m1 * m2 / r**2
    force = force + rng.normal(0.0, noise * np.sqrt(np.mean(force**2)), n)
    return np.column_stack([m1, m2, r]), force, ["m1", "m2", "r"], "F = 6.674*m1*m2/r**2"
