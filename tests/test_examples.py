"""The generated demo data is the law it claims, with the noise it claims."""

import numpy as np

from srkit.examples import kinetic_energy_data


def test_kinetic_energy_data_follows_its_law():
    X, y, names, truth = kinetic_energy_data(n=500, noise=0.0, random_state=1)
    m, v, h = X.T
    np.testing.assert_allclose(y, 0.5 * m * v**2 + 9.81 * m * h, rtol=1e-12)
    assert names == ["m", "v", "h"] and "9.81" in truth


def test_noise_is_relative_and_seeded():
    X, y, _, _ = kinetic_energy_data(n=4000, noise=0.01, random_state=2)
    m, v, h = X.T
    clean = 0.5 * m * v**2 + 9.81 * m * h
    ratio = np.std(y - clean) / np.sqrt(np.mean(clean**2))
    assert 0.009 < ratio < 0.011
    assert np.array_equal(kinetic_energy_data(n=10, random_state=3)[1], kinetic_energy_data(n=10, random_state=3)[1])


def test_gravity_data_follows_its_law():
    from srkit.examples import gravity_data

    X, y, names, _ = gravity_data(n=200, noise=0.0, random_state=4)
    m1, m2, r = X.T
    np.testing.assert_allclose(y, 6.674 * m1 * m2 / r**2, rtol=1e-12)
    assert names == ["m1", "m2", "r"]
