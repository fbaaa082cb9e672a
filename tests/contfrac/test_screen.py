"""Float64 screen: values against exact convergents, flags, classes, box enumeration, n_jobs invariance."""

import numpy as np
import pytest

from srkit.contfrac import PCF
from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.screen import EIGEN_CLASSES, eigenvalue_class, screen, screen_box


def test_box_size_and_order():
    box = CoefficientBox(2, 2, (-5, 5), (-5, 5))
    assert len(box) == 1_768_900  # the blind-delta paper's space
    A, B = box.coefficients(np.array([0, 1, len(box) - 1]))
    assert A[0].tolist() == [-5, -5, -5] and B[1].tolist() == [-4, -5, -5]
    assert A[2].tolist() == [5, 5, 5] and B[2].tolist() == [5, 5, 5]
    A, B = box.block(0, len(box) // 97)
    assert not (A == 0).all(axis=1).any() and not (B == 0).all(axis=1).any()  # a == 0 and b == 0 left out


def test_box_indices_are_a_bijection():
    box = CoefficientBox(1, 1, (-2, 1), (0, 2))
    A, B = box.block(0, len(box))
    rows = {(tuple(a), tuple(b)) for a, b in zip(A.tolist(), B.tolist())}
    assert len(rows) == len(box) == (4 * 4 - 1) * (3 * 3 - 1)


def test_bad_box():
    with pytest.raises(ValueError, match="lower bound"):
        CoefficientBox(1, 1, (3, -3), (0, 1))
    with pytest.raises(ValueError, match="a_deg"):
        CoefficientBox(-1, 1, (0, 1), (0, 1))


def test_screen_matches_exact_convergents():
    rng = np.random.default_rng(0)
    A = rng.integers(-5, 6, (60, 3))
    B = rng.integers(-5, 6, (60, 3))
    A[:, 2] = np.where(A[:, 2] == 0, 1, A[:, 2])
    B[:, 0] = np.where((B == 0).all(axis=1), 1, B[:, 0])
    r = screen(A, B, depth=300)
    checked = 0
    for i in np.nonzero(r.converged & ~r.terminates)[0]:
        exact = float(PCF(A[i].tolist(), B[i].tolist()).limit(300))
        assert r.value[i] == pytest.approx(exact, rel=1e-11, abs=1e-11)
        checked += 1
    assert checked > 20


def test_screen_flags():
    # golden ratio, terminating (b(3) = 0), a complex class that oscillates
    r = screen([[1, 0], [1, 1], [0, 0]], [[1, 0], [-3, 1], [-1, 0]], depth=200)
    assert r.converged.tolist()[0] and r.value[0] == pytest.approx((1 + 5**0.5) / 2)
    assert r.terminates.tolist() == [False, True, False]
    assert not r.converged[2]  # a = 0, b = -1: q alternates 0 / nonzero, no limit


def test_eigenvalue_classes():
    A = np.array([[1, 2, 0], [2, 0, 0], [6, 0, 0], [1, 0, 0], [0, 2, 0]])
    B = np.array([[0, 0, 1], [1, -4, 4], [-1, 4, -4], [1, 0, 0], [0, 0, -1]])
    assert [EIGEN_CLASSES[c] for c in eigenvalue_class(A, B)] == [
        "exponential", "polynomial", "complex", "exponential", "polynomial"]
    assert EIGEN_CLASSES[eigenvalue_class([[0, 1, 0]], [[0, 0, -1]])[0]] == "complex"


@pytest.mark.slow
def test_screen_box_does_not_depend_on_n_jobs_or_blocks():
    box = CoefficientBox(1, 2, (-3, 3), (-3, 3))
    one = screen_box(box, depth=200, n_jobs=1, block_size=5000)
    two = screen_box(box, depth=200, n_jobs=2, block_size=1500)
    assert len(one) == len(box)
    np.testing.assert_array_equal(one.value, two.value)
    np.testing.assert_array_equal(one.converged, two.converged)
