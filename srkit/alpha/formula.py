"""Factor formulas: parse the DSL (and its dialects) and compute factor values.

srkit's canonical DSL is function calls with integer windows last::

    cs_rank(ts_corr(open, volume, 10)) * -1
    (close - ts_mean(close, 20)) / ts_std(close, 20)

The parser also reads the common dialects through aliases: Qlib / AlphaGen
(``Mean($close, 10)``, ``Ref($close, 5)``, ``Rank`` = time-series rank,
``Greater``/``Less`` elementwise, ``10d`` windows) and the 101 Formulaic Alphas
(``delay``, ``delta``, ``correlation``, ``rank`` = cross-sectional,
``decay_linear``, ``ts_argmax``, non-integer windows floored).  Printing always
gives the canonical form.  Values come from the one interpreter
(:func:`srkit.fitness.interpreter.interpret`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.operators import SEARCH_WINDOWS, alpha_registry
from srkit.alpha.panel import Panel
from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.core.parse import parse
from srkit.search.llm.reply import QLIB_DAYS, QLIB_FIELD
from srkit.fitness.interpreter import interpret

__all__ = ["parse_factor", "factor_values", "factor", "alpha_opset", "search_opset", "SEARCH_OPERATORS"]

Array = NDArray[np.float64]


@lru_cache(maxsize=32)
def alpha_opset(fields: tuple[str, ...]) -> OperatorSet:
    """Every panel operator and built-in, with the panel's fields as variables."""
    reg = alpha_registry()
    names = [n for n in reg.names() if not (n in fields and reg.get(n).arity == 0)]
    return reg.operator_set(names, fields)


#: Operator families a mining search draws from by default (windows from SEARCH_WINDOWS).
SEARCH_OPERATORS: tuple[str, ...] = (
    "add", "sub", "mul", "div", "neg", "abs", "log", "sign", "greater", "less", "cs_rank",
    "ts_delay", "ts_delta", "ts_pct", "ts_mean", "ts_std", "ts_sum", "ts_min", "ts_max",
    "ts_rank", "ts_zscore", "ts_decay_linear", "ts_ema", "ts_skew", "ts_argmax", "ts_argmin",
    "ts_slope", "ts_rsquare", "ts_resi", "ts_corr", "ts_cov",
)


def search_opset(
    fields: Sequence[str],
    operators: Sequence[str] = SEARCH_OPERATORS,
    windows: Sequence[int] = SEARCH_WINDOWS,
) -> OperatorSet:
    """The operator set of a mining run: each ``ts_*`` family at each window.

    Examples
    --------
    >>> ops = search_opset(["close", "volume"], ["add", "ts_mean"], [5, 20])
    >>> [op.name for op in ops.operators]
    ['add', 'ts_mean_5', 'ts_mean_20']
    """
    reg = alpha_registry()
    names: list[str] = []
    for op in operators:
        if op.startswith("ts_"):
            names += [f"{op}_{d}" for d in windows if f"{op}_{d}" in reg]
        else:
            names.append(reg.get(op).name)
    return reg.operator_set(names, tuple(fields))




def parse_factor(text: str, fields: Sequence[str] | OperatorSet) -> Expr:
    """Parse a factor formula for a panel with these fields (or for an operator set).

    Examples
    --------
    >>> str(parse_factor("Mean($close, 10d) / Ref($close, 5)", ["close", "volume"]))
    'ts_mean(close, 10) / ts_delay(close, 5)'
    """
    opset = fields if isinstance(fields, OperatorSet) else alpha_opset(tuple(fields))
    return parse(QLIB_DAYS.sub(r"\1", QLIB_FIELD.sub(r"\1", text)), opset)


def factor_values(expr: Expr | str, panel: Panel) -> Array:
    """Factor values (dates, assets) of a formula on a panel; non-finite values are nan."""
    if isinstance(expr, str):
        expr = parse_factor(expr, panel.fields)
    missing = [v for v in expr.opset.variables if v not in panel.fields]
    if missing:
        raise ValueError(f"formula uses field(s) {missing} that the panel lacks (fields: {', '.join(panel.fields)})")
    if tuple(expr.opset.variables) == panel.fields:
        columns = panel.values
    else:
        columns = np.stack([panel[v] for v in expr.opset.variables])
    out = interpret(expr, columns, panel.shape[1:])
    return np.where(np.isfinite(out), out, np.nan)


def factor(formula: str | Expr, panel: Panel) -> Any:
    """Factor values of ``formula`` on ``panel`` as a DataFrame (dates x assets).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> close = np.arange(1.0, 7.0).reshape(3, 2)
    >>> p = Panel(close[None], ("close",), pd.date_range("2020-01-01", periods=3), pd.Index(["A", "B"]))
    >>> factor("ts_delta(close, 1)", p).to_numpy().tolist()
    [[nan, nan], [2.0, 2.0], [2.0, 2.0]]
    """
    return panel.frame(factor_values(formula, panel))
