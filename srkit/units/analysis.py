"""Dimensional analysis (Buckingham π): a law ``y = f(x1, ..., xn)`` between quantities
with units is ``y = x**p * g(π1, ..., πk)``, where ``x**p`` is a product of powers of
the inputs with the target's units and the ``πj`` are the dimensionless products of
the inputs; ``k = n - rank``.  Searching ``g`` on the groups is searching fewer
variables, and every formula found is consistent by construction (AI Feynman's first
step).

Among the many equivalent choices srkit takes the simplest: groups with the fewest
variables and smallest integer exponents (``m1/m2`` before ``m1*r/(m2*r)``), and a
prefactor with integer exponents and the fewest variables.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.units.unit import Unit

__all__ = ["DimensionalAnalysis", "analyse", "power_product"]

Vector = tuple[Fraction, ...]


@dataclass(frozen=True)
class DimensionalAnalysis:
    """The dimensionless form of a problem: ``y = prefactor * f(groups)``.

    feature_names, feature_units, target_unit : the problem's units.
    prefactor : exponents, one per feature, of a product with the target's units;
        ``None`` when no product of the inputs has them (then constants must carry units).
    groups : exponent vectors of independent dimensionless products of the inputs.
    """

    feature_names: tuple[str, ...]
    feature_units: tuple[Unit, ...]
    target_unit: Unit
    prefactor: Vector | None
    groups: tuple[Vector, ...]

    @property
    def reachable(self) -> bool:
        """Whether some product of the inputs has the target's units."""
        return self.prefactor is not None

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(f"pi{j + 1}" for j in range(len(self.groups)))

    def describe(self) -> str:
        """The reduction in words, e.g. ``y = q1**2/(epsilon*r**2) * f(pi1) with pi1 = q1/q2``."""
        if self.prefactor is None:
            return f"no product of the inputs has the target's units {self.target_unit}"
        pre = _text(self.prefactor, self.feature_names)
        groups = ", ".join(f"{n} = {_text(g, self.feature_names)}" for n, g in zip(self.group_names, self.groups))
        args = ", ".join(self.group_names)
        head = f"y = {pre} * f({args})" if pre != "1" else f"y = f({args})"
        return head + (f" with {groups}" if groups else " (f a constant)")

    def transform(self, X: NDArray[np.float64], y: NDArray[np.float64]
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """``(groups, y / prefactor)`` on data; ``None`` where a value is not finite
        (a fractional power of a negative input, a zero in a denominator)."""
        if self.prefactor is None:
            return None
        with np.errstate(all="ignore"):
            Z = np.column_stack([_power_values(X, g) for g in self.groups]) if self.groups else np.zeros((len(y), 0))
            target = y / self.prefactor_values(X)
        if not (np.isfinite(Z).all() and np.isfinite(target).all()):
            return None
        return Z, target

    def prefactor_values(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The prefactor ``prod x_i ** p_i`` on the rows of ``X`` (nan where not real)."""
        assert self.prefactor is not None
        with np.errstate(all="ignore"):
            return _power_values(X, self.prefactor)

    def map_back(self, g: Expr, opset: OperatorSet) -> Expr:
        """The formula ``prefactor * g(groups)`` in the original variables of ``opset``."""
        assert self.prefactor is not None
        groups = [power_product(v, opset) for v in self.groups]
        body = _substitute(g, groups, opset)
        if not any(self.prefactor):
            return body
        return Expr.apply(opset, "mul", power_product(self.prefactor, opset), body)


def _substitute(g: Expr, groups: Sequence[Expr], opset: OperatorSet) -> Expr:
    """``g`` with its variable ``j`` replaced by ``groups[j]``, written in ``opset``."""
    from srkit.core.operators import COEF, VAR

    def build(i: int) -> Expr:
        code = int(g.codes[i])
        if code == VAR:
            return groups[int(g.args[i])]
        if code == COEF:
            return Expr.coefficient(opset, float(g.coefs[int(g.args[i])]))
        name = g.opset.operator(code).name
        return Expr.apply(opset, name, *[build(k) for k in g.children(i)])

    return build(0)


def _power_values(X: NDArray[np.float64], exponents: Vector) -> NDArray[np.float64]:
    out = np.ones(X.shape[0])
    for i, p in enumerate(exponents):
        if p:
            out = out * (X[:, i] ** int(p) if p.denominator == 1 else X[:, i] ** float(p))
    return out


def _text(v: Vector, names: Sequence[str]) -> str:
    """``m1**2*G/r**2`` for exponents over ``names`` (in their order)."""
    def power(name: str, p: Fraction) -> str:
        return name if p == 1 else f"{name}**{p}" if p.denominator == 1 else f"{name}**({p})"

    num = [power(n, p) for n, p in zip(names, v) if p > 0]
    den = [power(n, -p) for n, p in zip(names, v) if p < 0]
    text = "*".join(num) or "1"
    if den:
        text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
    return text


def power_product(exponents: Vector, opset: OperatorSet) -> Expr:
    """``prod x_i ** p_i`` as an expression of ``opset`` without fitted constants where it
    can: integer powers by repeated ``mul``, halves by ``sqrt``, the rest by ``pow``.

    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["mul", "div", "sqrt", "pow"], ["a", "b", "c"])
    >>> str(power_product((Fraction(2), Fraction(-1), Fraction(1, 2)), ops))
    'a * a * sqrt(c) / b'
    """
    def factor(i: int, p: Fraction) -> list[Expr]:
        var = Expr.variable(opset, i)
        whole, rest = divmod(abs(p), 1)
        out = [var] * int(whole)
        if rest == Fraction(1, 2) and opset.has("sqrt"):
            out.append(Expr.apply(opset, "sqrt", var))
        elif rest:
            if not opset.has("pow"):
                raise ValueError(f"writing {opset.variables[i]}**({p}) needs the operator pow (or sqrt for halves)")
            out = [Expr.apply(opset, "pow", var, Expr.coefficient(opset, float(abs(p))))]
        return out

    def product(parts: list[Expr]) -> Expr | None:
        if not parts:
            return None
        out = parts[0]
        for part in parts[1:]:
            out = Expr.apply(opset, "mul", out, part)
        return out

    num = product([f for i, p in enumerate(exponents) if p > 0 for f in factor(i, p)])
    den = product([f for i, p in enumerate(exponents) if p < 0 for f in factor(i, p)])
    if den is None:
        return num if num is not None else Expr.coefficient(opset, 1.0)
    if num is None:
        return Expr.apply(opset, "inv", den) if opset.has("inv") else Expr.apply(
            opset, "div", Expr.coefficient(opset, 1.0), den)
    return Expr.apply(opset, "div", num, den)


# ---------------------------------------------------------------------- linear algebra
def _matrix(units: Sequence[Unit]) -> tuple[list[str], list[Vector]]:
    """Base names and, per feature, its column of exponents."""
    bases = sorted({b for u in units for b in u.bases()})
    return bases, [tuple(u.exponent(b) for b in bases) for u in units]


def _solve(columns: Sequence[Vector], rhs: Vector) -> Vector | None:
    """An exact solution ``a`` of ``sum_j a_j columns[j] = rhs`` (all free variables 0), or None."""
    n_rows, n_cols = len(rhs), len(columns)
    rows = [[columns[j][r] for j in range(n_cols)] + [rhs[r]] for r in range(n_rows)]
    pivots: list[int] = []
    r = 0
    for c in range(n_cols):
        pivot = next((k for k in range(r, n_rows) if rows[k][c]), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        rows[r] = [v / rows[r][c] for v in rows[r]]
        for k in range(n_rows):
            if k != r and rows[k][c]:
                rows[k] = [a - rows[k][c] * b for a, b in zip(rows[k], rows[r])]
        pivots.append(c)
        r += 1
        if r == n_rows:
            break
    if any(rows[k][-1] for k in range(r, n_rows)):
        return None
    out = [Fraction(0)] * n_cols
    for k, c in enumerate(pivots):
        out[c] = rows[k][-1]
    return tuple(out)


def _rank(columns: Sequence[Vector]) -> int:
    if not columns or not columns[0]:
        return 0
    n_rows = len(columns[0])
    rows = [[col[r] for col in columns] for r in range(n_rows)]
    rank = 0
    for c in range(len(columns)):
        pivot = next((k for k in range(rank, n_rows) if rows[k][c]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for k in range(n_rows):
            if k != rank and rows[k][c]:
                f = rows[k][c] / rows[rank][c]
                rows[k] = [a - f * b for a, b in zip(rows[k], rows[rank])]
        rank += 1
    return rank


def _integer(v: Sequence[Fraction]) -> Vector:
    """The smallest integer multiple, signed so that more exponents are positive than
    negative (``B*v/Ef`` rather than ``Ef/(B*v)``; on a tie the first one is positive)."""
    lcm = math.lcm(*[x.denominator for x in v]) if v else 1
    ints = [int(x * lcm) for x in v]
    g = math.gcd(*ints) or 1
    balance = sum(1 if x > 0 else -1 for x in ints if x)
    sign = -1 if balance < 0 or (balance == 0 and next((x for x in ints if x), 0) < 0) else 1
    return tuple(Fraction(sign * x // g) for x in ints)


def _simplicity(v: Vector) -> tuple[int, int, Fraction]:
    """Sort key: fewer variables, fewer fractional powers, then smaller exponents."""
    return (sum(1 for x in v if x), sum(1 for x in v if x.denominator != 1), sum(abs(x) for x in v))


def analyse(feature_names: Sequence[str], feature_units: Sequence[Unit], target_unit: Unit) -> DimensionalAnalysis:
    """The simplest dimensionless form of a problem with units.

    Examples
    --------
    >>> from srkit.units.unit import parse_unit as u
    >>> a = analyse(["m1", "m2", "r", "G"], [u("kg"), u("kg"), u("m"), u("m**3/(kg*s**2)")], u("N"))
    >>> a.describe()
    'y = m1**2*G/r**2 * f(pi1) with pi1 = m1/m2'
    """
    names, units = tuple(feature_names), tuple(feature_units)
    n = len(units)
    _, columns = _matrix([*units, target_unit])
    columns, target = columns[:n], columns[n]
    rank = _rank(columns)
    if sum(math.comb(n, k) for k in range(1, min(n, rank + 1) + 1)) > MAX_SUBSETS:
        return _pivot_analysis(names, units, target_unit, columns, target)
    # dimensionless products on few variables: the null vector of each small subset
    candidates: set[Vector] = set()
    for size in range(1, min(n, rank + 1) + 1):
        for subset in itertools.combinations(range(n), size):
            sub = [columns[j] for j in subset]
            if _rank(sub) != size - 1:
                continue
            null = _null_vector(sub)
            if null is None:
                continue
            full = [Fraction(0)] * n
            for j, v in zip(subset, null):
                full[j] = v
            candidates.add(_integer(full))
    groups: list[Vector] = []
    for v in sorted(candidates, key=lambda v: (_simplicity(v), [-abs(x) for x in v])):
        if len(groups) == n - rank:
            break
        if _rank([*groups, v]) == len(groups) + 1:
            groups.append(v)
    prefactor: Vector | None = None
    if not any(target):
        prefactor = tuple(Fraction(0) for _ in range(n))
    else:
        best: Vector | None = None
        for size in range(1, rank + 1):
            for subset in itertools.combinations(range(n), size):
                sol = _solve([columns[j] for j in subset], target)
                if sol is None or not all(sol):
                    continue
                full = [Fraction(0)] * n
                for j, v in zip(subset, sol):
                    full[j] = v
                if best is None or _simplicity(tuple(full)) < _simplicity(best):
                    best = tuple(full)
            if best is not None and all(x.denominator == 1 for x in best):
                break  # more variables never make it simpler
        prefactor = best
    return DimensionalAnalysis(names, units, target_unit, prefactor, tuple(groups))


#: above this many variable subsets (many features with units), the groups and the
#: prefactor come from one elimination instead of the search for the simplest ones
MAX_SUBSETS = 20_000


def _pivot_analysis(names: tuple[str, ...], units: tuple[Unit, ...], target_unit: Unit,
                    columns: Sequence[Vector], target: Vector) -> DimensionalAnalysis:
    """Groups and prefactor from the independent columns found first (AI Feynman's way):
    each other variable times powers of those is a group.

    >>> from srkit.units.unit import parse_unit as u
    >>> a = _pivot_analysis(("a", "b"), (u("m"), u("m")), u("m"), [(Fraction(1),), (Fraction(1),)], (Fraction(1),))
    >>> a.describe()
    'y = a * f(pi1) with pi1 = a/b'
    """
    n = len(columns)
    pivots: list[int] = []
    for j in range(n):
        if _rank([columns[k] for k in (*pivots, j)]) > len(pivots):
            pivots.append(j)
    groups = []
    for j in (j for j in range(n) if j not in pivots):
        sol = _solve([columns[k] for k in pivots], tuple(-x for x in columns[j]))
        full = [Fraction(0)] * n
        full[j] = Fraction(1)
        for k, v in zip(pivots, sol or ()):
            full[k] = v
        groups.append(_integer(full))
    sol = _solve([columns[k] for k in pivots], target) if pivots else (None if any(target) else ())
    prefactor: Vector | None = None
    if sol is not None:
        full = [Fraction(0)] * n
        for k, v in zip(pivots, sol):
            full[k] = v
        prefactor = tuple(full)
    return DimensionalAnalysis(names, units, target_unit, prefactor, tuple(groups))


def _null_vector(columns: Sequence[Vector]) -> list[Fraction] | None:
    """A non-zero ``a`` with ``sum_j a_j columns[j] = 0`` for columns of rank ``len - 1``."""
    k = len(columns)
    if k == 1:
        return [Fraction(1)] if not any(columns[0]) else None
    # fix the last coefficient to 1 and solve for the rest; try each position
    for last in range(k - 1, -1, -1):
        others = [columns[j] for j in range(k) if j != last]
        sol = _solve(others, tuple(-x for x in columns[last]))
        if sol is not None:
            out = list(sol)
            out.insert(last, Fraction(1))
            return out
    return None
