"""A GBNF grammar of the run's formulas, for constrained decoding by llama.cpp.

A small local model asked for formulas mostly writes prose or Python; llama.cpp
can restrict its sampling to a grammar, so that every token it picks continues
a reply that srkit's parser reads: one ``text`` code block of formulas over the
run's variables and operators.  The model still chooses which formula (its
probabilities are kept inside the grammar); only unreadable text is ruled out.

The grammar follows :mod:`srkit.core.parse`: numbers, variable names, named
constants, function calls by canonical name (``sin(x0)``, ``ts_mean_5(close)``),
and the infix operators of the set with the usual precedence.
"""

from __future__ import annotations

from srkit.core.operators import OperatorSet

__all__ = ["formula_gbnf"]

#: most terms of a sum and factors of a product in one formula (srkit's formulas are small)
MAX_TERMS = 6
MAX_FACTORS = 4

_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _choice(items: list[str]) -> str:
    return " | ".join(_literal(t) for t in items)


def formula_gbnf(opset: OperatorSet, max_formulas: int = 8) -> str:
    """GBNF text: a ```text block of 1..``max_formulas`` lines, each a formula of ``opset``.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> g = formula_gbnf(default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"]))
    >>> print(g.splitlines()[0])
    root ::= "```text\\n" line{1,8} "```"
    >>> 'call ::= "sin" "(" expr ")"' in g and 'var ::= "x0" | "x1"' in g
    True
    """
    if max_formulas < 1:
        raise ValueError(f"max_formulas must be >= 1, got {max_formulas}")
    has = {name: opset.has(name) for name in _INFIX}
    additive = [s for n, s in _INFIX.items() if n in ("add", "sub") and has[n]]
    multiplicative = [s for n, s in _INFIX.items() if n in ("mul", "div") and has[n]]
    constants = [op.name for op in opset.operators if op.arity == 0]
    calls = []
    for op in opset.operators:
        if op.arity == 0 or op.name in _INFIX:
            continue
        args = ' ", " '.join(["expr"] * op.arity)
        calls.append(f'{_literal(op.name)} "(" {args} ")"')
    rules = [
        f'root ::= "```text\\n" line{{1,{max_formulas}}} "```"',
        'line ::= expr "\\n"',
        # bounded repetitions: unbounded, a small model writes 1,000-token sums until max_tokens
        "expr ::= term" + (f' (" " ({_choice(additive)}) " " term){{0,{MAX_TERMS - 1}}}' if additive else ""),
        "term ::= factor" + (f' (" " ({_choice(multiplicative)}) " " factor){{0,{MAX_FACTORS - 1}}}'
                             if multiplicative else ""),
        "factor ::= primary" + (' ("**" primary)?' if has["pow"] else ""),
        "primary ::= " + " | ".join(
            ["num", "var"] + (["const"] if constants else []) + (["call"] if calls else []) + ['"(" expr ")"']),
        'num ::= "-"? [0-9] [0-9]? [0-9]? ("." [0-9] [0-9]? [0-9]? [0-9]?)?',
        "var ::= " + _choice(list(opset.variables)),
    ]
    if constants:
        rules.append("const ::= " + _choice(constants))
    if calls:
        rules.append("call ::= " + " | ".join(calls))
    return "\n".join(rules) + "\n"
