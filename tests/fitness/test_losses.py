"""Tests of losses and metrics (srkit.fitness.losses): exact values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from srkit.fitness.losses import LOSSES, get_loss, mae, mse, nmse, r2_loss, r2_score, rmse

Y = np.array([1.0, 2.0, 3.0, 4.0])
P = np.array([1.0, 3.0, 2.0, 6.0])  # residuals 0, 1, -1, 2
W = np.array([1.0, 1.0, 1.0, 2.0])


def test_exact_values() -> None:
    # var(Y) = 1.25, sum r^2 = 6, sum |r| = 4
    assert mse(Y, P) == 1.5
    assert rmse(Y, P) == math.sqrt(1.5)
    assert mae(Y, P) == 1.0
    assert nmse(Y, P) == 1.5 / 1.25
    assert r2_score(Y, P) == 1.0 - 1.5 / 1.25
    assert r2_loss(Y, P) == 1.5 / 1.25  # 1 - R^2 ranks exactly as nmse
    assert mse(Y, Y) == mae(Y, Y) == nmse(Y, Y) == rmse(Y, Y) == 0.0
    assert r2_score(Y, Y) == 1.0
    assert nmse(Y, np.full(4, Y.mean())) == 1.0  # predicting the mean


def test_weighted_values() -> None:
    # weighted: sum w r^2 = 0+1+1+8 = 10, sum w |r| = 6, sum w = 5
    # weighted mean of Y = 14/5 = 2.8, weighted var = (3.24+0.64+0.04+2*1.44)/5 = 1.36
    assert mse(Y, P, W) == 2.0
    assert mae(Y, P, W) == 6 / 5
    assert rmse(Y, P, W) == math.sqrt(2.0)
    assert nmse(Y, P, W) == pytest.approx(2.0 / 1.36, rel=1e-15)
    assert r2_score(Y, P, W) == pytest.approx(1 - 2.0 / 1.36, rel=1e-15)
    assert mse(Y, P, np.ones(4)) == mse(Y, P)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_prediction(bad: float) -> None:
    p = P.copy()
    p[2] = bad
    for name in ("mse", "nmse", "rmse", "mae", "r2"):
        assert LOSSES[name](Y, p, None) == math.inf, name
    assert r2_score(Y, p) == -math.inf


def test_overflow_is_inf_not_a_warning() -> None:
    with np.errstate(all="raise"):
        assert mse(Y, np.full(4, 1e200)) == math.inf


def test_constant_target() -> None:
    y = np.full(3, 2.0)
    assert nmse(y, np.array([2.0, 2.0, 3.0])) == mse(y, np.array([2.0, 2.0, 3.0])) == 1 / 3
    assert r2_score(y, y) == 1.0 and r2_score(y, y + 1) == -math.inf


def test_get_loss() -> None:
    assert get_loss("mse") is mse and get_loss("r2") is r2_loss
    custom = lambda y, p, w: 0.0  # noqa: E731
    assert get_loss(custom) is custom
    with pytest.raises(ValueError, match="unknown loss 'mes'. Did you mean 'mse'"):
        get_loss("mes")
    assert set(LOSSES) == {"mse", "nmse", "rmse", "mae", "r2"}
