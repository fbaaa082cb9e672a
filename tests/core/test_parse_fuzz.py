"""Fuzzing the formula parser (and the LLM reply parser on top of it) with hostile text.

Each string either parses to a valid Expr with finite coefficients or raises
srkit's ParseError; nothing is executed (eval/exec/compile/os.system are
trapped) and the work of a call is linear in the length of the text: it is
bounded by a count of function calls, not by the clock, so the tests mean the
same on a loaded 2-core machine as on an idle one (issue 27).
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import os
import subprocess
import sys
from typing import Any, Callable, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srkit.core import Expr, ParseError, default_registry, parse
from srkit.search.llm.reply import ParsedReply, parse_reply

OPSET = default_registry().operator_set(
    ["add", "sub", "mul", "div", "pow", "neg", "sin", "exp", "log", "sqrt", "pi"], ["x0", "x1", "m_1"]
)
#: Function calls (Python and built-in) one parse may make: a constant plus this many
#: per character.  Parsing is linear, about 22 calls per character at most on the
#: inputs here (a 15,000-character sum makes 330,000 calls); a quadratic or
#: exponential path exceeds the bound on any input of a few hundred characters.
CALLS_PER_CHAR = 100
CALLS_BASE = 2000

_TOKENS = [
    "x0", "x1", "m_1", "y", "sin", "exp", "ln", "log", "sqrt", "pi", "E", "(", ")", "+", "-", "*", "/", "**",
    "^", ",", " ", "2.5", "1e308", "1e999", "-1e-400", "0", ".5", "7.", "1e", "__import__", "'os'", '"os"',
    "os.system", "eval", "exec", "lambda", ":", "[", "]", "{", "}", ";", "\n", "\t", "\u2212", "\u00d7", "\u00f7",
    "\u00b2", "\u221a", "\u03c0", "\uff11", "\u0663", "\x00", "\u202e", "\U0001F600", "np.", "math.", "x_0",
    "X[0]", "X[:, 1]", "\\frac{", "}{", "\\cdot", "\\sqrt{", "$", "```", "y =", "=", "#", "0x1F", "1_000", "@",
]

ADVERSARIAL = [
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1+1')",
    "exec(\"import os\")",
    "lambda: 0",
    "x0 if x0 else x1",
    "[x for x in ()]",
    "open('/etc/passwd').read()",
    "1e99999999",
    "9" * 400,
    "-" + "9" * 400 + ".0",
    "10**10**10**10",
    "2**2**2**2**2**2**2**2",
    "x0**1e308**1e308",
    "(" * 199 + "x0" + ")" * 199,
    "(" * 200 + "x0" + ")" * 200,
    "(" * 5000 + "x0" + ")" * 5000,
    "sin(" * 3000 + "x0" + ")" * 3000,
    "-" * 10000 + "x0",
    "+".join(["x0"] * 5000),
    "**".join(["x0"] * 5000),
    "x0" + " " * 19000,
    "x" * 20001,
    "1" * 19999,
    "\u0663\u0664 + x0",
    "\uff11 + x0",
    "x0\u202e + x1",
    "x\u200b0",
    "\U0001F600",
    "",
    "   ",
    "\x00",
    "x0 +",
    "sin()",
    "sin(x0, x1)",
    "pi(x0)",
    ")(",
    "x0 x1",
]


@contextlib.contextmanager
def _nothing_executed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    # lazy imports (printing, sympy-free helpers) happen now, before the trap is set
    str(parse("sin(x0) ** 2 / x1 - pi", OPSET))
    parse_reply("```\ny = np.sin(x_0)\n```", OPSET)
    calls: list[str] = []
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: calls.append(_n))
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append("os.system"))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append("Popen"))
    try:
        yield calls
    finally:
        monkeypatch.undo()


@functools.cache
def _warm() -> None:
    """Run each parser once, so that one-off lazy imports are not counted as work."""
    str(parse("sin(x0) ** 2 / x1 - pi", OPSET))
    parse_reply("```\ny = np.sin(x_0)\n```", OPSET)


def _calls(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()``'s result (or the ParseError it raised) and the number of function calls it made."""
    _warm()
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result: Any = fn()
    except ParseError as exc:
        result = exc
    finally:
        sys.setprofile(previous)
    return result, count


def _assert_linear(calls: int, text: str, what: str) -> None:
    bound = CALLS_BASE + CALLS_PER_CHAR * len(text)
    assert calls <= bound, f"{what} made {calls} calls (bound {bound}) on {text[:60]!r}"


def _check_parse(text: str) -> None:
    expr, calls = _calls(lambda: parse(text, OPSET))
    _assert_linear(calls, text, "parse")
    if not isinstance(expr, ParseError):
        assert isinstance(expr, Expr)
        Expr(expr.codes, expr.args, expr.coefs, expr.opset)  # re-validates the prefix arrays
        assert np.isfinite(expr.coefs).all()
        assert parse(str(expr), OPSET) == expr  # what parsed prints back to the same formula


def _check_reply(text: str) -> None:
    out, calls = _calls(lambda: parse_reply(text, OPSET, max_size=40, max_depth=12))
    _assert_linear(calls, text, "parse_reply")
    assert isinstance(out, ParsedReply)
    assert all(isinstance(e, Expr) and e.size <= 40 and np.isfinite(e.coefs).all() for e in out.exprs)


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_strings_parse_or_raise_parse_error(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _nothing_executed(monkeypatch) as calls:
        _check_parse(text)
        _check_reply(text)
        _check_reply(f"```python\ny = {text}\n```")
        _check_reply('{"formulas": ["' + text.replace('"', "'") + '", "x0"')
    assert calls == []


def test_what_must_be_rejected_is_rejected() -> None:
    for text in ("__import__('os').system('echo pwned')", "1e99999999", "9" * 400, "(" * 5000 + "x0" + ")" * 5000,
                 "\u0663\u0664 + x0", "lambda: 0", "sin()", "x0 x1"):
        with pytest.raises(ParseError):
            parse(text, OPSET)


_FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@pytest.mark.slow
@_FUZZ
@given(st.text(max_size=300))
def test_random_unicode_text(text: str) -> None:
    _check_parse(text)
    _check_reply(text)


@pytest.mark.slow
@_FUZZ
@given(st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join))
def test_random_token_soup(text: str) -> None:
    _check_parse(text)
    _check_reply(text)


@pytest.mark.slow
@_FUZZ
@given(st.recursive(
    st.sampled_from(["x0", "x1", "m_1", "2.5", "1e300", "pi", "7"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["sin", "exp", "log", "sqrt", "-", "np.sin", "math.exp"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
    ),
    max_leaves=40,
))
def test_random_well_formed_formulas_parse(text: str) -> None:
    _check_parse(text)
    replies = parse_reply(f"y = {text}", OPSET, max_size=10_000, max_depth=200)
    assert replies.exprs, replies.errors  # every well-formed formula is accepted through the LLM path too
