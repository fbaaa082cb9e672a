"""Panel operators: time-series (``ts_*``), cross-sectional (``cs_*``) and elementwise.

A panel value is a float64 array of shape (dates, assets), dates ascending.
Every operator here is vectorised over the whole panel, treats nan as missing
and never reads a later row into an earlier one: the value at date t depends
only on rows <= t (tests/alpha/test_leakage.py checks this for every operator).

Windows are integers and part of the operator: ``ts_mean(close, 5)`` is the
unary operator ``ts_mean_5`` applied to ``close``.  One table, :data:`TS_UNARY`
and :data:`TS_BINARY`, generates the operator for every window in
:data:`WINDOWS`; its ``text`` template prints it back as ``ts_mean(close, 5)``
and the parser reads that form (and the dialect aliases ``Mean``, ``Ref``,
``delay``, ...).  A window never becomes a fitted coefficient.

Conventions (the dialects differ; these are srkit's, one each):

- a time-series window needs all of its ``d`` values finite, else nan;
- ``ts_std`` and ``ts_var`` use ddof=1 (pandas), ``ts_skew``/``ts_kurt`` pandas'
  bias-corrected estimators;
- ``ts_rank``: percentile rank of today's value in its window, in (0, 1]
  (Qlib's time-series ``Rank``); ``cs_rank`` is the cross-sectional one (101's ``rank``);
- ``ts_argmax``/``ts_argmin``: 1-based position of the extreme in the window,
  oldest day = 1, today = d (Qlib ``IdxMax``);
- ``ts_decay_linear``: weights d, d-1, ..., 1 from today back, normalised (101's
  ``decay_linear``, AlphaGen's ``WMA``); ``ts_ema``: weights alpha^k within the
  window, alpha = 1 - 2/(d+1), normalised (AlphaGen's windowed ``EMA``);
- ``ts_slope``/``ts_rsquare``/``ts_resi``: least-squares line of the window
  against time (Qlib ``Slope``/``Rsquare``/``Resi``; resi is today's residual);
- an operator applied to a constant is nan: it carries no cross-sectional information.
"""

from __future__ import annotations

import warnings

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from srkit.core.builtins import default_registry
from srkit.core.operators import Operator, OperatorRegistry

__all__ = [
    "WINDOWS", "TS_UNARY", "TS_BINARY", "CS_OPERATORS", "GROUP_OPERATORS", "ELEMENTWISE", "alpha_registry",
    "SEARCH_WINDOWS",
]

Array = NDArray[np.float64]

#: Windows every time-series operator is generated for.
WINDOWS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 120)
#: The windows a mining search uses by default (AlphaGen's HEAD set plus 60).
SEARCH_WINDOWS: tuple[int, ...] = (5, 10, 20, 40)


# ---------------------------------------------------------------- helpers
def _panel(x: Any) -> Array | None:
    """x as a 2-D float array (a 1-D array is one asset); None for a constant."""
    if np.ndim(x) == 0:
        return None
    a = np.asarray(x, dtype=np.float64)
    return a.reshape(-1, 1) if a.ndim == 1 else a


def _like(out: Array, x: Any) -> Array:
    return out.reshape(np.shape(x)) if np.ndim(x) == 1 else out


def _clean(a: Array) -> Array:
    return np.where(np.isfinite(a), a, np.nan)


def _rolling_frame(a: Array, d: int) -> Any:
    """A pandas ``Rolling`` of ``d`` rows over every asset of the panel in one pass.

    pandas rolls a DataFrame column by column, and at hundreds of assets the per-column
    cost dominates.  So the panel becomes one long Series, asset after asset, whose
    windows stop at the asset's first date.  That also restarts pandas' running sums at
    each asset: a value depends on its own asset's rows up to that date only, bit for
    bit the per-column result (tests/alpha: no operator reads the future).  Read the
    result back with :func:`_unseries`."""
    import pandas as pd
    from pandas.api.indexers import BaseIndexer

    n_dates, n_assets = a.shape
    row = np.arange(n_dates * n_assets, dtype=np.int64)
    starts = row - np.minimum(row % n_dates, d - 1)

    class _PerAsset(BaseIndexer):  # type: ignore[misc]
        def get_window_bounds(self, num_values: int = 0, min_periods: int | None = None,
                              center: bool | None = None, closed: str | None = None,
                              step: int | None = None) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
            return starts, row + 1

    return pd.Series(_clean(a).T.ravel()).rolling(_PerAsset(), min_periods=d)


def _unseries(values: Any, shape: tuple[int, ...]) -> Array:
    """A rolled long Series (:func:`_rolling_frame`) back to (dates, assets)."""
    n_dates, n_assets = shape
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(n_assets, n_dates).T)


def _complete(a: Array, d: int) -> Array:
    """True where the window of ``d`` rows ending at each date is all finite."""
    n_finite = np.zeros((a.shape[0] + 1, a.shape[1]), dtype=np.int32)
    np.cumsum(np.isfinite(a), axis=0, out=n_finite[1:])
    full = np.zeros(a.shape, dtype=bool)
    full[d - 1:] = (n_finite[d:] - n_finite[:-d]) == d
    return full


def _unary_ts(fn: Callable[[Array, int], Array]) -> Callable[[int], Callable[[Any], Any]]:
    """Lift ``fn(panel, d)`` to a family of unary operators, one per window."""

    def make(d: int) -> Callable[[Any], Any]:
        def op(x: Any) -> Any:
            a = _panel(x)
            if a is None:
                return np.nan
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
                return _like(np.asarray(fn(a, d), dtype=np.float64), x)

        return op

    return make


def _binary_ts(fn: Callable[[Array, Array, int], Array]) -> Callable[[int], Callable[[Any, Any], Any]]:
    def make(d: int) -> Callable[[Any, Any], Any]:
        def op(x: Any, y: Any) -> Any:
            a, b = _panel(x), _panel(y)
            if a is None or b is None:
                return np.nan
            a, b = np.broadcast_arrays(a, b)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
                return _like(np.asarray(fn(a, b, d), dtype=np.float64), x)

        return op

    return make


def _windows(a: Array, d: int) -> Array:
    """(dates, assets, d) view: row t holds rows t-d+1..t; the first d-1 rows are nan-padded."""
    pad = np.full((d - 1, a.shape[1]), np.nan)
    return sliding_window_view(np.concatenate([pad, _clean(a)]), d, axis=0)


def _weighted(a: Array, weights: Array) -> Array:
    """Window-weighted sum, weights[-1] for today; nan when any value in the window is.

    einsum, not a BLAS product on the view (3x faster at d=60): BLAS kernels round
    identical columns differently, and two assets with the same prices (share classes)
    must keep the same value, or their cross-sectional tie, and with it the rank IC,
    depends on where they sit in the panel."""
    return np.einsum("taw,w->ta", _windows(a, len(weights)), weights)


# ---------------------------------------------------------------- time series
def _delay(a: Array, d: int) -> Array:
    out = np.full_like(a, np.nan)
    out[d:] = a[:-d]
    return _clean(out)


def _delta(a: Array, d: int) -> Array:
    return _clean(a) - _delay(a, d)


def _pct(a: Array, d: int) -> Array:
    return _clean(a) / _delay(a, d) - 1.0


def _rolling(method: str, **kw: Any) -> Callable[[Array, int], Array]:
    def fn(a: Array, d: int) -> Array:
        return _unseries(getattr(_rolling_frame(a, d), method)(**kw), a.shape)

    fn.__name__ = f"_rolling_{method}"
    return fn


def _zscore(a: Array, d: int) -> Array:
    roll = _rolling_frame(a, d)
    return (_clean(a) - _unseries(roll.mean(), a.shape)) / _unseries(roll.std(), a.shape)  # type: ignore[no-any-return]


def _arg_extreme(newer_wins: Callable[[Array, Array], Array],
                 extreme: Callable[[Array, Array], Array]) -> Callable[[Array, int], Array]:
    """ts_argmax (``np.greater``, ``np.maximum``) / ts_argmin (``np.less``, ``np.minimum``)
    by doubling: the extreme of the 2s rows ending at t is the better of the s rows
    ending at t and the s rows ending at t - s, so log2(d) whole-panel steps replace a
    pass over every (date, window) cell.  Ties keep the older day, as ``np.argmax`` over
    the window would."""

    def fn(a: Array, d: int) -> Array:
        n_dates = a.shape[0]
        val = np.where(np.isfinite(a), a, 0.0)  # windows holding a nan are masked at the end
        pos = np.repeat(np.arange(n_dates, dtype=np.float64)[:, None], a.shape[1], axis=1)

        def merge(lag: int) -> None:
            # in place (numpy buffers the overlapping slices); rows before `lag` have no
            # older half: their windows are incomplete and masked below
            take = newer_wins(val[lag:], val[:-lag])
            # arithmetic select: np.where on a random mask is several times slower
            pos[lag:] = pos[:-lag] + take * (pos[lag:] - pos[:-lag])
            val[lag:] = extreme(val[lag:], val[:-lag])

        span = 1
        while 2 * span <= d:
            merge(span)
            span *= 2
        if span < d:  # two overlapping windows of `span` rows cover the last d
            merge(d - span)
        first_day = np.arange(n_dates, dtype=np.float64)[:, None] - (d - 1)
        return np.where(_complete(a, d), pos - first_day + 1.0, np.nan)

    return fn


def _ts_rank(a: Array, d: int) -> Array:
    """Percentile rank of today's value in its window, ties averaged (pandas'
    ``rolling(d).rank(pct=True)``): counts of earlier days below and equal to today,
    one whole-panel comparison per lag (faster than a per-window sort for d <= 120)."""
    x = _clean(a)
    count = np.int16 if d < 2**15 else np.int32  # small counters: less memory traffic per lag
    below = np.zeros(x.shape, dtype=count)
    equal = np.ones(x.shape, dtype=count)  # today itself
    for lag in range(1, min(d, len(x))):
        below[lag:] += x[:-lag] < x[lag:]
        equal[lag:] += x[:-lag] == x[lag:]
    rank = (below + (equal + 1) / 2.0) / d
    return np.where(_complete(a, d), rank, np.nan)


def _decay_linear(a: Array, d: int) -> Array:
    w = np.arange(1, d + 1, dtype=np.float64)
    return _weighted(a, w / w.sum())


def _ema(a: Array, d: int) -> Array:
    alpha = 1.0 - 2.0 / (d + 1)
    w = alpha ** np.arange(d - 1, -1, -1, dtype=np.float64)
    return _weighted(a, w / w.sum())


def _line(a: Array, d: int) -> tuple[Array, Array, Array]:
    """Least-squares line of each window against time 0..d-1: (slope, intercept, x window mean)."""
    t = np.arange(d, dtype=np.float64)
    tc = t - t.mean()
    slope = _weighted(a, tc / (tc * tc).sum())
    mean = _weighted(a, np.full(d, 1.0 / d))
    return slope, mean - slope * t.mean(), mean


def _slope(a: Array, d: int) -> Array:
    return _line(a, d)[0]


def _rsquare(a: Array, d: int) -> Array:
    slope, _, _ = _line(a, d)
    t = np.arange(d, dtype=np.float64)
    var_x = _unseries(_rolling_frame(a, d).var(ddof=0), a.shape)
    # a constant window has no line to explain: nan, not 0/0 noise or inf
    return np.where(var_x > 0, slope * slope * t.var() / np.where(var_x > 0, var_x, 1.0), np.nan)


def _resi(a: Array, d: int) -> Array:
    slope, intercept, _ = _line(a, d)
    return _clean(a) - (intercept + slope * (d - 1))  # type: ignore[no-any-return]


def _pair(method: str) -> Callable[[Array, Array, int], Array]:
    def fn(a: Array, b: Array, d: int) -> Array:
        import pandas as pd

        both = np.isfinite(a) & np.isfinite(b)  # pair-wise complete windows only
        rolled = getattr(_rolling_frame(np.where(both, a, np.nan), d), method)
        other = pd.Series(np.where(both, b, np.nan).T.ravel())  # laid out as _rolling_frame's
        return _clean(_unseries(rolled(other), a.shape))

    return fn


@dataclass(frozen=True)
class TSSpec:
    """One time-series operator family: canonical name, implementation, dialect aliases."""

    name: str
    fn: Callable[..., Array]
    aliases: tuple[str, ...] = ()
    min_window: int = 1
    doc: str = ""


#: Unary time-series families ``ts_x(x, d)``.
TS_UNARY: tuple[TSSpec, ...] = (
    TSSpec("ts_delay", _delay, ("delay", "Ref", "ref"), doc="x d days ago"),
    TSSpec("ts_delta", _delta, ("delta", "Delta", "Diff", "diff"), doc="x - delay(x, d)"),
    TSSpec("ts_pct", _pct, ("Pct", "pct", "ROC", "roc"), doc="x / delay(x, d) - 1"),
    TSSpec("ts_mean", _rolling("mean"), ("Mean", "Ma", "MA", "mean", "sma"), 2),
    TSSpec("ts_sum", _rolling("sum"), ("Sum", "sum"), 2),
    TSSpec("ts_std", _rolling("std"), ("Std", "std", "stddev"), 2),
    TSSpec("ts_var", _rolling("var"), ("Var", "var"), 2),
    TSSpec("ts_min", _rolling("min"), ("Min", "min"), 2),
    TSSpec("ts_max", _rolling("max"), ("Max", "max"), 2),
    TSSpec("ts_median", _rolling("median"), ("Med", "median"), 2),
    TSSpec("ts_argmax", _arg_extreme(np.greater, np.maximum), ("IdxMax", "argmax"), 2),
    TSSpec("ts_argmin", _arg_extreme(np.less, np.minimum), ("IdxMin", "argmin"), 2),
    TSSpec("ts_rank", _ts_rank, ("Rank",), 2),
    TSSpec("ts_skew", _rolling("skew"), ("Skew", "skew"), 3),
    TSSpec("ts_kurt", _rolling("kurt"), ("Kurt", "kurt"), 4),
    TSSpec("ts_zscore", _zscore, ("Zscore", "zscore_ts"), 2),
    TSSpec("ts_decay_linear", _decay_linear, ("decay_linear", "WMA", "wma"), 2),
    TSSpec("ts_ema", _ema, ("EMA", "ema"), 2),
    TSSpec("ts_slope", _slope, ("Slope", "slope", "beta"), 3),
    TSSpec("ts_rsquare", _rsquare, ("Rsquare", "rsquare"), 3),
    TSSpec("ts_resi", _resi, ("Resi", "resi", "residual"), 3),
)

#: Binary time-series families ``ts_x(x, y, d)``.
TS_BINARY: tuple[TSSpec, ...] = (
    TSSpec("ts_corr", _pair("corr"), ("Corr", "corr", "correlation"), 3),
    TSSpec("ts_cov", _pair("cov"), ("Cov", "cov", "covariance"), 3),
)


# ---------------------------------------------------------------- cross section
def _cs(fn: Callable[[Array], Array]) -> Callable[[Any], Any]:
    def op(x: Any) -> Any:
        if np.ndim(x) == 0:
            return np.nan
        a = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates stay nan
            # a 1-D array is one date of many assets here (the cross-section)
            return fn(_clean(a.reshape(1, -1))).reshape(a.shape) if a.ndim == 1 else fn(_clean(a))

    op.__name__ = fn.__name__
    return op


def _cs_rank(a: Array) -> Array:
    from srkit.fitness.losses import cs_rank

    return cs_rank(a)


def _cs_zscore(a: Array) -> Array:
    return (a - np.nanmean(a, axis=1, keepdims=True)) / np.nanstd(a, axis=1, keepdims=True)  # type: ignore[no-any-return]


def _cs_demean(a: Array) -> Array:
    return a - np.nanmean(a, axis=1, keepdims=True)  # type: ignore[no-any-return]


def _cs_scale(a: Array) -> Array:
    return a / np.nansum(np.abs(a), axis=1, keepdims=True)  # type: ignore[no-any-return]


def _by_group(fn: Callable[[Array], Array]) -> Callable[[Any, Any], Any]:
    """A cross-sectional operation applied within each group of assets on each date:
    ``op(x, g)`` where ``g`` holds group codes (a ``group`` field: sector, industry);
    assets without a group (nan code) get nan."""
    def op(x: Any, g: Any) -> Any:
        if np.ndim(x) == 0 or np.ndim(g) == 0:
            return np.nan
        a = _clean(np.asarray(x, dtype=np.float64))
        codes = np.broadcast_to(np.asarray(g, dtype=np.float64), a.shape)
        flat = a.reshape(1, -1) if a.ndim == 1 else a
        flat_codes = codes.reshape(1, -1) if a.ndim == 1 else codes
        out = np.full(flat.shape, np.nan)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for code in np.unique(flat_codes[np.isfinite(flat_codes)]):
                member = flat_codes == code
                part = np.where(member, flat, np.nan)
                out = np.where(member, fn(part), out)
        return out.reshape(a.shape)

    op.__name__ = f"group_{fn.__name__.lstrip('_')}"
    return op


def _signed_power(x: Any, p: Any) -> Any:
    return np.sign(x) * np.abs(x) ** p


def _sympy_fn(name: str) -> Callable[..., Any]:
    def build(*args: Any) -> Any:
        import sympy

        return sympy.Function(name)(*args)

    return build


#: Cross-sectional operators (one value per asset per date, from that date only).
CS_OPERATORS: tuple[Operator, ...] = tuple(
    Operator(name, 1, _cs(fn), _sympy_fn(name), None, rf"\operatorname{{{{{name.replace('_', chr(92) + '_')}}}}}\left({{0}}\right)",
             complexity=1.0, aliases=aliases)
    for name, fn, aliases in (
        ("cs_rank", _cs_rank, ("rank", "CSRank")),
        ("cs_zscore", _cs_zscore, ("zscore", "cs_norm")),
        ("cs_demean", _cs_demean, ("demean",)),
        ("cs_scale", _cs_scale, ("scale",)),
    )
)

#: Elementwise operators that alpha formulas use beyond the built-ins.
ELEMENTWISE: tuple[Operator, ...] = (
    Operator("sign", 1, np.sign, "sign", "sign", r"\operatorname{{sign}}\left({0}\right)", aliases=("Sign",)),
    Operator("greater", 2, np.maximum, "Max", "maximum", r"\max\left({0}, {1}\right)", aliases=("Greater",)),
    Operator("less", 2, np.minimum, "Min", "minimum", r"\min\left({0}, {1}\right)", aliases=("Less",)),
    Operator("signed_power", 2, _signed_power, lambda a, p: __import__("sympy").sign(a) * abs(a) ** p,
             None, r"\operatorname{{sgn}}({0})\left|{0}\right|^{{{1}}}", aliases=("signedpower", "SignedPower")),
)

#: Group-neutral operators (Alpha101's IndNeutralize): ``group_demean(x, group)`` and
#: ``group_rank(x, group)`` work within the assets of one group on each date; ``group``
#: is the panel field ``load_panel(..., groups=...)`` makes.
GROUP_OPERATORS: tuple[Operator, ...] = (
    Operator("group_demean", 2, _by_group(_cs_demean), _sympy_fn("group_demean"), None,
             r"\operatorname{{group\_demean}}\left({0}, {1}\right)",
             aliases=("IndNeutralize", "indneutralize", "group_neutralize")),
    Operator("group_rank", 2, _by_group(_cs_rank), _sympy_fn("group_rank"), None,
             r"\operatorname{{group\_rank}}\left({0}, {1}\right)", aliases=("GroupRank",)),
)

# dialect names of built-ins (Qlib / AlphaGen write them capitalised)
_BUILTIN_ALIASES = {"log": ("Log",), "neg": ("Neg",), "inv": ("Inv",), "square": ("Square",)}


def _ts_operator(spec: TSSpec, arity: int, d: int) -> Operator:
    make = _unary_ts(spec.fn) if arity == 1 else _binary_ts(spec.fn)
    args = "{0}" if arity == 1 else "{0}, {1}"
    name = f"{spec.name}_{d}"
    latex_name = spec.name.replace("_", "\\_")
    return Operator(
        name, arity, make(d), _sympy_fn(name), None,
        rf"\operatorname{{{{{latex_name}}}}}_{{{{{d}}}}}\left({args}\right)",
        complexity=1.0,
        aliases=tuple(f"{a}_{d}" for a in spec.aliases),
        text=f"{spec.name}({args}, {d})",
    )


def alpha_registry(windows: tuple[int, ...] = WINDOWS) -> OperatorRegistry:
    """A fresh registry: the built-ins plus every panel operator, one canonical name each.

    Examples
    --------
    >>> reg = alpha_registry()
    >>> reg.get("Mean_5").name, reg.get("rank").name, reg.get("Rank_10").name
    ('ts_mean_5', 'cs_rank', 'ts_rank_10')
    """
    reg = default_registry()
    for name, extra in _BUILTIN_ALIASES.items():
        op = reg.get(name)
        reg.register(replace(op, aliases=op.aliases + extra), check=False, replace=True)
    # Panel operators are checked by tests/alpha (against pandas and for leakage);
    # the registry's own check assumes elementwise functions and a torch form.
    for op in (*ELEMENTWISE, *CS_OPERATORS, *GROUP_OPERATORS):
        reg.register(op, check=False)
    for specs, arity in ((TS_UNARY, 1), (TS_BINARY, 2)):
        for spec in specs:
            for d in windows:
                if d >= spec.min_window:
                    reg.register(_ts_operator(spec, arity, d), check=False)
    return reg
