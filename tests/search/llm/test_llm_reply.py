"""Model dialects are read by srkit's parser: fences, JSON, y = ..., np./math., x_0, X[0], LaTeX."""

from __future__ import annotations

import pytest

from srkit.core import default_registry
from srkit.search.llm.prompts import parse_overfit_score
from srkit.search.llm.reply import extract_candidates, normalize, parse_reply

OPS = default_registry().operator_set(["add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "exp", "log", "sqrt"],
                                      ["m", "r"])


def _one(reply: str) -> str:
    out = parse_reply(reply, OPS)
    assert len(out.exprs) == 1, out.errors
    return str(out.exprs[0])


@pytest.mark.parametrize(("reply", "expected"), [
    ("m * r", "m * r"),
    ("y = m**2", "m ** 2"),
    ("y = m^2", "m ** 2"),
    ("f(m, r) = m / r", "m / r"),
    ("return np.exp(-r) * math.sin(m);", "exp(-r) * sin(m)"),
    ("numpy.log(m) + torch.cos(r)", "log(m) + cos(r)"),
    ("ln(m)", "log(m)"),
    ("x_0 * x_{1}", "m * r"),
    ("X[0] / X[:, 1]", "m / r"),
    ("x0 + x1", "m + r"),
    ("2m + 3(r)", "2.0 * m + 3.0 * r"),
    ("(m)(r)", "m * r"),
    ("1e-3m", "0.001 * m"),
    (r"$\frac{m}{r^{2}}$", "m / r ** 2"),
    (r"\frac{3 m}{\sqrt{r}} \cdot \sin\left(m\right)", "3.0 * m / sqrt(r) * sin(m)"),
    ("e^{-r}", "exp(-r)"),
    ("m\u00b2 + \u221a(r)", "m ** 2 + sqrt(r)"),
    ("m \u2212 r", "m - r"),
    ("-m * r  # Newton-like", "-m * r"),
    ("- m * r", "m * r"),  # a leading "- " is a bullet
    ("1. m * r", "m * r"),
    ("Candidate: m * r", "m * r"),
    ("2*pi*r", "2.0 * 3.141592653589793 * r"),  # no pi operator in the run: a coefficient to fit
])
def test_dialects(reply: str, expected: str) -> None:
    assert _one(reply) == expected


def test_code_fences_json_and_truncated_json() -> None:
    reply = "Here you go:\n```python\ny = m * r\nsin(m)\n```\nAnd outside the fence: cos(r)"
    assert [str(e) for e in parse_reply(reply, OPS).exprs] == ["m * r", "sin(m)"]
    reply = '```json\n{"formulas": ["m / r", "m * exp(r)"], "reason": "physics"}\n```'
    assert [str(e) for e in parse_reply(reply, OPS).exprs] == ["m / r", "m * exp(r)"]
    assert extract_candidates('[{"formula": "m"}, {"formula": "r"}]') == ["m", "r"]
    # cut off mid-reply: the complete strings are used, the cut one is dropped
    assert [str(e) for e in parse_reply('{"formulas": ["m + r", "sin(m) * r", "cos(', OPS).exprs] == [
        "m + r", "sin(m) * r"]


def test_errors_are_reported_for_repair_and_limits_apply() -> None:
    out = parse_reply("m + foo\nsinh(m)\nm * r\n" + "+".join(["m"] * 40), OPS, max_size=30)
    assert [str(e) for e in out.exprs] == ["m * r"]
    assert "unknown name 'foo'" in out.errors[0]
    assert "unknown operator 'sinh'" in out.errors[1]
    assert "79 nodes, more than the limit of 30" in out.errors[2]


def test_duplicates_are_dropped_and_count_is_capped() -> None:
    out = parse_reply("m*r\nm * r\n" + "\n".join(f"m + {k}" for k in range(20)), OPS, max_formulas=5)
    assert len(out.exprs) == 5 and str(out.exprs[0]) == "m * r"


def test_normalize_leaves_real_variable_names_alone() -> None:
    assert normalize("x_1 + X[0]", ["x_1", "z"]) == "x_1 + x_1"
    assert normalize("y = y0 * 2", ["y0"]) == "y0 * 2"


def test_overfit_score_parsing() -> None:
    assert parse_overfit_score('{"reason": "many windows", "score": 8}') == 8.0
    assert parse_overfit_score("score: 2.5 because it is simple") == 2.5
    assert parse_overfit_score('{"score": 42}') is None
    assert parse_overfit_score("no idea") is None


def test_one_based_names_win_over_positions() -> None:
    assert normalize("x_1 + X[0] + x2", ["x1", "x2"]) == "x1 + x1 + x2"


def test_alpha_jungle_op_list_gives_one_formula_per_argument_set() -> None:
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "abs", "log"], ["close", "high", "low"])
    reply = """```json
{"formula": [
   {"name": "sub", "input": ["high", "low"], "param": [], "output": "spread"},
   {"name": "mul", "input": ["spread"], "param": ["k"], "output": "scaled"},
   {"name": "div", "input": ["scaled", "close"], "output": "alpha"}],
 "arguments": [{"k": 2}, {"k": 0.5}, {"k": 3}, {"k": 9}]}
```"""
    out = parse_reply(reply, ops)
    assert [str(e) for e in out.exprs] == ["(high - low) * 2.0 / close", "(high - low) * 0.5 / close",
                                           "(high - low) * 3.0 / close"]  # at most 3 argument sets
    assert extract_candidates('{"formula": [{"name": "log", "input": "close", "output": "a"}]}') == ["log(close)"]


def test_qlib_dialect_fields_and_day_windows() -> None:
    from srkit.search.llm.reply import normalize

    assert normalize("Pct($close, 5d) / $volume", ["close", "volume"]) == "Pct(close, 5) / volume"
    # a variable named d keeps 5d as an implicit product
    assert normalize("5d + 1", ["d"]) == "5*d + 1"
