"""Parse formula text into an Expr with srkit's own parser.

The parser never calls ``eval`` or ``sympify`` on the text: formulas may come
from users, files or a language model, and must not run code.  It is a small
Pratt parser over a fixed token set:

- numbers (``3``, ``2.5``, ``1e-3``) become fitted coefficients;
- names are variables of the run, named constants (``pi``) or function calls
  (``sin(x0)``), looked up by name or alias in the operator set;
- ``+ - * / ** ^`` and unary minus, with Python's precedence (``-x**2`` is
  ``-(x**2)``, ``**`` is right-associative).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, OperatorRegistry, OperatorSet, suggest

__all__ = ["parse", "ParseError"]

MAX_LENGTH = 20_000
MAX_NESTING = 200

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^(),]|[\u2212\u00d7\u00b7\u00f7])"
    r")"
)
_UNICODE_OPS = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/", "^": "**"}
_INFIX = {"+": ("add", 10), "-": ("sub", 10), "*": ("mul", 20), "/": ("div", 20), "**": ("pow", 40)}
_UNARY_BP = 30


class ParseError(ValueError):
    """A formula could not be parsed; the message shows where and why."""


@dataclass
class _Tok:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()
            at = len(text) - len(bad)
            raise _error(text, at, f"unexpected character {bad[0]!r}")
        kind = m.lastgroup or "op"
        value = m.group(kind)
        if kind == "op":
            value = _UNICODE_OPS.get(value, value)
        toks.append(_Tok(kind, value, m.start(kind)))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


def _error(text: str, pos: int, why: str) -> ParseError:
    snippet = text if len(text) <= 120 else text[max(0, pos - 60) : pos + 60]
    offset = pos if len(text) <= 120 else min(pos, 60)
    return ParseError(f"cannot parse formula: {why} at position {pos}\n  {snippet}\n  {' ' * offset}^")


# A parsed node: nested tuples (code, arg, coef value, children) before flattening.
_Node = tuple[int, int, float, tuple["_Node", ...]]


class _Parser:
    def __init__(self, text: str, opset: OperatorSet) -> None:
        self.text = text
        self.opset = opset
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind != "op":
            found = "end of formula" if tok.kind == "end" else repr(tok.text)
            raise _error(self.text, tok.pos, f"expected {text!r}, found {found}")

    def expression(self, min_bp: int = 0) -> _Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _error(self.text, self.peek().pos, f"nesting deeper than {MAX_NESTING}")
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.text not in _INFIX:
                break
            name, bp = _INFIX[tok.text]
            if bp < min_bp or (bp == min_bp and tok.text != "**"):
                break
            self.take()
            # '**' is right-associative: its right side may hold another '**'
            right = self.expression(bp if tok.text == "**" else bp + 1)
            left = self.call(name, tok, (left, right))
        self.depth -= 1
        return left

    def number(self, tok: _Tok) -> float:
        value = float(tok.text)
        if not math.isfinite(value):  # 1e999 or a 400-digit literal
            raise _error(self.text, tok.pos, f"number {tok.text[:30]!r} is too large for float64")
        return value

    def prefix(self) -> _Node:
        tok = self.take()
        if tok.kind == "num":
            return (COEF, 0, self.number(tok), ())
        if tok.kind == "op" and tok.text in ("-", "+"):
            nxt, after = self.peek(), self.peek(1)
            if tok.text == "-" and nxt.kind == "num" and after.text != "**":
                self.take()
                return (COEF, 0, -self.number(nxt), ())
            operand = self.expression(_UNARY_BP)
            return operand if tok.text == "+" else self.call("neg", tok, (operand,))
        if tok.kind == "op" and tok.text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if tok.kind == "name":
            if self.peek().text == "(" and self.peek().kind == "op":
                self.take()
                args: list[_Node] = []
                if self.peek().text != ")":
                    args.append(self.expression(0))
                    while self.peek().text == ",":
                        self.take()
                        args.append(self.expression(0))
                self.expect(")")
                return self.call(tok.text, tok, tuple(args))
            if tok.text in self.opset.variables:
                return (VAR, self.opset.variables.index(tok.text), 0.0, ())
            if self.opset.has(tok.text) and self.opset.arity_of(self.opset.code(tok.text)) == 0:
                return (self.opset.code(tok.text), 0, 0.0, ())
            known = list(self.opset.variables) + [op.name for op in self.opset.operators if op.arity == 0]
            raise _error(
                self.text, tok.pos,
                f"unknown name {tok.text!r}.{suggest(tok.text, known)} "
                f"Variables are {', '.join(self.opset.variables)}",
            )
        found = "end of formula" if tok.kind == "end" else repr(tok.text)
        raise _error(self.text, tok.pos, f"unexpected {found}")

    def call(self, name: str, tok: _Tok, args: tuple[_Node, ...]) -> _Node:
        windowed = self.windowed(name, args)
        if windowed is not None:
            name, args = windowed
        if not self.opset.has(name):
            names = [op.name for op in self.opset.operators]
            raise _error(
                self.text, tok.pos,
                f"unknown operator {name!r}.{suggest(name, names)} Available: {', '.join(names)}",
            )
        code = self.opset.code(name)
        if self.opset.arity_of(code) != len(args):
            raise _error(
                self.text, tok.pos,
                f"{name} takes {self.opset.arity_of(code)} argument(s), got {len(args)}",
            )
        return (code, 0, 0.0, args)

    def windowed(self, name: str, args: tuple[_Node, ...]) -> tuple[str, tuple[_Node, ...]] | None:
        """``ts_mean(close, 5)`` -> ``ts_mean_5(close)`` when the call as written has no
        operator of that arity but a window-specialised one exists (panel operators).

        A non-integer window is floored, as in the 101 Formulaic Alphas.
        """
        if not args or args[-1][0] != COEF:
            return None
        if self.opset.has(name) and self.opset.arity_of(self.opset.code(name)) == len(args):
            return None
        value = args[-1][2]
        prefix = f"{name}_"
        windows = sorted(
            int(n[len(prefix):]) for n in self.opset._by_name if n.startswith(prefix) and n[len(prefix):].isdigit()
        )
        if not windows:
            return None
        if not np.isfinite(value) or value < 1:
            raise _error(
                self.text, self.peek().pos,
                f"{name} needs a window >= 1, got {value:g} (a negative shift would read future values)",
            )
        special = f"{name}_{int(np.floor(value))}"
        if not self.opset.has(special):
            if windows:
                raise _error(
                    self.text, self.peek().pos,
                    f"{name} has no window {int(np.floor(value))}; available windows: "
                    f"{', '.join(map(str, windows))}",
                )
            return None
        return special, args[:-1]


def _flatten(node: _Node, codes: list[int], args: list[int], coefs: list[float]) -> None:
    stack = [node]
    while stack:
        code, arg, value, kids = stack.pop()
        codes.append(code)
        if code == COEF:
            args.append(len(coefs))
            coefs.append(value)
        else:
            args.append(arg)
        stack.extend(reversed(kids))


def parse(
    text: str,
    opset: OperatorSet | Sequence[str] | None = None,
    *,
    registry: OperatorRegistry | None = None,
) -> Expr:
    """Parse ``text`` into an :class:`Expr`.

    Parameters
    ----------
    text : the formula, e.g. ``"3.1*sin(x0)/x1"``.
    opset : the run's :class:`OperatorSet` (operators restricted to it), or a list
        of variable names (any registry operator allowed), or None to take the
        variables from the names in the text in order of appearance.
    registry : where operators are looked up when ``opset`` is not an OperatorSet
        (default: the built-ins).

    Raises
    ------
    ParseError
        With the position and the reason, e.g. an unknown name with a did-you-mean.

    Examples
    --------
    >>> e = parse("3.1*sin(x0)/x1")
    >>> e.opset.variables, e.coefs.tolist(), e.size
    (('x0', 'x1'), [3.1], 6)
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"formula longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ParseError("cannot parse an empty formula")
    if not isinstance(opset, OperatorSet):
        if registry is None:
            from srkit.core.builtins import default_registry

            registry = default_registry()
        if opset is None:
            opset = _infer_variables(text, registry)
        variables = list(opset)
        # a variable shadows a named constant of the same name (a feature called "E")
        names = [n for n in registry.names() if not (n in variables and registry.get(n).arity == 0)]
        opset = registry.operator_set(names, variables)
    parser = _Parser(text, opset)
    node = parser.expression(0)
    tok = parser.peek()
    if tok.kind != "end":
        raise _error(text, tok.pos, f"unexpected {tok.text!r} after a complete formula")
    codes: list[int] = []
    args: list[int] = []
    coefs: list[float] = []
    _flatten(node, codes, args, coefs)
    expr = Expr(np.array(codes), np.array(args), np.array(coefs), opset)
    if expr.depth > MAX_NESTING:  # e.g. a 1000-term sum: too deep to print or export
        raise ParseError(f"formula nests deeper than {MAX_NESTING} levels ({expr.depth})")
    return expr


def _infer_variables(text: str, registry: OperatorRegistry) -> list[str]:
    names: list[str] = []
    for tok in _tokenize(text):
        if tok.kind == "name" and tok.text not in registry and tok.text not in names:
            names.append(tok.text)
    return names or ["x0"]
