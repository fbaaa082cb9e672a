"""No public function evaluates text (issue 27): strings go through srkit's parser, then to_sympy.

Each exploit string would create a file if it were evaluated (``sympy.sympify`` and
``parse_expr`` both ``eval`` their input); the tests assert a clear error and no file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import sympy

import srkit
from srkit.core.parse import ParseError
from srkit.export import from_sympy
from srkit.problems import get
from srkit.problems.recovery import check_recovery, parse_expression
from srkit.problems.spec import BenchmarkProblem, formula_to_sympy


def _exploits(target: Path) -> list[str]:
    return [
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w').write('x')",
        f"x + __import__(\"pathlib\").Path(\"{target}\").touch()",
        f"Lambda(x, exec(\"open('{target}','w')\"))(1)",
    ]


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def test_from_sympy_never_runs_a_string(target):
    for text in _exploits(target):
        with pytest.raises(ValueError):  # ParseError: srkit's parser reads formulas only
            from_sympy(text)
        assert not target.exists()
    # a formula string still works, read by srkit's parser
    assert str(from_sympy("y + 2*sin(x)")) == "y + 2.0 * sin(x)"
    assert from_sympy("y + 2*sin(x)").opset.variables == ("x", "y")


def test_from_sympy_refuses_objects_that_sympify_would_stringify(target):
    class Sneaky:
        def __str__(self) -> str:
            return f"__import__('os').system('touch {target}')"

    with pytest.raises(TypeError, match="sympy expression"):
        from_sympy(Sneaky())
    assert not target.exists()
    assert str(from_sympy(2 * sympy.Symbol("x"))) == "2.0 * x"


def test_check_recovery_never_runs_the_found_string(target):
    p = get("Nguyen-1")
    X, y = p.sample("test", random_state=0)
    for text in _exploits(target):
        with pytest.raises(ValueError):
            parse_expression(text, p)
        r = check_recovery(text, p, X, y)
        assert (r.recovered, r.recovered_exact, r.numeric_recovery) == (False, False, False)
        assert r.check_status["recovered"].startswith("error: ParseError")
        assert not target.exists()
    assert check_recovery("x1*(x1*(x1+1)+1)", p, X, y).recovered_exact is True


def test_a_user_problem_formula_is_never_run(target):
    plan = get("Nguyen-1").train
    prob = BenchmarkProblem("evil", (), "user", _exploits(target)[0], ("x1",), plan, plan)
    with pytest.raises(ParseError):
        prob.ground_truth  # noqa: B018 - the property parses the formula
    with pytest.raises(ParseError):
        prob.evaluate(np.ones((2, 1)))
    assert not target.exists()


def test_formula_to_sympy_reads_what_sympify_read():
    x = sympy.Symbol("x", real=True)
    assert formula_to_sympy("3.39*x**2 + arcsin(x) - 8.0", {"x": x}, rational=True) == \
        sympy.Rational(339, 100) * x**2 + sympy.asin(x) - 8
    e = formula_to_sympy("2*I/r + E + lambda + pi")
    assert not e.has(sympy.I) and not e.has(sympy.E) and e.has(sympy.pi)
    assert sympy.srepr(formula_to_sympy("8.0*x")) == sympy.srepr(sympy.Float("8.0") * sympy.Symbol("x", real=True))


def test_every_builtin_problem_still_loads():
    from srkit import problems

    for name in problems.names():
        p = problems.get(name)
        assert isinstance(p.ground_truth, sympy.Expr) and {s.name for s in p.ground_truth.free_symbols} <= set(
            p.variables)


def test_no_module_of_srkit_sympifies_or_evals_text():
    """A guard for the future: every sympify is strict, and nothing calls parse_expr, eval or exec."""
    root = Path(srkit.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if "sympify(" in code and "strict=True" not in code:
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
            if re.search(r"(?<![\w.])(eval|exec)\(|parse_expr\(", code):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
