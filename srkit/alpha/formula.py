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

import difflib
import math
import re
from functools import lru_cache
from typing import Any, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.alpha.operators import SEARCH_WINDOWS, TS_BINARY, TS_UNARY, WINDOWS, TSSpec, alpha_registry
from srkit.alpha.panel import PRICE_FIELDS, Panel
from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.core.parse import ParseError, parse
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
    families = {spec.name: spec for spec in (*TS_UNARY, *TS_BINARY)}
    bad = [d for d in windows if not (isinstance(d, (int, np.integer)) and d in WINDOWS)]
    if bad:
        raise ValueError(f"windows must be whole numbers of days among {', '.join(map(str, WINDOWS))}; got {bad}")
    names: list[str] = []
    for op in operators:
        if op in families:
            names += [f"{op}_{d}" for d in windows if f"{op}_{d}" in reg]
        elif op in reg and not re.fullmatch(r".+_\d+", op):
            names.append(reg.get(op).name)
        else:  # a misspelled family would silently leave the search without it
            known = [*families, *(n for n in reg.names() if not re.fullmatch(r".+_\d+", n))]
            raise ValueError(f"unknown operator {op!r} for a mining search.{_suggest(op, known)} {_FAMILIES}")
    return reg.operator_set(names, tuple(fields))




def parse_factor(text: str, fields: Sequence[str] | OperatorSet) -> Expr:
    """Parse a factor formula for a panel with these fields (or for an operator set).

    Examples
    --------
    >>> str(parse_factor("Mean($close, 10d) / Ref($close, 5)", ["close", "volume"]))
    'ts_mean(close, 10) / ts_delay(close, 5)'
    """
    opset = fields if isinstance(fields, OperatorSet) else alpha_opset(tuple(fields))
    clean = QLIB_DAYS.sub(r"\1", QLIB_FIELD.sub(r"\1", text))
    try:
        return parse(clean, opset)
    except ParseError as exc:
        # the core parser knows operators by their internal names (ts_mean_5): say it
        # in the DSL's own terms where we can, and never list hundreds of names
        why = _explain(clean, opset)
        if why is not None:
            raise ParseError(f"cannot parse formula {text!r}: {why}") from None
        raise ParseError(_AVAILABLE.sub(f" {_FAMILIES}", str(exc))) from None


# ---------------------------------------------------------------- error messages
_CALL = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(")
_AVAILABLE = re.compile(r" Available: [^\n]*")
_FAMILIES = ("Operators: ts_* over a window of days (ts_mean(close, 5), ts_corr(close, volume, 10), ...), "
             "cs_* across assets (cs_rank(close), ...) and elementwise (add, log, sign, greater, ...); "
             "see srkit.alpha.operators for the list.")


def _families() -> dict[str, TSSpec]:
    """Every time-series family by its canonical name and by each dialect alias."""
    out: dict[str, TSSpec] = {}
    for spec in (*TS_UNARY, *TS_BINARY):
        for name in (spec.name, *spec.aliases):
            out.setdefault(name, spec)
    return out


def _n_inputs(spec: TSSpec) -> int:
    return 2 if spec in TS_BINARY else 1


def _calls(text: str) -> Iterator[tuple[str, str, list[str]]]:
    """``(name, call text, top-level argument texts)`` of every ``name(...)`` with balanced parentheses."""
    for m in _CALL.finditer(text):
        depth, args, start = 0, [], m.end()
        for i in range(m.end() - 1, len(text)):
            c = text[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    args.append(text[start:i].strip())
                    yield m.group(1), text[m.start(): i + 1], [a for a in args if a] if args != [""] else []
                    break
            elif c == "," and depth == 1:
                args.append(text[start:i].strip())
                start = i + 1


def _user_names(opset: OperatorSet) -> list[str]:
    """The names a user writes: operators without a window suffix and time-series families
    (canonical and dialect), never the internal per-window names such as ts_mean_9."""
    families = _families()
    internal = re.compile(r"(.+)_\d+")
    names = [n for n in opset._by_name if n not in families and opset.arity_of(opset.code(n)) > 0
             and not ((m := internal.fullmatch(n)) and m.group(1) in families)]
    present = {spec.name for spec in families.values() if any(op.name.startswith(spec.name + "_")
                                                              for op in opset.operators)}
    return names + [n for n, spec in families.items() if spec.name in present]


def _suggest(name: str, known: Sequence[str]) -> str:
    same_but_case = [k for k in known if k.lower() == name.lower() and k != name]
    close = same_but_case or difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _explain(text: str, opset: OperatorSet) -> str | None:
    """A plain-words reason why ``text`` does not parse, or None to keep the parser's own.

    Examples
    --------
    >>> ops = alpha_opset(("close", "volume"))
    >>> _explain("ts_mean(close)", ops)
    'ts_mean needs a window: ts_mean(close, 5)'
    >>> _explain("ts_mean(close, 0)", ops)
    'windows are whole numbers of days >= 1; got 0 in ts_mean(close, 0)'
    >>> _explain("high - low", ops)
    'this panel has no high field (its fields: close, volume); load data with a high column, or write the factor with the fields there are'
    """
    families = _families()
    for word in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()", text):
        if word in (*PRICE_FIELDS, "vwap") and word not in opset.variables:
            return (f"this panel has no {word} field (its fields: {', '.join(opset.variables)}); load data with "
                    f"a {word} column, or write the factor with the fields there are")
    for name, call, args in _calls(text):
        spec = families.get(name)
        if spec is not None:
            windows = sorted(int(op.name[len(spec.name) + 1:]) for op in opset.operators
                             if op.name.startswith(spec.name + "_") and op.name[len(spec.name) + 1:].isdigit())
            if not windows:
                continue  # not in this operator set: the parser names what is
            why = _explain_window(name, spec, call, args, windows)
            if why is not None:
                return why
        elif not opset.has(name) and name not in opset.variables:
            return f"unknown operator {name!r}.{_suggest(name, _user_names(opset))} {_FAMILIES}"
        elif opset.has(name) and opset.arity_of(opset.code(name)) not in (0, len(args)):
            op = opset.operator(opset.code(name))
            why = f"{name} takes {op.arity} argument(s), got {len(args)} in {call}"
            base = op.name.split("_", 1)[-1]
            if _is_number(args[-1]) and families.get(f"ts_{base}") is not None:
                # rank(close, 5): a window was given to an operator that has none
                why += f"; {name} has no window (for one over time use ts_{base}({', '.join(args[:-1])}, {args[-1]}))"
            return why
    return None


def _is_number(text: str) -> bool:
    try:
        float(text.strip("() "))
    except ValueError:
        return False
    return True


def _explain_window(name: str, spec: TSSpec, call: str, args: list[str], windows: list[int]) -> str | None:
    n_in = _n_inputs(spec)
    inputs = ", ".join(args[:n_in]) if len(args) >= n_in else ("close" if n_in == 1 else "close, volume")
    example = 5 if 5 in windows else (10 if 10 in windows else windows[0])
    if len(args) == n_in and n_in == 2 and _is_number(args[-1]):  # ts_corr(close, 5): an input is missing
        return (f"{name} takes two inputs and a window in days, e.g. {name}({args[0]}, volume, {args[-1]}); "
                f"got {call}")
    if len(args) == n_in:
        return f"{name} needs a window: {name}({inputs}, {example})"
    if len(args) != n_in + 1:
        what = "one input" if n_in == 1 else "two inputs"
        return (f"{name} takes {what} and a window in days, e.g. {name}({inputs}, {example}); "
                f"got {len(args)} argument(s) in {call}")
    window = args[-1].strip("() ")
    try:
        value = float(window)
    except ValueError:
        return (f"the window of {name} must be a whole number of days, e.g. {name}({inputs}, {example}); "
                f"got {args[-1]!r}")
    if not math.isfinite(value) or math.floor(value) < 1:
        future = " (a negative window would read future values)" if value < 0 else ""
        return f"windows are whole numbers of days >= 1; got {window} in {call}{future}"
    d = math.floor(value)
    if d < spec.min_window:
        return f"{name} needs a window of at least {spec.min_window} days; got {window} in {call}"
    if d not in windows:
        return f"{name} has no window of {d} days; available windows: {', '.join(map(str, windows))}"
    return None


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
