"""Losses and metrics: the one place each is defined.

A loss takes ``(y_true, y_pred, weights)`` and returns a float, lower is better;
a non-finite prediction gives ``inf``.  ``r2`` as a loss is ``1 - R^2``.

The IC family works on panels, arrays of shape (dates, assets) with gaps (nan):
``daily_ic`` / ``daily_rank_ic`` give one cross-sectional correlation per date
over the assets where both arrays are finite, and the losses built on them are
``nan_aware`` (the Evaluator lets partial factor values through to them).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.operators import suggest

__all__ = [
    "LOSSES", "get_loss", "mse", "nmse", "rmse", "mae", "r2_loss", "r2_score", "Loss",
    "cs_rank", "daily_ic", "daily_rank_ic", "rank_ic_loss", "MIN_ASSETS", "RankICLoss",
]

Array = NDArray[np.float64]
Loss = Callable[[Array, Array, "Array | None"], float]


def _mean(values: Array, weights: Array | None) -> float:
    if weights is None:
        return float(np.mean(values))
    return float(np.dot(values, weights) / weights.sum())


def _finite_or_inf(value: float) -> float:
    return value if np.isfinite(value) else float("inf")


def mse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean squared error.

    >>> mse(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    2.0
    """
    with np.errstate(all="ignore"):
        r = y_pred - y
        return _finite_or_inf(_mean(r * r, weights))


def rmse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Root mean squared error."""
    return float(np.sqrt(mse(y, y_pred, weights)))


def nmse(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean squared error divided by the variance of ``y`` (1.0 for predicting the mean)."""
    var = _mean((y - _mean(y, weights)) ** 2, weights)
    return mse(y, y_pred, weights) / var if var > 0 else mse(y, y_pred, weights)


def mae(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Mean absolute error."""
    with np.errstate(all="ignore"):
        return _finite_or_inf(_mean(np.abs(y_pred - y), weights))


def r2_score(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """Coefficient of determination R^2 (1 is perfect; -inf for non-finite predictions).

    >>> r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    err = mse(y, y_pred, weights)
    var = _mean((y - _mean(y, weights)) ** 2, weights)
    if not np.isfinite(err):
        return float("-inf")
    if var == 0:
        return 1.0 if err == 0 else float("-inf")
    return 1.0 - err / var


def r2_loss(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """``1 - R^2`` (the same ranking as nmse)."""
    return 1.0 - r2_score(y, y_pred, weights)


#: Fewest assets with both values finite for a date's IC to count (else nan).
MIN_ASSETS = 5


def cs_rank(values: Array) -> Array:
    """Cross-sectional percentile ranks per date (row) of a (dates, assets) array.

    Ties get their average rank, non-finite values stay nan, ranks are in (0, 1].

    >>> cs_rank(np.array([[3.0, 1.0, np.nan, 2.0]])).tolist()
    [[1.0, 0.3333333333333333, nan, 0.6666666666666666]]
    """
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    finite = np.isfinite(v)
    # missing values sort last as +inf: with no nan in the rows numpy's vectorised
    # argsort applies, about 5x faster than on rows holding nans (or pandas' rank)
    key = np.where(finite, v, np.inf)
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    n_cols = v.shape[1]
    position = np.broadcast_to(np.arange(n_cols), v.shape)
    # a tie is a run of equal sorted values; each gets the mean of its run's positions
    starts = np.ones(v.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones(v.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, position, n_cols - 1)[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(all="ignore"):
        pct = ((first + last) / 2.0 + 1.0) / finite.sum(axis=1, keepdims=True)
    out = np.empty_like(v)
    np.put_along_axis(out, order, pct, axis=1)
    out[~finite] = np.nan
    return out


def _row_corr(a: Array, b: Array) -> Array:
    """Pearson correlation per row over the columns where both are finite."""
    ok = np.isfinite(a) & np.isfinite(b)
    n = ok.sum(axis=1)
    with np.errstate(all="ignore"):
        a0 = np.where(ok, a, 0.0)
        b0 = np.where(ok, b, 0.0)
        ma = a0.sum(axis=1) / n
        mb = b0.sum(axis=1) / n
        da = np.where(ok, a0 - ma[:, None], 0.0)
        db = np.where(ok, b0 - mb[:, None], 0.0)
        corr = (da * db).sum(axis=1) / np.sqrt((da * da).sum(axis=1) * (db * db).sum(axis=1))
    corr[(n < MIN_ASSETS) | ~np.isfinite(corr)] = np.nan
    return corr  # type: ignore[no-any-return]


def daily_ic(y: Array, y_pred: Array) -> Array:
    """Information coefficient per date: Pearson correlation across assets.

    >>> y = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    >>> daily_ic(y, 2 * y).round(12).tolist()
    [1.0]
    """
    y, y_pred = np.atleast_2d(y), np.atleast_2d(y_pred)
    return _row_corr(y_pred, y)


def _ranks_within(values: Array, ranks: Array, finite: Array, keep: Array) -> Array:
    """Cross-sectional ranks of ``values`` among the cells ``keep`` (a subset of
    ``finite``), reusing ``ranks`` (the ranks among all finite cells) on the rows where
    nothing is dropped: for a factor and its labels that is almost every date."""
    out = np.where(keep, ranks, np.nan)
    redo = (keep != finite).any(axis=1) & keep.any(axis=1)
    if redo.any():
        out[redo] = cs_rank(np.where(keep[redo], values[redo], np.nan))
    return out


def daily_rank_ic(y: Array, y_pred: Array) -> Array:
    """Rank IC per date: Spearman correlation across the assets where both are finite.

    >>> y = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    >>> daily_rank_ic(y, y ** 3).round(12).tolist()
    [1.0]
    """
    y, y_pred = np.atleast_2d(y), np.atleast_2d(y_pred)
    return _rank_ic_given_ranks(y, y_pred, cs_rank(y), cs_rank(y_pred))


def _rank_ic_given_ranks(y: Array, y_pred: Array, y_ranks: Array, pred_ranks: Array) -> Array:
    """:func:`daily_rank_ic` from each array's ranks among its own finite values (which
    a caller may have computed once for many calls, as :class:`RankICLoss` does for the labels)."""
    finite_y, finite_pred = np.isfinite(y), np.isfinite(y_pred)
    both = finite_y & finite_pred
    return _row_corr(_ranks_within(y_pred, pred_ranks, finite_pred, both), _ranks_within(y, y_ranks, finite_y, both))


def rank_ic_loss(y: Array, y_pred: Array, weights: Array | None = None) -> float:
    """``1 - |mean daily rank IC|`` (a factor and its negative are equally good);
    ``inf`` when no date has enough finite values.

    >>> y = np.arange(10.0).reshape(2, 5)
    >>> rank_ic_loss(y, -y)
    0.0
    """
    ic = daily_rank_ic(y, y_pred)
    if not np.isfinite(ic).any():
        return float("inf")
    return 1.0 - abs(float(np.nanmean(ic)))


rank_ic_loss.nan_aware = True  # type: ignore[attr-defined]


class RankICLoss:
    """Rank-IC fitness with a diversity penalty, for mining factors one after another:

        1 - |mean daily rank IC| + penalty * max_k |mean daily rank corr with avoid[k]|

    On real stock data (rank ICs 0.01-0.03) the added correlation term dominates once
    the pool has two or three members.  A penalty relative to the IC,
    ``1 - |IC| (1 - penalty * corr)``, was measured as well: it mined pools that fit
    train and validation better and test worse (S&P 500,
    benchmarks/notes/results-history-to-2026-12-07.md §8), so the additive form is kept.

    ``avoid`` are factors already found (dates, assets); ``stride`` scores every
    ``stride``-th date only (search speed; the final metrics use every date).
    A date where the factor covers less than ``min_coverage`` of the assets with a
    label counts as IC 0 (no forecast), so a factor defined on a handful of
    assets cannot win on a few lucky cross-sections.

    With ``blocks = k > 1`` the labelled dates are cut into ``k`` consecutive blocks
    and ``|mean daily rank IC|`` becomes the *worst* block's mean IC in the direction
    of the overall one (negative when a block disagrees): a factor must hold in every
    sub-period of the train data, not on average over it, which is what carries into
    later years.

    Examples
    --------
    >>> y = np.arange(20.0).reshape(4, 5) % 7
    >>> RankICLoss()(y, y) , RankICLoss(avoid=[y], penalty=0.5)(y, y)
    (0.0, 0.5)
    >>> flip = np.vstack([y[:2], -y[2:]])  # perfect in the first half, reversed in the second
    >>> RankICLoss()(y, flip), RankICLoss(blocks=2)(y, flip)
    (1.0, 2.0)
    """

    nan_aware = True

    def __init__(self, *, avoid: Sequence[Array] = (), penalty: float = 0.0, stride: int = 1,
                 min_coverage: float = 0.5, blocks: int = 1) -> None:
        if stride < 1 or penalty < 0 or not 0 <= min_coverage <= 1 or blocks < 1:
            raise ValueError("stride and blocks must be >= 1, penalty >= 0 and min_coverage in [0, 1]")
        self.stride = stride
        self.blocks = blocks
        self.min_coverage = min_coverage
        self.penalty = penalty
        self._avoid = [cs_rank(np.atleast_2d(a)[::stride]) for a in avoid] if penalty else []
        self._labels: tuple[Array, Array] | None = None  # (labels, their ranks): the same every call

    def _label_ranks(self, y: Array) -> Array:
        if self._labels is None or self._labels[0] is not y:
            self._labels = (y, cs_rank(np.atleast_2d(y)[:: self.stride]))
        return self._labels[1]

    def __call__(self, y: Array, y_pred: Array, weights: Array | None = None) -> float:
        label_ranks = self._label_ranks(y)
        y, y_pred = np.atleast_2d(y)[:: self.stride], np.atleast_2d(y_pred)[:: self.stride]
        pred_ranks = cs_rank(y_pred)  # also what the diversity penalty correlates
        ic = _rank_ic_given_ranks(y, y_pred, label_ranks, pred_ranks)
        if not np.isfinite(ic).any():
            return float("inf")
        finite_y = np.isfinite(y)
        labelled = finite_y.sum(axis=1)
        covered = (finite_y & np.isfinite(y_pred)).sum(axis=1)
        ic = np.where(np.isfinite(ic) & (covered >= self.min_coverage * labelled), ic, 0.0)
        ic = ic[labelled > 0]
        mean = float(ic.mean())
        if self.blocks > 1 and len(ic) >= self.blocks:
            sign = 1.0 if mean >= 0 else -1.0
            loss = 1.0 - min(sign * float(b.mean()) for b in np.array_split(ic, self.blocks))
        else:
            loss = 1.0 - abs(mean)
        if self._avoid:
            corr = [float(np.nanmean(c)) if np.isfinite(c := _row_corr(pred_ranks, a)).any() else 0.0
                    for a in self._avoid]
            loss += self.penalty * max(abs(c) for c in corr)
        return loss

# the rank-IC losses are for panels (srkit.alpha passes them as objects), not for `srkit fit`
# ``power``: the loss is proportional to the residuals' scale to this power (mse: 2,
# rmse and mae: 1); "mdl" model selection and significance snapping read it.  Losses
# without it (the rank-IC family) are not likelihoods, and those two fall back.
for _loss, _power in ((mse, 2.0), (nmse, 2.0), (r2_loss, 2.0), (rmse, 1.0), (mae, 1.0)):
    _loss.power = _power  # type: ignore[attr-defined]

LOSSES: dict[str, Loss] = {"mse": mse, "nmse": nmse, "rmse": rmse, "mae": mae, "r2": r2_loss}


def get_loss(loss: str | Loss) -> Loss:
    """Look up a loss by name, or pass a callable through."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}.{suggest(str(loss), LOSSES)} Known: {', '.join(LOSSES)}")
    return LOSSES[loss]
