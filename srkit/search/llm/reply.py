"""Formulas out of a model's reply, parsed by srkit's own parser (never eval/sympify).

Models write formulas in many dialects.  :func:`normalize` rewrites the common
ones into srkit's syntax before :func:`srkit.core.parse.parse` sees the text:

- ``np.sin``, ``numpy.exp``, ``math.log``, ``torch.cos``, ``sp.sqrt`` -> ``sin`` ...;
- ``x_0``, ``x_{0}``, ``X[0]``, ``X[:, 0]``, ``x[0]`` -> the run's first variable;
- ``y = ...``, ``f(x) = ...``, ``return ...``, bullets, trailing ``;`` and comments;
- LaTeX-ish ``\\frac{a}{b}``, ``\\sqrt{a}``, ``\\cdot``, ``\\left(``, ``\\sin``, ``e^{...}``;
- unicode ``²``, ``³``, ``√``, ``π`` and implicit products such as ``2x`` or ``)(``.

:func:`extract_candidates` finds the formula lines of a reply (code fences, a JSON
object or list, or plain lines) and :func:`parse_reply` parses them, returning
the formulas and the errors to send back in a repair prompt.  Alpha Jungle's JSON
op-list (steps with name, input, param and output, plus argument sets) is read too,
one formula per argument set (:func:`oplist_formulas`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.core.parse import ParseError, parse

__all__ = ["ParsedReply", "extract_candidates", "normalize", "oplist_formulas", "parse_reply", "MAX_REPLY_CHARS"]

#: Longer replies are cut: a runaway generation must not cost the parser time.
MAX_REPLY_CHARS = 50_000
_MAX_CANDIDATES = 50

_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n?(.*?)(?:```|\Z)", re.S)
_MODULE = re.compile(r"\b(?:np|numpy|math|torch|sp|sympy|jnp|cmath)\s*\.\s*(?=[A-Za-z_])")
_LHS = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z_0-9]*(?:\s*\([^()=]*\))?|\$?y\s*\(\s*x\s*\))\s*=(?!=)\s*")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|[0-9]{1,3}[.)]|\([0-9]{1,3}\))\s+")
_KEYS = ("formula", "formulas", "expression", "expressions", "equation", "equations", "candidates")
_NUMBER_BEFORE_NAME = re.compile(
    r"(?<![A-Za-z_0-9.])((?>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))\s*(?=[A-Za-z_(])"
)
_INDEXED = re.compile(
    r"\b[xX]\s*\[\s*(?::\s*,\s*)?([0-9]{1,4})\s*\]|\b[xX]_\{?([0-9]{1,4})\}?|\b[xX]([0-9]{1,4})\b"
)
_UNICODE = {"\u00b2": "**2", "\u00b3": "**3", "\u03c0": " pi ", "\u221a": "sqrt", "\u2062": "*"}
_LATEX_WORDS = {
    r"\cdot": "*", r"\times": "*", r"\left": "", r"\right": "", r"\,": " ", r"\;": " ", r"\!": "",
    r"\div": "/", r"\pi": " pi ", r"\ln": "log", r"\log": "log", r"\exp": "exp", r"\sin": "sin",
    r"\cos": "cos", r"\tan": "tan", r"\tanh": "tanh", r"\mathrm": "", r"\operatorname": "",
}


@dataclass
class ParsedReply:
    """What one reply yielded: formulas that parsed, and why the others did not."""

    exprs: list[Expr] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _from_json(text: str) -> list[str] | None:
    """Formula strings from the largest JSON value in ``text``; None when there is none."""
    starts = [i for i, ch in enumerate(text) if ch in "[{"][:20]
    ends = [i for i, ch in enumerate(text) if ch in "]}"][-20:]
    for s in starts:
        for e in reversed(ends):
            if e <= s:
                break
            try:
                value = json.loads(text[s : e + 1])
            except ValueError:
                continue
            found = _strings(value)
            if found:
                return found
    return None


def _json_fragments(text: str) -> list[str]:
    """The complete string values of truncated JSON (keys and a cut-off last string dropped)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != '"':
            i += 1
            continue
        j = i + 1
        while j < n and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        if j >= n:
            break  # the string was cut off
        rest = text[j + 1 : j + 40].lstrip()
        if not rest.startswith(":"):
            try:
                out.append(json.loads(text[i : j + 1]))
            except ValueError:
                pass
        i = j + 1
    return out


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        steps = value.get("formula")
        if isinstance(steps, list) and steps and all(isinstance(st, dict) for st in steps):
            return oplist_formulas(value)
        for key in _KEYS:
            if key in value:
                return _strings(value[key])
    return []


def _words(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def _substitute(text: str, env: dict[str, str]) -> str:
    if not env:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(env, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: env[m.group(1)], text)


def oplist_formulas(value: dict[str, object], max_argument_sets: int = 3) -> list[str]:
    """Formulas from Alpha Jungle's JSON op-list, one per argument set (at most 3).

    ``{"formula": [{"name", "input", "param", "output"}, ...], "arguments": [{param: value}]}``:
    each step is the call ``name(*input, *param)``; a later step may use an earlier
    step's output by name; the last step is the formula.

    Examples
    --------
    >>> oplist_formulas({"formula": [
    ...     {"name": "ts_mean", "input": ["close"], "param": ["w"], "output": "m"},
    ...     {"name": "div", "input": ["close", "m"], "output": "f"}],
    ...     "arguments": [{"w": 5}, {"w": 20}]})
    ['div(close, ts_mean(close, 5))', 'div(close, ts_mean(close, 20))']
    """
    env: dict[str, str] = {}
    last = ""
    steps = value.get("formula")
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict) or not step.get("name"):
            return []
        args = [_substitute(a, env) for a in _words(step.get("input"))] + _words(step.get("param"))
        last = f"{step['name']}({', '.join(args)})"
        if step.get("output"):
            env[str(step["output"]).strip()] = last
    sets = value.get("arguments")
    if not isinstance(sets, list) or not sets:
        return [last] if last else []
    out = []
    for params in sets[:max_argument_sets]:
        if isinstance(params, dict):
            out.append(_substitute(last, {str(k): str(v) for k, v in params.items()}))
    return out


def extract_candidates(reply: str) -> list[str]:
    """The formula texts of a reply, in order (at most 50).

    Examples
    --------
    >>> extract_candidates('Sure!\\n```python\\ny = np.sin(x0) * 2\\n```')
    ['y = np.sin(x0) * 2']
    >>> extract_candidates('{"formulas": ["x0 + 1", "x0 * x1"]}')
    ['x0 + 1', 'x0 * x1']
    """
    text = reply[:MAX_REPLY_CHARS]
    fenced = _FENCE.findall(text) if "```" in text else []
    body = "\n".join(fenced) if fenced else text
    found = _from_json(body) if ("{" in body or "[" in body) and '"' in body else None
    if found is None and body.lstrip()[:1] in ("{", "[") and '"' in body:
        found = _json_fragments(body)
    if not found:
        found = [line for line in body.splitlines() if line.strip()]
    return [s.strip() for s in found if s.strip()][:_MAX_CANDIDATES]


def _latex(text: str) -> str:
    """Rewrite LaTeX-ish notation into plain infix (brace groups become parentheses)."""
    text = text.replace("$", "")
    for _ in range(20):  # \frac{a}{b} and \sqrt{a}, innermost first
        new = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"((\1)/(\2))", text)
        new = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"sqrt(\1)", new)
        new = re.sub(r"\be\s*\^\s*\{([^{}]*)\}", r"exp(\1)", new)
        new = re.sub(r"\^\s*\{([^{}]*)\}", r"**(\1)", new)
        if new == text:
            break
        text = new
    for word, repl in sorted(_LATEX_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(word, repl)
    return text.replace("{", "(").replace("}", ")")


def _implicit_products(text: str) -> str:
    """Insert ``*`` in ``2x``, ``2(``, ``)(``, ``)x`` and ``) 2`` (numbers keep their exponents)."""
    # the number is an atomic group: no backtracking into its digits (linear on "1111...")
    text = _NUMBER_BEFORE_NAME.sub(r"\1*", text)
    return re.sub(r"\)\s*(?=[A-Za-z_0-9(.])", ")*", text)


def _variable_for(mo: re.Match[str], variables: tuple[str, ...]) -> str:
    """The run's variable for ``X[k]`` (by position) or ``x_k`` / ``xk`` (by name, else position)."""
    word = mo.group(0)
    if word in variables:
        return word
    if mo.group(1) is not None:
        k = int(mo.group(1))
        return variables[k] if k < len(variables) else word
    k = int(mo.group(2) or mo.group(3))
    for name in (f"{word[0]}{k}", f"x{k}", f"x_{k}"):
        if name in variables:
            return name
    return variables[k] if k < len(variables) else word


#: Qlib's dialect, shared with srkit.alpha.formula: ``$close`` for a field, ``5d`` for a window.
QLIB_FIELD = re.compile(r"\$([A-Za-z_]\w*)")
QLIB_DAYS = re.compile(r"\b(\d+)d\b")


def normalize(text: str, variables: tuple[str, ...] | list[str] = ()) -> str:
    """Rewrite one formula from a model's dialect into srkit's syntax.

    Examples
    --------
    >>> normalize("y = 2.5*np.exp(-X[:, 1]) + math.log(x_0);", ["a", "b"])
    '2.5*exp(-b) + log(a)'
    >>> normalize(r"\\frac{m_1}{r^{2}}", ["m_1", "r"])
    '((m_1)/(r**(2)))'
    """
    variables = tuple(variables)
    text = text.strip().strip("`").strip()
    text = _BULLET.sub("", text)
    if text.lower().startswith("return "):
        text = text[7:]
    text = text.split("#", 1)[0].rstrip().rstrip(";,.").strip()
    if variables:
        text = _INDEXED.sub(lambda mo: _variable_for(mo, variables), text)
    if ":" in text:  # a label such as "Candidate 2: ..." (X[:, 0] was rewritten above)
        text = text.rsplit(":", 1)[1]
    # Qlib's alpha dialect: $close for a field, 5d for a window of 5 days
    text = QLIB_FIELD.sub(lambda mo: mo.group(1) if mo.group(1) in variables else mo.group(0), text)
    if "d" not in variables:
        text = QLIB_DAYS.sub(r"\1", text)
    if "\\" in text or "$" in text or "{" in text:
        text = _latex(text)
    for ch, repl in _UNICODE.items():
        text = text.replace(ch, repl)
    text = _MODULE.sub("", text)
    # only the right side of "y = ..." / "f(x) = ..."; a variable named like the target stays
    m = _LHS.match(text)
    if m:
        text = text[m.end():]
    text = _implicit_products(text)
    return text.replace("^", "**").strip()


def parse_reply(
    reply: str,
    opset: OperatorSet,
    *,
    max_size: int | None = None,
    max_depth: int | None = None,
    max_formulas: int = 10,
) -> ParsedReply:
    """Parse every formula in ``reply`` with the run's operator set.

    Formulas over the size or depth limit, and lines that do not parse, are
    reported in ``errors`` (text for a repair prompt) instead of raising.

    Examples
    --------
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x0", "x1"])
    >>> r = parse_reply("```\\ny = 2*np.sin(x_0)\\nfoo bar\\n```", ops)
    >>> [str(e) for e in r.exprs], len(r.errors)
    (['2.0 * sin(x0)'], 1)
    """
    out = ParsedReply()
    seen: set[bytes] = set()
    has_pi = opset.has("pi")
    for raw in extract_candidates(reply):
        text = normalize(raw, opset.variables)
        if not has_pi:  # pi without the constant operator: a coefficient to fit
            text = re.sub(r"\bpi\b", "3.141592653589793", text)
        if not text:
            continue
        try:
            expr = parse(text, opset)
        except ParseError as exc:
            out.errors.append(f"{raw[:200]!r}: {str(exc).splitlines()[0]}")
            continue
        if max_size is not None and expr.size > max_size:
            out.errors.append(f"{raw[:200]!r}: {expr.size} nodes, more than the limit of {max_size}")
            continue
        if max_depth is not None and expr.depth > max_depth:
            out.errors.append(f"{raw[:200]!r}: nests {expr.depth} deep, more than the limit of {max_depth}")
            continue
        key = expr.skeleton + expr.coefs.tobytes()
        if key not in seen:
            seen.add(key)
            out.exprs.append(expr)
            out.texts.append(raw)
        if len(out.exprs) >= max_formulas:
            break
    return out
