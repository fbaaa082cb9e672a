"""Prompts: what the model is told, for regression and for alpha factors.

Every prompt is plain text built from plain data, so that it can be read in
the call log, replayed from a cassette, and reused by other modules (the alpha
prompts take field names, operator names, windows and a dict of per-dimension
scores; nothing from srkit.alpha).  Formulas the model should build on are
written in backticks; lines that list formulas to avoid say so, which lets the
grammar-random proposer read the same prompts a model reads.
"""

from __future__ import annotations

import json
import re
from typing import Mapping, Sequence

import numpy as np

from srkit.core.data import Dataset
from srkit.core.operators import OperatorSet

__all__ = [
    "SYSTEM_REGRESSION",
    "SYSTEM_ALPHA",
    "describe_data",
    "describe_operators",
    "regression_prompt",
    "alpha_prompt",
    "repair_messages",
    "overfit_prompt",
    "parse_overfit_score",
    "DIMENSION_ADVICE",
]

Messages = list[dict[str, str]]

SYSTEM_REGRESSION = (
    "You are an expert in symbolic regression and physics. You propose closed-form formulas "
    "that explain data. Numbers you write are starting values of coefficients that will be "
    "fitted to the data, so the structure matters, not the exact numbers."
)
SYSTEM_ALPHA = (
    "You are a quantitative researcher who designs formulaic alpha factors from daily price and "
    "volume data. Factors must be dimensionless, economically motivated and not over-fitted."
)

#: What "improve dimension X" asks of the model.
DIMENSION_ADVICE: dict[str, str] = {
    "accuracy": "lower the loss: change the structure, add or replace a term, or use another operator",
    "simplicity": "make it simpler with about the same loss: remove terms, merge coefficients, use fewer operators",
    "effectiveness": "raise its rank IC with future returns: capture a clearer price or volume signal",
    "stability": "make its rank IC more stable over time (higher rank IR): smooth noisy parts, use longer windows",
    "turnover": "lower its daily turnover: smooth it over time, use longer windows or slower signals",
    "diversity": "make it less correlated with the existing factors: use other fields or other mechanisms",
    "overfitting": "make it simpler and better motivated: fewer operators and parameters, a clear rationale",
}

#: the reply format every formula prompt ends with (a local model decodes such prompts under
#: the formula grammar, see srkit.search.llm.local)
FORMULA_FORMAT = (
    "Reply with the formulas only, one per line, inside one ```text code block, in the syntax "
    "shown (infix + - * / **, function calls such as sin(x)); no explanations inside the block."
)


def describe_data(
    dataset: Dataset, units: Mapping[str, str] | None = None, max_vars: int = 30, n_rows: int = 5
) -> str:
    """One line per variable and the target (units where given, statistics), then a few rows.

    Examples
    --------
    >>> from srkit.core.data import as_dataset
    >>> print(describe_data(as_dataset(np.array([[1.0], [3.0]]), np.array([2.0, 6.0])), {"x0": "m"}))
    - x0 [m]: min 1, max 3, mean 2, std 1
    - y (target): min 2, max 6, mean 4, std 2
    Sample rows (x0 -> y): (1) -> 2; (3) -> 6
    """
    units = dict(units or {})
    lines = []
    columns = list(dataset.columns)[:max_vars]
    for name, col in zip(dataset.feature_names, columns):
        lines.append(f"- {name}{_unit(units.get(name))}: {_stats(col)}")
    if dataset.n_features > max_vars:
        lines.append(f"- ... and {dataset.n_features - max_vars} more variables")
    target = units.get("y") or units.get("target")
    lines.append(f"- y (target){_unit(target)}: {_stats(dataset.y)}")
    if n_rows and dataset.n_features <= max_vars:
        # evenly spread rows, so that sorted data still shows its range
        picks = np.unique(np.linspace(0, dataset.n_samples - 1, min(n_rows, dataset.n_samples)).astype(int))
        rows = [f"({', '.join(f'{c[i]:.4g}' for c in columns)}) -> {dataset.y[i]:.4g}" for i in picks]
        lines.append(f"Sample rows ({', '.join(dataset.feature_names)} -> y): " + "; ".join(rows))
    return "\n".join(lines)


def _unit(unit: str | None) -> str:
    return f" [{unit}]" if unit else ""


def _stats(values: np.ndarray) -> str:
    v = np.asarray(values, dtype=float).ravel()
    return f"min {v.min():.4g}, max {v.max():.4g}, mean {v.mean():.4g}, std {v.std():.4g}"


def describe_operators(opset: OperatorSet) -> str:
    """How each operator of the run is written, e.g. ``+, *, sin(a), pi``."""
    parts = []
    for op in opset.operators:
        if op.infix:
            parts.append(op.infix)
        elif op.arity == 0:
            parts.append(op.name)
        elif op.name == "neg":
            parts.append("unary -")
        else:
            parts.append(f"{op.name}({', '.join('ab'[: op.arity])})")
    return ", ".join(parts)


def _formula_lines(entries: Sequence[tuple[str, float, float]]) -> str:
    return "\n".join(f"- `{f}`  (complexity {c:g}, loss {loss:.4g})" for f, loss, c in entries)


def _avoid_lines(avoid: Sequence[str], tried: Sequence[str]) -> list[str]:
    lines = []
    if avoid:
        lines.append("Try to avoid including the following sub-expressions: "
                     + ", ".join(f"`{a}`" for a in avoid))
    if tried:
        lines.append("Already evaluated, do not repeat (avoid): " + ", ".join(f"`{t}`" for t in tried))
    return lines


def regression_prompt(
    *,
    data_text: str,
    operators_text: str,
    variables: Sequence[str],
    n: int,
    front: Sequence[tuple[str, float, float]] = (),
    formula: str | None = None,
    scores: Mapping[str, float] | None = None,
    metrics: Mapping[str, float] | None = None,
    dimension: str | None = None,
    history: Sequence[str] = (),
    avoid: Sequence[str] = (),
    tried: Sequence[str] = (),
) -> Messages:
    """Messages asking for ``n`` formulas: new ones, or refinements of ``formula``.

    ``front`` holds (formula, loss, complexity) of the current Pareto front;
    ``scores`` the node's relative scores per dimension (0..1, higher is better);
    ``dimension`` the one to improve; ``history`` earlier refinement summaries.
    """
    lines = [
        f"Find a formula y = f({', '.join(variables)}) for this data:",
        data_text,
        "",
        f"Allowed operators: {operators_text}. Numbers become fitted coefficients.",
    ]
    if front:
        lines += ["", "Best formulas so far (the Pareto front):", _formula_lines(front)]
    if formula is None:
        lines += ["", f"Propose {n} new, diverse formulas that may explain the data."]
    else:
        lines += ["", f"Current formula: `{formula}`"]
        if metrics:
            lines.append("Its measurements: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        if scores:
            lines.append("Its scores (0 = worst, 1 = best of all formulas tried): "
                         + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
        if history:
            lines += ["Refinement history:", *[f"- {h}" for h in history]]
        advice = DIMENSION_ADVICE.get(dimension or "", "improve it")
        lines.append(f"Propose {n} refinements of the current formula that improve its {dimension}: {advice}.")
    lines += _avoid_lines(avoid, tried)
    lines += ["", FORMULA_FORMAT]
    return [{"role": "system", "content": SYSTEM_REGRESSION}, {"role": "user", "content": "\n".join(lines)}]


def alpha_prompt(
    *,
    fields: Sequence[str],
    operators: Sequence[str],
    windows: Sequence[int],
    n: int,
    formula: str | None = None,
    scores: Mapping[str, float] | None = None,
    dimension: str | None = None,
    history: Sequence[str] = (),
    examples: Sequence[tuple[str, Mapping[str, float]]] = (),
    avoid: Sequence[str] = (),
    tried: Sequence[str] = (),
) -> Messages:
    """Messages asking for ``n`` alpha factors, new or refining ``formula`` along ``dimension``.

    Plain data only: field and operator names, the allowed windows, the node's
    per-dimension scores and few-shot ``examples`` (formula, scores).

    Examples
    --------
    >>> msgs = alpha_prompt(fields=["close", "volume"], operators=["ts_mean", "div"], windows=[5, 20], n=2)
    >>> "ts_mean" in msgs[1]["content"] and "5, 20" in msgs[1]["content"]
    True
    """
    lines = [
        f"Available fields: {', '.join(fields)}.",
        f"Available operators (function calls, e.g. op(x, window)): {', '.join(operators)}.",
        f"Rolling windows must be one of: {', '.join(str(w) for w in windows)}.",
        "Requirements: the factor is dimensionless, uses at least 2 operators and at most 3 distinct windows.",
    ]
    if formula is None:
        lines += ["", f"Propose {n} new, diverse alpha factors with a clear economic rationale."]
    else:
        lines += ["", f"Current alpha: `{formula}`"]
        if scores:
            lines.append("Its scores per dimension (0 = worst, 1 = best in the repository): "
                         + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
        if history:
            lines += ["Refinement history:", *[f"- {h}" for h in history]]
        for text, sc in examples:
            lines.append(f"Example of a strong factor: `{text}` ("
                         + ", ".join(f"{k} {v:.2f}" for k, v in sc.items()) + ")")
        advice = DIMENSION_ADVICE.get(dimension or "", "improve it")
        lines.append(f"Propose {n} refinements that improve its {dimension}: {advice}. "
                     "The suggestions need not all be adopted.")
    lines += _avoid_lines(avoid, tried)
    lines += ["", FORMULA_FORMAT]
    return [{"role": "system", "content": SYSTEM_ALPHA}, {"role": "user", "content": "\n".join(lines)}]


def repair_messages(messages: Messages, reply: str, errors: Sequence[str], hint: str) -> Messages:
    """The conversation so far plus the parse errors, asking for corrected formulas."""
    shown = "\n".join(f"- {e}" for e in errors[:8]) or "- the reply contained no formula"
    return [
        *messages,
        {"role": "assistant", "content": reply[:4000]},
        {"role": "user", "content": f"None of these formulas could be used:\n{shown}\n{hint}\n{FORMULA_FORMAT}"},
    ]


def overfit_prompt(formula: str, history: Sequence[str] = ()) -> Messages:
    """Ask for the over-fitting risk of an alpha factor, 0 (none) to 10 (certain), as JSON."""
    text = "\n".join([
        f"Alpha factor: `{formula}`",
        "Refinement history:" if history else "Refinement history: none",
        *[f"- {h}" for h in history],
        "Judge its risk of over-fitting: is its complexity justified by a rationale, was it developed "
        "by principle or by data dredging, is it transparent?",
        'Reply with JSON only: {"reason": "...", "score": <0-10, 10 = certainly over-fitted>}',
    ])
    return [{"role": "system", "content": SYSTEM_ALPHA}, {"role": "user", "content": text}]


def parse_overfit_score(reply: str) -> float | None:
    """The 0..10 score of an :func:`overfit_prompt` reply, or None when there is none.

    Examples
    --------
    >>> parse_overfit_score('```json\\n{"reason": "simple", "score": 3}\\n```')
    3.0
    """
    m = re.search(r"\{.*\}", reply[:20_000], re.S)
    if m:
        try:
            value = json.loads(m.group(0)).get("score")
            if isinstance(value, (int, float)) and 0 <= value <= 10:
                return float(value)
        except (ValueError, AttributeError):
            pass
    m = re.search(r'"?score"?\s*[:=]\s*(\d+(?:\.\d+)?)', reply[:20_000])
    if m and 0 <= float(m.group(1)) <= 10:
        return float(m.group(1))
    return None
