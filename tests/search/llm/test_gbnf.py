"""The formula grammar for constrained decoding (no model needed)."""

from __future__ import annotations

import pytest

from srkit.core.builtins import default_registry
from srkit.search.llm.gbnf import formula_gbnf


def _rules(text: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in text.strip().splitlines())


def test_the_grammar_has_the_runs_variables_operators_and_precedence():
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "pow", "sin", "pi"], ["m", "v"])
    rules = _rules(formula_gbnf(ops, max_formulas=3))
    assert rules["root"] == '"```text\\n" line{1,3} "```"'
    assert rules["expr"] == 'term (" " ("+" | "-") " " term){0,5}'
    assert rules["term"] == 'factor (" " ("*" | "/") " " factor){0,3}'
    assert rules["factor"] == 'primary ("**" primary)?'
    assert rules["var"] == '"m" | "v"'
    assert rules["const"] == '"pi"'
    assert rules["call"] == '"sin" "(" expr ")"'


def test_operators_outside_the_set_are_not_in_the_grammar():
    ops = default_registry().operator_set(["mul", "exp"], ["x0"])
    rules = _rules(formula_gbnf(ops))
    assert rules["expr"] == "term" and rules["factor"] == "primary"
    assert rules["term"] == 'factor (" " ("*") " " factor){0,3}'
    assert "const" not in rules and rules["call"] == '"exp" "(" expr ")"'


def test_a_binary_function_takes_two_arguments_and_bad_counts_are_refused():
    from srkit.alpha.formula import search_opset

    ops = search_opset(["close", "volume"], ["add", "ts_mean", "ts_corr"], [5])
    calls = _rules(formula_gbnf(ops))["call"]
    assert '"ts_corr_5" "(" expr ", " expr ")"' in calls and '"ts_mean_5" "(" expr ")"' in calls
    with pytest.raises(ValueError, match="max_formulas"):
        formula_gbnf(ops, max_formulas=0)
