"""Blind-delta metrics reproduce the reference values of the authors' code (brief, metric fixture table)."""

import math

import pytest

from srkit.contfrac import PCF, blind_metrics
from srkit.contfrac.metrics import eigen_log_ratio

# (a, b): FR_Delta, Pred delta, c, d, log eig, conv_b, conv_c, conv_d
FIXTURES = [
    ("2*n+1", "n**2", (-0.2027, -0.1993, 2.2014, 0, 1.7627, 0.3258, -1.7774, 0.0019)),
    ("3*n+2", "-2*n**2", (-0.5840, -0.5874, 1.6799, 0, 0.6931, -0.7615, -0.7011, 0.0010)),
    ("n+4", "-n", (0.0049, 0.0671, -0.8400, 0.9776, 20.723, -5.2444, 0.9968, -0.9996)),
    ("1", "1", (1.0017, 1.0047, 0.4801, 0, 0.9624, 0.3624, -0.9791, 0.0022)),
]
FIELDS = ("fr_delta", "predicted_delta", "c", "d", "eig_ratio", "conv_b", "conv_c", "conv_d")


@pytest.mark.parametrize("a,b,expected", FIXTURES, ids=[f"{a};{b}" for a, b, _ in FIXTURES])
def test_metric_fixtures(a, b, expected):
    m = blind_metrics(PCF(a, b))
    for name, want in zip(FIELDS, expected):
        assert getattr(m, name) == pytest.approx(want, abs=1e-3), name
    assert not m.complex_eig


def test_limit_and_naive_delta():
    m = PCF("2*n+1", "n**2").metrics()
    assert m.limit == pytest.approx(4 / math.pi, rel=1e-15)
    assert m.naive_delta < m.fr_delta  # the unreduced q is larger, so delta is smaller
    assert set(m.to_dict()) >= set(FIELDS)


def test_complex_eigenvalues_flagged():
    ratio, cplx = eigen_log_ratio((1,), (0, 0, -1))
    assert cplx and ratio == 0.0


def test_depth_must_allow_five_points():
    with pytest.raises(ValueError, match="at least 16"):
        blind_metrics(PCF(1, 1), depth=8)
