"""Definitions of the benchmark suites.

Nguyen, Constant (Nguyen-c), Keijzer, Livermore and Jin follow the deep-symbolic-optimization
benchmark table (``dso/dso/task/regression/benchmarks.csv``) and its sampling semantics;
R follows the DSO / RSRM literature (20 evenly spaced points on [-1, 1], train = test);
Koza-1..3 are on ``U[-1, 1, 20]``; AI Feynman uses ``U[low, high]`` per variable with
10,000 training and 10,000 test points (the SRBench cap). Where a source defines no test
set, the test set is a fresh 1000-point draw from the training distribution.
"""

from __future__ import annotations

import re

from .feynman_table import FEYNMAN_EQUATIONS, FILENAME_CORRECTIONS, FeynmanEntry
from .sampling import Sampling
from .spec import BenchmarkProblem

#: Suites in display order (the ``"nguyen-c"`` suite holds ``Constant-*`` problems).
SUITE_ORDER: tuple[str, ...] = (
    "nguyen",
    "nguyen-c",
    "constant",
    "keijzer",
    "livermore",
    "r",
    "jin",
    "koza",
    "feynman",
    "feynman10",
    "feynman20",
)

#: The 10 AI Feynman problems of the peer comparison in the benchmarks brief.
FEYNMAN10: tuple[str, ...] = (
    "I.6.2a",
    "I.12.1",
    "I.14.3",
    "I.18.4",
    "I.25.13",
    "I.29.4",
    "I.34.8",
    "I.39.1",
    "II.11.3",
    "III.4.33",
)

#: Constant-* problems that also go by a Nguyen-Nc name, in the brief's nguyen-c order.
NGUYEN_C: dict[str, str] = {
    "Constant-1": "Nguyen-1c",
    "Constant-2": "Nguyen-5c",
    "Constant-8": "Nguyen-7c",
    "Constant-5": "Nguyen-8c",
    "Constant-3": "Nguyen-10c",
}

FEYNMAN_N = 10_000
_CAP = 100.0  # DSO: rows with |y| >= 100 are re-drawn (uniform plans only)


def _u(*ranges: tuple[float, float], n: int) -> Sampling:
    return Sampling.uniform(*ranges, n=n, max_abs_y=_CAP)


def _e(*ranges: tuple[float, float, float]) -> Sampling:
    return Sampling.grid(*ranges)


def _fresh_test(train: Sampling, n: int = 1000) -> Sampling:
    """A fresh ``n``-point draw from the training distribution."""
    if train.kind != "uniform":
        raise ValueError("only a uniform training plan has a fresh-draw test set")
    return Sampling(
        "uniform", train.low, train.high, n=n, max_abs_y=train.max_abs_y
    )


def _auto_aliases(name: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    out: list[str] = []
    for a in (name, *extra):
        for cand in (a, a.lower(), a.replace("-", "").lower()):
            if cand != name and cand not in out:
                out.append(cand)
    return tuple(out)


def _dso(
    name: str,
    suite: str,
    formula: str,
    train: Sampling,
    test: Sampling | None = None,
    *,
    aliases: tuple[str, ...] = (),
    source: str = "DSO benchmark table",
) -> BenchmarkProblem:
    test = _fresh_test(train) if test is None else test
    d = train.n_variables
    return BenchmarkProblem(
        name=name,
        aliases=_auto_aliases(name, aliases),
        suite=suite,
        formula=formula,
        variables=tuple(f"x{i + 1}" for i in range(d)),
        train=train,
        test=test,
        description=f"{name} ({source})",
    )


_X1 = (-1.0, 1.0)
_X01 = (0.0, 1.0)
_X02 = (0.0, 2.0)
_X04 = (0.0, 4.0)
_X33 = (-3.0, 3.0)


def _nguyen() -> list[BenchmarkProblem]:
    rows = [
        ("x1**3+x1**2+x1", _u(_X1, n=20)),
        ("x1**4+x1**3+x1**2+x1", _u(_X1, n=20)),
        ("x1**5+x1**4+x1**3+x1**2+x1", _u(_X1, n=20)),
        ("x1**6+x1**5+x1**4+x1**3+x1**2+x1", _u(_X1, n=20)),
        ("sin(x1**2)*cos(x1)-1", _u(_X1, n=20)),
        ("sin(x1)+sin(x1+x1**2)", _u(_X1, n=20)),
        ("log(x1+1)+log(x1**2+1)", _u(_X02, n=20)),
        ("sqrt(x1)", _u(_X04, n=20)),
        ("sin(x1)+sin(x2**2)", _u(_X01, _X01, n=20)),
        ("2*sin(x1)*cos(x2)", _u(_X01, _X01, n=20)),
        ("x1**x2", _u(_X01, _X01, n=20)),
        ("x1**4-x1**3+x2**2/2-x2", _u(_X01, _X01, n=20)),
    ]
    return [_dso(f"Nguyen-{i}", "nguyen", f, tr) for i, (f, tr) in enumerate(rows, 1)]


def _constant() -> list[BenchmarkProblem]:
    rows = [
        ("3.39*x1**3+2.12*x1**2+1.78*x1", _u(_X1, n=20)),
        ("sin(x1**2)*cos(x1)-0.75", _u(_X1, n=20)),
        ("sin(1.5*x1)*cos(0.5*x2)", _u(_X01, _X01, n=20)),
        ("2.7*x1**x2", _u(_X01, _X01, n=20)),
        ("sqrt(1.23*x1)", _u(_X04, n=20)),
        ("x1**0.426", _u(_X04, n=20)),
        ("2*sin(1.3*x1)*cos(x2)", _u(_X01, _X01, n=20)),
        ("log(x1+1.4)+log(x1**2+1.3)", _u(_X02, n=20)),
    ]
    out = []
    for i, (f, tr) in enumerate(rows, 1):
        name = f"Constant-{i}"
        extra = (NGUYEN_C[name],) if name in NGUYEN_C else ()
        out.append(_dso(name, "constant", f, tr, aliases=extra))
    return out


def _keijzer() -> list[BenchmarkProblem]:
    big = _e((-3, 3, 0.01), (-3, 3, 0.01))
    rows = [
        (
            4,
            "x1**3*exp(-x1)*cos(x1)*sin(x1)*(sin(x1)**2*cos(x1)-1)",
            _e((0, 10, 0.1)),
            _e((0.05, 10.05, 0.1)),
        ),
        (
            5,
            "30*x1*x3/((x1-10)*x2**2)",
            _u(_X1, _X1, (1, 2), n=1000),
            _u(_X1, _X1, (1, 2), n=10000),
        ),
        (6, "x1*(x1+1)/2", _e((1, 50, 1)), _e((1, 120, 1))),
        (7, "log(x1)", _e((1, 100, 1)), _e((1, 100, 0.1))),
        (8, "sqrt(x1)", _e((0, 100, 1)), _e((1, 100, 0.1))),
        (9, "log(x1+sqrt(x1**2+1))", _e((0, 100, 1)), _e((1, 100, 0.1))),
        (10, "x1**x2", _u(_X01, _X01, n=100), _e((0, 1, 0.01), (0, 1, 0.01))),
        (11, "x1*x2+sin((x1-1)*(x2-1))", _u(_X33, _X33, n=20), big),
        (12, "x1**4-x1**3+x2**2/2-x2", _u(_X33, _X33, n=20), big),
        (13, "6*sin(x1)*cos(x2)", _u(_X33, _X33, n=20), big),
        (14, "8/(2+x1**2+x2**2)", _u(_X33, _X33, n=20), big),
        (15, "x1**3/5+x2**3/2-x2-x1", _u(_X33, _X33, n=20), big),
    ]
    return [_dso(f"Keijzer-{i}", "keijzer", f, tr, te) for i, f, tr, te in rows]


def _livermore() -> list[BenchmarkProblem]:
    rows = [
        ("1/3+x1+sin(x1**2)", _u((-10, 10), n=1000)),
        ("sin(x1**2)*cos(x1)-2", _u(_X1, n=20)),
        ("sin(x1**3)*cos(x1**2)-1", _u(_X1, n=20)),
        ("log(x1+1)+log(x1**2+1)+log(x1)", _u(_X02, n=20)),
        ("x1**4-x1**3+x2**2-x2", _u(_X01, _X01, n=20)),
        ("4*x1**4+3*x1**3+2*x1**2+x1", _u(_X1, n=20)),
        ("(exp(x1)-exp(-x1))/2", _u(_X1, n=20)),
        ("(exp(x1)+exp(-x1))/2", _u(_X1, n=20)),
        ("x1**9+x1**8+x1**7+x1**6+x1**5+x1**4+x1**3+x1**2+x1", _u(_X1, n=20)),
        ("6*sin(x1)*cos(x2)", _u(_X01, _X01, n=20)),
        ("x1**2*x2**2/(x1+x2)", _u(_X1, _X1, n=50)),
        ("x1**5/x2**3", _u(_X1, _X1, n=50)),
        ("x1**(1/3)", _u(_X04, n=20)),
        ("x1**3+x1**2+x1+sin(x1)+sin(x2**2)", _u(_X1, _X1, n=20)),
        ("x1**(1/5)", _u(_X04, n=20)),
        ("x1**(2/3)", _u(_X04, n=20)),
        ("4*sin(x1)*cos(x2)", _u(_X01, _X01, n=20)),
        ("sin(x1**2)*cos(x1)-5", _u(_X1, n=20)),
        ("log(x1**2+x1)+log(x1**3+x1)", _u(_X02, n=20)),
        ("x1**5+x1**4+x1**2+x1", _u(_X1, n=20)),
        ("exp(-x1**2)", _u(_X1, n=20)),
        ("x1**8+x1**7+x1**6+x1**5+x1**4+x1**3+x1**2+x1", _u(_X1, n=20)),
    ]
    return [
        _dso(f"Livermore-{i}", "livermore", f, tr) for i, (f, tr) in enumerate(rows, 1)
    ]


def _r() -> list[BenchmarkProblem]:
    grid = Sampling.linspace(_X1, n=20)
    rows = [
        "(x1+1)**3/(x1**2-x1+1)",
        "(x1**5-3*x1**3+1)/(x1**2+1)",
        "(x1**6+x1**5)/(x1**4+x1**3+x1**2+x1+1)",
    ]
    return [
        _dso(f"R{i}", "r", f, grid, grid, aliases=(f"R-{i}",), source="DSO/RSRM literature")
        for i, f in enumerate(rows, 1)
    ]


def _jin() -> list[BenchmarkProblem]:
    rows = [
        "2.5*x1**4-1.3*x1**3+0.5*x2**2-1.7*x2",
        "8.0*x1**2+8.0*x2**3-15.0",
        "0.2*x1**3+0.5*x2**3-1.2*x2-0.5*x1",
        "1.5*exp(x1)+5.0*cos(x2)",
        "6.0*sin(x1)*cos(x2)",
        "1.35*x1*x2+5.5*sin((x1-1.0)*(x2-1.0))",
    ]
    return [
        _dso(f"Jin-{i}", "jin", f, _u(_X33, _X33, n=100), _u(_X33, _X33, n=30))
        for i, f in enumerate(rows, 1)
    ]


def _koza() -> list[BenchmarkProblem]:
    rows = ["x1**4+x1**3+x1**2+x1", "x1**5-2*x1**3+x1", "x1**6-2*x1**4+x1**2"]
    return [
        _dso(f"Koza-{i}", "koza", f, _u(_X1, n=20), source="Koza")
        for i, f in enumerate(rows, 1)
    ]


_SYMPY_FUNCS = ((re.compile(r"\barcsin\("), "asin("), (re.compile(r"\bln\("), "log("))


def feynman_formula(source: str) -> str:
    """Translate an AI Feynman formula to sympy spelling (``arcsin`` -> ``asin``, ``ln``
    -> ``log``).

    Examples
    --------
    >>> feynman_formula("n*kb*T*ln(V2/V1)")
    'n*kb*T*log(V2/V1)'
    """
    for pat, repl in _SYMPY_FUNCS:
        source = pat.sub(repl, source)
    return source


def _feynman_problem(e: FeynmanEntry) -> BenchmarkProblem:
    ranges = tuple((lo, hi) for _, lo, hi in e.variables)
    plan = Sampling.uniform(*ranges, n=FEYNMAN_N)
    corrected = FILENAME_CORRECTIONS.get(e.filename)
    aliases = [
        e.filename.lower(),
        f"feynman-{e.filename}",
        f"feynman-{e.number}",
        "feynman_" + e.filename.replace(".", "_"),  # PMLB / SRBench dataset name
    ]
    if corrected:
        aliases += [corrected, f"feynman-{corrected}"]
    shown = f"{e.filename} (= {corrected})" if corrected else e.filename
    return BenchmarkProblem(
        name=e.filename,
        aliases=tuple(dict.fromkeys(a for a in aliases if a != e.filename)),
        suite="feynman",
        formula=feynman_formula(e.formula),
        variables=tuple(name for name, _, _ in e.variables),
        train=plan,
        test=plan,
        description=f"AI Feynman #{e.number} {shown}: {e.output} = {e.formula}",
        target=e.output,
    )


def build_problems() -> tuple[list[BenchmarkProblem], dict[str, tuple[str, ...]]]:
    """Build every problem and the suite -> problem-name table.

    Examples
    --------
    >>> problems, suites = build_problems()
    >>> len(suites["feynman"]), suites["nguyen-c"][:2]
    (100, ('Constant-1', 'Constant-2'))
    """
    groups = {
        "nguyen": _nguyen(),
        "constant": _constant(),
        "keijzer": _keijzer(),
        "livermore": _livermore(),
        "r": _r(),
        "jin": _jin(),
        "koza": _koza(),
        "feynman": [_feynman_problem(e) for e in FEYNMAN_EQUATIONS],
    }
    problems = [p for g in groups.values() for p in g]
    table = {k: tuple(p.name for p in g) for k, g in groups.items()}
    table["nguyen-c"] = tuple(NGUYEN_C)
    table["feynman10"] = FEYNMAN10
    # the benchmark harness's Feynman set: the first 20 equations with 3+ variables, in table order
    table["feynman20"] = tuple(p.name for p in groups["feynman"] if len(p.variables) >= 3)[:20]
    known = {p.name for p in problems}
    for suite_name, members in table.items():
        missing = [m for m in members if m not in known]
        if missing:
            raise RuntimeError(f"suite {suite_name!r} names unknown problems {missing}")
    return problems, {k: table[k] for k in SUITE_ORDER}
