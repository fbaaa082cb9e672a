"""Symbolic-recovery checks: is a found expression the benchmark's ground truth?

Implements the rules of the benchmarks brief. ``F`` is the found expression, ``T`` the
ground truth; symbols are real, positive/nonnegative as the problem's sampling implies.

1. Gates (time savers only): the rules below run only when the model's test R^2 > 0.99.
   Rules 3-4 are decided False without simplify when ``max|F - T| > 1e-5 * RMS(T)`` on 512
   test points; rule 5 when neither ``F - T`` nor ``F / T`` is constant to 1e-5 there.
2. Snapping: every float ``c`` becomes ``p/q`` (``q <= 10``) when
   ``|c - p/q| <= 1e-6 * max(1, |c|)``. Rules 3-4 try ``F`` and ``simplify(F)``, each snapped.
3. ``recovered_exact`` (DSR/RSRM): ``simplify(F_snapped - T) == 0`` with ``T`` exact and any
   float left in ``F`` taken at its exact binary value (so 3.39 never equals 339/100).
4. ``recovered`` (headline): ``T``'s constants become 15-digit floats; recovered when
   ``expand(simplify(F_s - T))`` or ``expand(simplify(F_s / T) - 1)`` vanishes once terms with a
   float coefficient that are negligible on the test points (``max|term| <= 1e-5 * RMS(T)``,
   resp. ``<= 1e-5``) are dropped. An exact recovery also counts.
5. ``recovered_srbench`` (cavalab/srbench ``assess_symbolic_model.py``): floats rounded to 6
   decimals, pi -> 3.1415926535; true if ``T - F`` simplifies to a constant or ``F / T`` is
   constant.
6. ``numeric_recovery``: test R^2 > 0.999999.

Each symbolic rule runs under its own SIGALRM time limit (main thread on POSIX only; elsewhere
without a limit). A rule that times out is ``None`` and its ``check_status`` is ``"timeout"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from .snapping import (
    SNAP_MAX_DENOMINATOR,
    SNAP_TOL,
    exact_floats,
    float_bases_as_exp,
    float_constants,
    round_floats,
    snap_constants,
    snap_to_constants,
    snap_value,
)
from srkit.fitness.losses import r2_score

from .spec import BenchmarkProblem
from .timeouts import RuleTimeout, call_with_timeout

__all__ = [
    "DEFAULT_TIMEOUT",
    "RULES",
    "SNAP_MAX_DENOMINATOR",
    "SNAP_TOL",
    "RecoveryReport",
    "RuleTimeout",
    "call_with_timeout",
    "check_recovery",
    "parse_expression",
    "r2_score",
    "snap_constants",
    "snap_value",
]

R2_GATE = 0.99
NUMERIC_R2 = 0.999999
GATE_POINTS = 512
GATE_TOL = 1e-5
NEGLIGIBLE = 1e-5
SRBENCH_PI = sympy.Float("3.1415926535")
DEFAULT_TIMEOUT = 15.0

#: Rule names, as used in :class:`RecoveryReport` and its ``check_status``.
RULES: tuple[str, ...] = (
    "recovered",
    "recovered_exact",
    "recovered_srbench",
    "numeric_recovery",
)

@dataclass
class RecoveryReport:
    """Outcome of :func:`check_recovery`.

    Each rule is True/False, or None when it timed out. ``check_status`` maps every rule
    name to ``"ok"``, ``"ok (exact)"``, ``"gated: ..."``, ``"timeout"`` or ``"error: ..."``.

    Examples
    --------
    >>> r = RecoveryReport(True, True, True, True, 1.0, {"recovered": "ok"})
    >>> r.to_dict()["test_r2"]
    1.0
    """

    recovered: bool | None
    recovered_exact: bool | None
    recovered_srbench: bool | None
    numeric_recovery: bool | None
    test_r2: float
    check_status: dict[str, str] = field(default_factory=dict)

    @property
    def timed_out(self) -> list[str]:
        """Names of the rules that hit the time limit."""
        return [k for k, v in self.check_status.items() if v == "timeout"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (a non-finite ``test_r2`` becomes None)."""
        r2 = float(self.test_r2)
        return {
            "recovered": self.recovered,
            "recovered_exact": self.recovered_exact,
            "recovered_srbench": self.recovered_srbench,
            "numeric_recovery": self.numeric_recovery,
            "test_r2": r2 if math.isfinite(r2) else None,
            "check_status": dict(self.check_status),
        }


def _run_rule(
    name: str, fn: Callable[[], bool], timeout: float | None, status: dict[str, str]
) -> bool | None:
    try:
        result = call_with_timeout(fn, timeout)
    except RuleTimeout:
        status[name] = "timeout"
        return None
    except Exception as exc:  # a sympy failure decides the rule False
        status[name] = f"error: {type(exc).__name__}: {exc}"
        return False
    status[name] = "ok"
    return bool(result)


# -- parsing and evaluation ---------------------------------------------------------------
def parse_expression(found: Any, problem: BenchmarkProblem) -> sympy.Expr:
    """Parse/rename ``found`` onto the problem's (real, positive...) symbols.

    A string is read by srkit's own parser (:func:`srkit.problems.spec.formula_to_sympy`),
    never by ``sympify``, so no text is ever evaluated.  Every bare name (not followed by
    ``(``) is a symbol: the problem's own symbol when the names match, else a new real
    symbol, so ``E``, ``S``, ``I``, ``N``, ``Q``, ``beta``, ``gamma``, ``lambda`` are
    variables, never sympy objects. Only ``pi`` keeps its meaning. ``ln``/``arcsin``/
    ``arccos``/``arctan``/``abs``/``Abs`` are accepted.  A sympy expression or an srkit
    :class:`~srkit.core.expr.Expr` is taken as it is, its symbols renamed onto the problem's.

    Examples
    --------
    >>> from srkit.problems import get
    >>> e = parse_expression("gamma*pr/rho", get("I.47.23"))
    >>> sorted((s.name, s.is_positive) for s in e.free_symbols)
    [('gamma', True), ('pr', True), ('rho', True)]
    """
    from srkit.core.expr import Expr
    from srkit.export.sympy import to_sympy

    from .spec import formula_to_sympy

    symbols = {s.name: s for s in problem.symbols}
    if isinstance(found, str):
        return formula_to_sympy(found, symbols)
    if isinstance(found, Expr):
        names = found.opset.variables
        expr = to_sympy(found, symbols=[symbols.get(n) or sympy.Symbol(n, real=True) for n in names])
    elif isinstance(found, sympy.Basic):
        expr = found
    elif isinstance(found, (int, float, np.number)) and not isinstance(found, bool):
        expr = sympy.sympify(found, strict=True)  # a number: strict never parses text
    else:
        raise TypeError(f"found must be a formula string, a sympy expression or an srkit Expr, "
                        f"got {type(found).__name__}")
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"not an expression: {found!r}")
    mapping = {
        s: symbols[s.name]
        for s in expr.free_symbols
        if isinstance(s, sympy.Symbol) and s.name in symbols and s != symbols[s.name]
    }
    return expr.xreplace(mapping) if mapping else expr


def _evaluate(expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...], X: np.ndarray) -> np.ndarray:
    unknown = expr.free_symbols - set(symbols)
    if unknown:
        names = sorted(str(s) for s in unknown)
        raise ValueError(f"expression uses names that are not problem variables: {names}")
    fn = sympy.lambdify(symbols, expr, modules="numpy")
    with np.errstate(all="ignore"):
        out = np.asarray(fn(*(X[:, j] for j in range(X.shape[1]))))
    if np.iscomplexobj(out):
        out = np.where(out.imag == 0, out.real, np.nan)
    return np.broadcast_to(out.astype(np.float64), (X.shape[0],)).copy()



# -- rules --------------------------------------------------------------------------------
class _Context:
    def __init__(
        self, F: sympy.Expr, problem: BenchmarkProblem, X: np.ndarray, T: np.ndarray
    ) -> None:
        self.F = F
        self.problem = problem
        self.symbols = problem.symbols
        self.X = X
        self.rms_T = float(np.sqrt(np.mean(T**2)))
        self._simplified: sympy.Expr | None = None

    def candidates(self) -> Iterator[sympy.Expr]:
        """F as given, then simplify(F) (computed once, reused across rules)."""
        yield self.F
        if self._simplified is None:
            self._simplified = sympy.simplify(self.F)
        if self._simplified != self.F:
            yield self._simplified

    def negligible(self, expr: sympy.Expr, tol: float) -> bool:
        """True when every term of ``expr`` has a float coefficient and max|term| <= tol."""
        if expr == 0:
            return True
        for term in sympy.Add.make_args(expr):
            coeff, _ = term.as_coeff_Mul()
            if not coeff.is_Float:
                return False  # structural term: never dropped
            try:
                vals = _evaluate(term, self.symbols, self.X)
            except Exception:
                return False
            if not np.all(np.isfinite(vals)) or float(np.max(np.abs(vals))) > tol:
                return False
        return True


def _rule_exact(ctx: _Context) -> bool:
    T = ctx.problem.ground_truth
    for Fc in ctx.candidates():
        Fs = exact_floats(snap_constants(Fc))
        if sympy.simplify(Fs - T) == 0:
            return True
    return False


def _rule_headline(ctx: _Context) -> bool:
    Tf = float_constants(ctx.problem.ground_truth)
    truth_constants = Tf.atoms(sympy.Float)
    for Fc in ctx.candidates():
        Fs = snap_to_constants(snap_constants(Fc), truth_constants)
        D = sympy.simplify(Fs - Tf)
        if ctx.negligible(sympy.expand(D), NEGLIGIBLE * ctx.rms_T):
            return True
        R = sympy.simplify(Fs / Tf)
        if ctx.negligible(sympy.expand(R - 1), NEGLIGIBLE):
            return True
    return False


def _rule_srbench(ctx: _Context) -> bool:
    T = ctx.problem.ground_truth_float.xreplace({sympy.pi: SRBENCH_PI})
    F = round_floats(sympy.simplify(ctx.F, ratio=1))
    diff = round_floats(T - F)
    frac = round_floats(F / T)
    if not diff.is_constant() or frac.is_constant():
        diff = sympy.simplify(diff, ratio=1)
    return str(diff) == "0" or diff.is_constant() is True or frac.is_constant() is True


def _gate_indices(n: int) -> np.ndarray:
    if n <= GATE_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, GATE_POINTS).round().astype(np.int64))


def _constant_diff_or_ratio(F: np.ndarray, T: np.ndarray, rms: float) -> bool:
    d = F - T
    if float(np.ptp(d)) <= GATE_TOL * rms:
        return True
    mask = T != 0
    if not mask.any():
        return False
    r = F[mask] / T[mask]
    return float(np.ptp(r)) <= GATE_TOL * abs(float(np.median(r)))


def check_recovery(
    found: Any,
    problem: BenchmarkProblem,
    X_test: np.ndarray,
    y_test: np.ndarray | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> RecoveryReport:
    """Decide whether ``found`` recovers ``problem``'s ground truth, by every rule.

    Parameters
    ----------
    found : str, sympy.Expr or srkit Expr
        The model; its symbols are matched to the problem's variables by name.  A string
        is read by srkit's own parser (see :func:`parse_expression`), never evaluated.
    problem : BenchmarkProblem
        The benchmark problem.
    X_test : ndarray of shape (n, d)
        Test inputs (used for R^2, the gates and the negligible-term test).
    y_test : ndarray of shape (n,), optional
        Test targets for R^2; defaults to the noiseless ground truth on ``X_test``.
    timeout : float or None
        Seconds per symbolic rule (None or <= 0: no limit).

    Returns
    -------
    RecoveryReport

    Examples
    --------
    >>> from srkit.problems import get
    >>> p = get("Nguyen-1")
    >>> X, y = p.sample("test", random_state=0)
    >>> r = check_recovery("x1*(x1*(x1+1)+1)", p, X, y)
    >>> r.recovered, r.recovered_exact, r.recovered_srbench, r.numeric_recovery
    (True, True, True, True)
    """
    X = np.asarray(X_test, dtype=np.float64)
    if X.ndim == 1 and problem.n_variables == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != problem.n_variables or X.shape[0] == 0:
        raise ValueError(f"X_test must have shape (n, {problem.n_variables}), got {X.shape}")
    T_vals = problem.evaluate(X)
    y = T_vals if y_test is None else np.asarray(y_test, dtype=np.float64).ravel()
    if y.shape[0] != X.shape[0]:
        raise ValueError("y_test and X_test have different numbers of rows")

    status: dict[str, str] = {}

    def _prepare() -> tuple[sympy.Expr, np.ndarray]:
        F = float_bases_as_exp(parse_expression(found, problem))
        return F, _evaluate(F, problem.symbols, X)

    try:
        F, F_vals = call_with_timeout(_prepare, timeout)
    except RuleTimeout:
        return RecoveryReport(None, None, None, None, math.nan, {r: "timeout" for r in RULES})
    except Exception as exc:
        msg = f"error: {type(exc).__name__}: {exc}"
        return RecoveryReport(False, False, False, False, math.nan, {r: msg for r in RULES})

    r2 = r2_score(y, F_vals)
    numeric = bool(r2 > NUMERIC_R2)
    status["numeric_recovery"] = "ok"
    if not r2 > R2_GATE:
        msg = f"gated: test R2 {r2:.6g} <= {R2_GATE}"
        status.update({r: msg for r in RULES[:3]})
        return RecoveryReport(False, False, False, numeric, r2, _ordered(status))

    idx = _gate_indices(X.shape[0])
    Tg, Fg = T_vals[idx], F_vals[idx]
    rms_g = float(np.sqrt(np.mean(Tg**2)))
    close = bool(np.max(np.abs(Fg - Tg)) <= GATE_TOL * rms_g)
    const = _constant_diff_or_ratio(Fg, Tg, rms_g)
    ctx = _Context(F, problem, X, T_vals)

    exact: bool | None = False
    recovered: bool | None = False
    if close:
        exact = _run_rule("recovered_exact", lambda: _rule_exact(ctx), timeout, status)
        if exact:
            recovered = True
            status["recovered"] = "ok (exact)"
        else:
            recovered = _run_rule("recovered", lambda: _rule_headline(ctx), timeout, status)
    else:
        msg = f"gated: max|F-T| > {GATE_TOL:g}*RMS(T) on {idx.size} test points"
        status["recovered_exact"] = status["recovered"] = msg
    if const:
        srbench = _run_rule("recovered_srbench", lambda: _rule_srbench(ctx), timeout, status)
    else:
        srbench = False
        status["recovered_srbench"] = f"gated: F-T and F/T not constant to {GATE_TOL:g}"
    return RecoveryReport(recovered, exact, srbench, numeric, r2, _ordered(status))


def _ordered(status: dict[str, str]) -> dict[str, str]:
    return {r: status[r] for r in RULES if r in status}
