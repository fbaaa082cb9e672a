"""LaTeX from an Expr, using each operator's LaTeX template."""

from __future__ import annotations

from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR
from srkit.core.printing import format_number

__all__ = ["to_latex"]

_ATOM = 1000
_POW = 40  # precedence of pow (see builtins)
_MUL = 20


def _latex_number(value: float, precision: int | None) -> str:
    text = format_number(value, precision)
    if "e" in text:
        mantissa, exp = text.split("e")
        text = rf"{mantissa} \cdot 10^{{{int(exp)}}}"
    return text


_GREEK = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)


def _var(name: str) -> str:
    base = name.rstrip("0123456789")
    if base in _GREEK:
        return rf"\{base}" + (rf"_{{{name[len(base):]}}}" if base != name else "")
    if "_" in name:
        head, tail = name.split("_", 1)
        return rf"{head}_{{{tail}}}"
    if len(name) > 1 and name[0].isalpha() and name[1:].isdigit():
        return rf"{name[0]}_{{{name[1:]}}}"
    return name if len(name) == 1 else rf"\mathrm{{{name}}}"


def to_latex(expr: Expr, precision: int | None = 4) -> str:
    """LaTeX of ``expr`` with coefficients to ``precision`` significant digits.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> to_latex(parse("3.14159*sin(x0)/x1"), 3)
    '\\\\frac{3.14 \\\\cdot \\\\sin{\\\\left(x_{0}\\\\right)}}{x_{1}}'
    """
    text, _ = _node(expr, 0, precision)
    return text


def _node(expr: Expr, i: int, precision: int | None) -> tuple[str, int]:
    code, arg = int(expr.codes[i]), int(expr.args[i])
    if code == VAR:
        return _var(expr.opset.variables[arg]), _ATOM
    if code == COEF:
        value = float(expr.coefs[arg])
        text = _latex_number(value, precision)
        if value < 0:
            return f"\\left({text}\\right)", _ATOM
        # "1 \cdot 10^{-5}" is a product: a power of it needs parentheses
        return text, (_MUL if r"\cdot" in text else _ATOM)
    op = expr.opset.operator(code)
    if op.arity == 0:
        return op.latex_template().format(), _ATOM
    kids = [_node(expr, k, precision) for k in expr.children(i)]
    template = op.latex_template()
    if op.infix in ("+", "-", "*"):
        (lt, lp), (rt, rp) = kids
        if lp < op.precedence:
            lt = rf"\left({lt}\right)"
        if rp < op.precedence or (op.infix == "-" and rp == op.precedence) or rp == 30:
            rt = rf"\left({rt}\right)"
        return template.format(lt, rt), op.precedence
    if op.infix == "**":
        (lt, lp), (rt, _) = kids
        if lp <= op.precedence:
            lt = rf"\left({lt}\right)"
        return template.format(lt, rt), op.precedence
    if op.name == "neg":
        t, p = kids[0]
        return template.format(rf"\left({t}\right)" if p < 20 or p == 30 else t), 30
    # templates that bracket their own arguments (functions, fractions, roots); one that
    # ends in a superscript (e^{x}, (x)^{2}) is a power, so a power of it needs parentheses
    prec = op.precedence if op.infix else (_POW if "^" in template else _ATOM)
    return template.format(*[t for t, _ in kids]), prec
