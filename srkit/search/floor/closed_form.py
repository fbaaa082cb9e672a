"""Closed-form regression: sparse sums and rational functions of library terms by least squares.

A shared step of the search floor that any searcher may call (mcts runs it first in
every epoch, dsn on its networks' expanded terms and on its views of the target).
When the target *is* a short weighted sum of simple terms (a polynomial,
``sin(x) + sin(y**2)``, ``sinh(x) = (e**x - e**-x) / 2``), least squares over a library
of candidate terms finds all of it at once, weights included: the best small supports
by exhaustive search, forward selection by orthogonal least squares (the term that
lowers the residual most, one at a time) and backward elimination from a wide support.
The library holds monomials, the run's unary operators applied to the variables and
their powers, products of those, and whatever terms the caller adds (mcts: the
sub-trees of the best expressions found so far, so the library grows with the search).

Rational functions ``P / Q`` are linear too once multiplied out:
``y * lead = sum a_i m_i - sum b_j y m_j`` with monomials ``m`` and ``Q = lead + sum b_j m_j``,
so the same selection over the columns ``m_i`` and ``-y * m_j`` finds them.

Every column is one evaluation by the problem's Evaluator; every model found is
refitted by the shared coefficient fitter (which snaps weights such as 0.9999999 to 1)
before it is offered.  Nothing here evaluates an expression by itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet
from srkit.fitness import Evaluator
from srkit.fitness.linear import linear_head, snapped_least_squares, weighted_sum

__all__ = ["TermRegression", "backward_eliminate", "best_subsets", "forward_select", "power", "term_library"]

Array = NDArray[np.float64]


# ---------------------------------------------------------------------- the library
def power(opset: OperatorSet, base: Expr, k: int) -> Expr | None:
    """``base ** k`` for a non-zero integer ``k`` in the fewest nodes the operators allow
    (``x*x``, ``x ** 3`` with the exponent as a coefficient, ``1 / x``); None if impossible.

    >>> from srkit.core.parse import parse
    >>> x = parse("x0")
    >>> [str(power(x.opset, x, k)) for k in (1, 2, 3, -1)]
    ['x0', 'x0 * x0', 'x0 ** 3', 'x0 ** (-1)']
    """
    if k == 1:
        return base
    if k == 2 and opset.has("mul"):
        return Expr.apply(opset, "mul", base, base)
    if opset.has("pow"):
        return Expr.apply(opset, "pow", base, Expr.coefficient(opset, float(k)))
    if k < 0 and opset.has("div"):
        inner = power(opset, base, -k)
        return None if inner is None else Expr.apply(opset, "div", Expr.coefficient(opset, 1.0), inner)
    if k > 2 and opset.has("mul"):
        inner = power(opset, base, k - 1)
        return None if inner is None else Expr.apply(opset, "mul", inner, base)
    return None


def term_library(opset: OperatorSet, max_degree: int = 8, max_terms: int = 2000) -> list[list[Expr]]:
    """Candidate terms for the sparse sum in four tiers (monomials; unary operators;
    unary operators of two-term sums; products), simplest first, at most ``max_terms``.

    Monomials ``x_i**k`` (``k`` in ``1..max_degree`` and ``-1..-3``), products of two
    variables' low powers, every unary operator of ``opset`` applied to ``x_i``,
    ``x_i**2`` and ``x_i**3`` (and ``1 / exp(...)``), ``x_i ** x_j``; unary operators of
    ``u ± v`` for two of ``1, x_i, x_i**2, x_i**3`` and of ``x_i ± x_j``; then pairwise
    products of the unary terms with each other and with ``x_i``, ``x_i**2``.

    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "mul", "sin"], ["x"])
    >>> [[str(t) for t in tier][:2] for tier in term_library(ops, max_degree=3)]
    [['x', 'x * x'], ['sin(x)', 'sin(x * x)'], ['sin(x + 1.0)', 'sin(x * x + 1.0)'], ['sin(x) * sin(x * x)', 'sin(x) * sin(x * x * x)']]
    """
    n = opset.n_variables
    xs = [Expr.variable(opset, i) for i in range(n)]
    tiers: list[list[Expr]] = [[], [], [], []]
    seen: set[tuple[bytes, bytes]] = set()
    tier = tiers[0]

    def add(e: Expr | None) -> None:
        if e is not None and _key(e) not in seen and len(seen) < max_terms:
            seen.add(_key(e))
            tier.append(e)

    # more variables: lower degrees, or the products crowd out everything else
    degree = max_degree if n <= 2 else min(max_degree, 4)
    for x in xs:
        for k in range(1, degree + 1):
            add(power(opset, x, k))
        for k in (-1, -2, -3):
            add(power(opset, x, k))
    if opset.has("mul"):
        exps = (1, 2, 3, 4, 5, -1, -2, -3) if n <= 2 else (1, 2, 3, -1, -2, -3)
        low = [(a, b) for a in exps for b in exps] if n <= 3 else [(1, 1)]
        for i in range(n):
            for j in range(i + 1, n):
                for a, b in low:
                    pa, pb = power(opset, xs[i], a), power(opset, xs[j], b)
                    if pa is not None and pb is not None:
                        add(Expr.apply(opset, "mul", pa, pb))
    tier = tiers[1]
    unary_terms: list[Expr] = []
    unary = [op.name for op in opset.operators if op.arity == 1]
    for name in unary:
        for x in xs:
            for arg in (x, power(opset, x, 2), power(opset, x, 3)):
                if arg is None:
                    continue
                t = Expr.apply(opset, name, arg)
                add(t)
                unary_terms.append(t)
                if name == "exp" and opset.has("div"):
                    inv = Expr.apply(opset, "div", Expr.coefficient(opset, 1.0), t)
                    add(inv)
                    unary_terms.append(inv)
    if opset.has("pow"):
        for i in range(n):
            for j in range(n):
                if i != j:
                    add(Expr.apply(opset, "pow", xs[i], xs[j]))
    tier = tiers[2]
    if opset.has("add"):
        # unary operators of two-term sums: log(x + 1), sin(x + x**2), log(x**3 + x), ...
        # (the 1 is a fixed coefficient, like the exponent of x ** 3.0)
        one = Expr.coefficient(opset, 1.0)
        for x in xs:
            parts = [one] + [p for k in (1, 2, 3) if (p := power(opset, x, k)) is not None]
            for a in range(len(parts)):
                for b in range(a + 1, len(parts)):
                    for sign in ("add", "sub"):
                        if opset.has(sign):
                            arg = Expr.apply(opset, sign, parts[b], parts[a])
                            for name in unary:
                                add(Expr.apply(opset, name, arg))
        for i in range(n):
            for j in range(i + 1, n):
                for sign in ("add", "sub"):
                    if opset.has(sign):
                        for name in unary:
                            add(Expr.apply(opset, name, Expr.apply(opset, sign, xs[i], xs[j])))
    tier = tiers[3]
    if opset.has("mul"):
        factors = unary_terms + [x for x in xs] + [p for x in xs if (p := power(opset, x, 2)) is not None]
        for a, t in enumerate(unary_terms):
            for u in factors[a + 1:]:
                add(Expr.apply(opset, "mul", t, u))
    return tiers


# ---------------------------------------------------------------------- the selection
def forward_select(A: Array, y: Array, max_terms: int, tol: float = 0.0) -> list[list[int]]:
    """Greedy orthogonal least squares: the columns of ``A`` picked one at a time, each the
    one that lowers ``||y - intercept - A[:, S] w||`` most.  Returns the support after
    each step; stops early when the residual sum of squares is at most ``tol``.

    >>> x = np.linspace(-1, 1, 20)
    >>> A = np.column_stack([x, x**2, x**3, np.sin(x)])
    >>> forward_select(A, 2 * x**3 - x + 1, 3, tol=1e-20)[-1]
    [2, 0]
    """
    n, m = A.shape
    R = A - A.mean(axis=0)  # the intercept is always in: work orthogonal to it
    r = y - y.mean()
    norm0 = np.einsum("ij,ij->j", R, R)
    # (each column against its own scale: one huge column, exp(x*x) on [-10, 10], must
    # not make every other column look like zero)
    alive = np.isfinite(norm0) & (norm0 > 1e-300)
    supports: list[list[int]] = []
    chosen: list[int] = []
    for _ in range(min(max_terms, m, n - 1)):
        norms = np.einsum("ij,ij->j", R, R)
        # a column already (almost) in the span of the chosen ones adds nothing
        ok = alive & (norms > 1e-10 * norm0)
        if not ok.any():
            break
        gain = np.where(ok, (R.T @ r) ** 2 / np.where(ok, norms, 1.0), -1.0)
        k = int(np.argmax(gain))
        if gain[k] <= 0:
            break
        q = R[:, k] / math.sqrt(norms[k])
        r = r - q * (q @ r)
        R = R - np.outer(q, q @ R)
        alive[k] = False
        chosen.append(k)
        supports.append(list(chosen))
        if float(r @ r) <= tol:
            break
    return supports


def backward_eliminate(A: Array, y: Array, support: list[int]) -> list[list[int]]:
    """From ``support`` down to one column, each time dropping the column whose loss
    raises the residual least; returns the supports, largest first.  Greedy forward
    selection can take a near-copy of the answer first (``sin(x*x)*x*x`` for ``x**4``);
    elimination from a support that spans the answer undoes that.

    >>> x = np.linspace(-1, 1, 20)
    >>> A = np.column_stack([x, x**2, x**3, np.sin(x)])
    >>> backward_eliminate(A, 2 * x**3 - x + 1, [0, 1, 2, 3])[-2]
    [0, 2]
    """
    out = [list(support)]
    current = list(support)
    if len(current) < 2:
        return out
    # Every step works on the triangular factor of the current columns only: the rise
    # of the residual when column j goes is beta_j**2 / (R^-1 R^-T)_jj, and dropping it
    # re-triangularises a k x (k-1) matrix.  One QR of the data in all: 126 columns
    # (the lifted library of 9 variables) take 0.1 s instead of 113 s of one
    # least-squares solve per candidate.  The intercept is always in: columns centred;
    # each at unit norm, so that a tiny diagonal means "in the span of the others".
    C = A[:, current] - A[:, current].mean(axis=0)
    yc = y - y.mean()
    if C.shape[0] <= C.shape[1] or not (np.all(np.isfinite(C)) and np.all(np.isfinite(yc))):
        return _backward_eliminate_by_solves(A, y, current)
    norms = np.sqrt(np.einsum("ij,ij->j", C, C))
    Q, R = np.linalg.qr(C / np.where(norms > 0, norms, 1.0))
    z = Q.T @ yc
    while len(current) > 1:
        # a column in the span of the ones before it (a tiny diagonal) costs nothing
        # to drop: it goes first, before the scores, which it would make infinite
        dependent = np.flatnonzero(np.abs(np.diag(R)) < _DEPENDENT)
        if dependent.size:
            drop = int(dependent[0])
        else:
            inverse = np.linalg.inv(R)
            rise = (inverse @ z) ** 2 / np.einsum("ij,ij->i", inverse, inverse)
            drop = int(np.argmin(np.where(np.isfinite(rise), rise, 0.0)))
        current = current[:drop] + current[drop + 1:]
        out.append(list(current))
        Q2, R = np.linalg.qr(np.delete(R, drop, axis=1))
        z = Q2.T @ z
    return out


#: a unit-norm column whose diagonal in R is below this is in the span of the others
_DEPENDENT = 1e-12


def _backward_eliminate_by_solves(A: Array, y: Array, support: list[int]) -> list[list[int]]:
    """:func:`backward_eliminate` by one least-squares solve per candidate: for fewer
    rows than columns and for non-finite values, which it copes with."""
    out = [list(support)]
    current = list(support)
    while len(current) > 1:
        losses = [_rss(A, y, current[:i] + current[i + 1:]) for i in range(len(current))]
        drop = int(np.argmin(losses))
        current = current[:drop] + current[drop + 1:]
        out.append(list(current))
    return out


def best_subsets(A: Array, y: Array, max_size: int = 3, max_evals: int = 3000) -> list[list[int]]:
    """The best support of each size ``1..max_size`` by exhaustive search (with an
    intercept), as far as ``max_evals`` least-squares solves allow.  Greedy selection
    misses small exact models whose columns look poor alone: ``(x - x**10) / (1 - x)``
    needs ``x``, ``x**10`` and ``y*x`` together.

    >>> x = np.linspace(-1, 1, 20)
    >>> A = np.column_stack([x, x**2, x**3, np.sin(x), np.exp(x)])
    >>> best_subsets(A, 3 * x**2 - np.sin(x) + 0.5, 2)
    [[1], [1, 3]]
    """
    from itertools import combinations
    from math import comb

    # Every support is first scored from the Gram matrix of the centred, unit-norm
    # columns: one batched pseudo-inverse per size instead of one least-squares solve
    # per support (7x faster on 1,000-row problems).  That score, ``|y|^2 - explained``,
    # is exact only to about 1e-12 of ``|y|^2``: the best few, and every support within
    # 1e-8 of ``|y|^2`` of the best (near-exact fits, which the score cannot rank), are
    # re-scored by least squares, which decides.
    centred = A - A.mean(axis=0)
    norms = np.sqrt(np.sum(centred * centred, axis=0))
    unit = centred / np.where(norms > 0, norms, 1.0)
    yc = y - y.mean()
    total = float(yc @ yc)
    gram, cross = unit.T @ unit, unit.T @ yc
    screen = bool(np.all(np.isfinite(gram)) and np.all(np.isfinite(cross)))
    out: list[list[int]] = []
    for size in range(1, max_size + 1):
        if comb(A.shape[1], size) > max_evals:
            break
        supports = np.array(list(combinations(range(A.shape[1]), size)), dtype=np.int64).reshape(-1, size)
        if not len(supports):
            break
        if screen:
            b = cross[supports]
            explained = np.einsum("mi,mij,mj->m", b, np.linalg.pinv(gram[supports[:, :, None], supports[:, None, :]]), b)
            score = total - explained
            near = np.flatnonzero(score <= score.min() + 1e-8 * total)
            shortlist = np.union1d(np.argsort(score, kind="stable")[:_SHORTLIST], near)
        else:  # non-finite columns: least squares on every support, as it copes
            shortlist = np.arange(len(supports))
        scored = [(_rss(A, y, supports[k].tolist()), int(k)) for k in shortlist]
        out.append(supports[min(scored)[1]].tolist())
    return out


#: supports per size that best_subsets re-scores by least squares after the Gram screen
_SHORTLIST = 8


def _rss(A: Array, y: Array, cols: list[int]) -> float:
    """Residual sum of squares of ``y`` on an intercept and the columns ``cols`` of ``A``."""
    X = np.column_stack([np.ones_like(y), A[:, cols]])
    sol, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ sol
    return float(r @ r)


@dataclass
class TermRegression:
    """Sparse sums and rational functions fitted on one problem; columns are cached.

    ``offer(expr, loss)`` receives every refitted model within ``max_size``.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core import as_dataset, default_registry
    >>> x = np.linspace(-1, 1, 20)[:, None]
    >>> data = as_dataset(x, x[:, 0] ** 4 + x[:, 0] ** 3 + x[:, 0] ** 2 + x[:, 0])
    >>> ops = default_registry().operator_set(["add", "sub", "mul", "div", "pow", "sin"], ["x"])
    >>> found = []
    >>> tr = TermRegression(Evaluator(data), ops, max_size=30)
    >>> tr.run([], lambda e, loss: found.append((loss, e)), np.random.default_rng(0))
    >>> loss, expr = min(found, key=lambda f: f[0])
    >>> loss < 1e-25, expr.to_sympy()
    (True, x**4 + x**3 + x**2 + x)
    """

    evaluator: Evaluator
    opset: OperatorSet
    max_size: int
    max_terms: int = 8
    max_degree: int = 8
    max_columns: int = 2000
    rational_degree: tuple[int, int] = (10, 4)
    max_rows: int = 2000
    #: backward elimination starts from every column when there are at most this many
    #: (and half as many as rows), else from the greedy forward selection's last support;
    #: at least ``max_terms + 4``.  A caller with a small library of look-alike columns
    #: (dsn's views: ``x1*x2``, ``x1/x2``, ``x1**2``...) raises it, where greedy steps
    #: take a look-alike first
    full_elimination: int = 0
    #: refit each model's coefficients on all rows when the columns were a subsample;
    #: False scores the subsample's least-squares weights as they are (a caller that
    #: refines the best models itself, like dsn, saves a full-data fit per model)
    refit: bool = True

    def __post_init__(self) -> None:
        self._columns: dict[tuple[bytes, bytes], Array | None] = {}
        self._rows: NDArray[np.int64] | None = None
        self._rational_done = False
        self._done: set[tuple[tuple[bytes, bytes], ...]] = set()  # supports already offered
        self._passes_done: set[tuple[tuple[bytes, bytes], ...]] = set()  # libraries already searched

    @staticmethod
    def applicable(evaluator: Evaluator, opset: OperatorSet) -> bool:
        """Weighted sums need ``add`` and ``mul``; least squares needs one target per
        sample (not a panel, not a rank loss)."""
        shape = getattr(evaluator.dataset, "sample_shape", (evaluator.dataset.n_samples,))
        return (opset.has("add") and opset.has("mul") and len(shape) == 1
                and not getattr(evaluator.loss_fn, "nan_aware", False))

    # ------------------------------------------------------------------ columns
    def _rows_of(self, rng: np.random.Generator) -> NDArray[np.int64]:
        if self._rows is None:
            n = self.evaluator.dataset.n_samples
            self._rows = (np.arange(n) if n <= self.max_rows
                          else np.sort(rng.choice(n, self.max_rows, replace=False)))
        return self._rows

    def _target(self, rng: np.random.Generator) -> tuple[Array, Array | None]:
        """The target on the library's rows and the square roots of its sample weights."""
        rows = self._rows_of(rng)
        ds = self.evaluator.dataset
        sqrt_w = None if ds.weights is None else np.sqrt(ds.weights[rows] / ds.weights.mean())
        return ds.y[rows], sqrt_w

    def _column(self, term: Expr) -> Array | None:
        key = _key(term)
        if key not in self._columns:
            values, ok = self.evaluator.evaluate(term)
            col = values[self._rows] if ok else None
            if col is not None and float(np.ptp(col)) <= 1e-12 * max(1.0, float(np.abs(col).max())):
                col = None  # constant on the data: the intercept covers it
            self._columns[key] = col
        return self._columns[key]

    def _matrix(self, terms: Sequence[Expr], stop: Callable[[], bool]) -> tuple[list[Expr], Array]:
        kept, cols = [], []
        for t in terms:
            if stop():
                break
            c = self._column(t)
            if c is not None:
                kept.append(t)
                cols.append(c)
        n = 0 if self._rows is None else len(self._rows)
        return kept, (np.column_stack(cols) if cols else np.empty((n, 0)))

    # ------------------------------------------------------------------ models
    def run(
        self,
        extra_terms: Sequence[Expr],
        offer: Callable[[Expr, float], None],
        rng: np.random.Generator,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Fit sparse sums over the library plus ``extra_terms`` (and, the first time,
        rational functions); hand each refitted model to ``offer``."""
        y, sqrt_w = self._target(rng)
        tiers = term_library(self.opset, self.max_degree, self.max_columns)
        pool: list[Expr] = []
        xs = [Expr.variable(self.opset, i) for i in range(self.opset.n_variables)]
        polys = [[p for x in xs for k in range(1, d + 1) if (p := power(self.opset, x, k)) is not None]
                 for d in sorted({2, 3, 4, 6, self.max_degree}) if d <= self.max_degree]
        # first polynomials of rising degree in each variable (few columns: elimination
        # from all of them finds the exact support, where greedy steps can be fooled by
        # x**7 looking like x**6 on [0, 1]); then nested libraries: monomials, with unary
        # terms, then everything and the search's sub-trees
        passes = ([(p, False) for p in polys] + [(tiers[1], False), (tiers[2], False), (tiers[1] + tiers[2], False)]
                  + [(t, True) for t in (tiers[0], tiers[1], tiers[2], tiers[3] + list(extra_terms))])
        # An exact model does not cut the passes short: the same law often has several
        # exact forms (sin(x**2)*cos(x) - 1 in the products tier, a sum of two sines in the
        # tier before), and the front keeps the smallest.  Only the rationals are skipped.
        exact = False

        def offer_and_note(expr: Expr, loss: float) -> None:
            nonlocal exact
            exact = exact or self.evaluator.is_exact(expr, loss)
            offer(expr, loss)

        for extra, nested in passes:
            # (the nested libraries grow from the monomials alone: the passes before them
            # are not part of the pool, or the monomial pass had 188 columns on two
            # variables, too many for the exhaustive pairs that find 2.5*x0*x1 - x1**2)
            if nested:
                pool = pool + list(extra)
            terms, A = self._matrix(pool if nested else list(extra), stop)
            if not A.shape[1] or stop():
                continue
            columns = tuple(_key(t) for t in terms)
            if columns in self._passes_done:  # the same library as in an earlier epoch
                continue
            self._passes_done.add(columns)
            self._select(terms, A, y, sqrt_w, offer_and_note, stop)
        if not exact and not self._rational_done and not stop():
            self._rational_done = True
            self._rationals(y, sqrt_w, offer_and_note, stop)

    def fit_terms(
        self,
        terms: Sequence[Expr],
        offer: Callable[[Expr, float], None],
        rng: np.random.Generator,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Sparse sums over exactly ``terms`` (no library, no rationals): the best small
        subsets, greedy steps and backward elimination, each model refitted and offered.

        Another searcher's formula, expanded into its additive terms, is searched for the
        sub-sum that the data needs (``x + x**2 + 1e-3*sin(x)`` -> ``x + x**2``).
        """
        y, sqrt_w = self._target(rng)
        kept, A = self._matrix(list(terms), stop)
        if A.shape[1] and not stop():
            self._select(kept, A, y, sqrt_w, offer, stop)

    def _select(self, terms: list[Expr], A: Array, y: Array, sqrt_w: Array | None,
                offer: Callable[[Expr, float], None], stop: Callable[[], bool]) -> None:
        Aw, yw = (A, y) if sqrt_w is None else (A * sqrt_w[:, None], y * sqrt_w)
        tol = self.evaluator.loss_floor * len(y)
        # a few steps more than offered: elimination from a wider support can drop
        # the look-alike a greedy step took (exp(x) for 1 + x + x**2/2)
        forward = forward_select(Aw, yw, self.max_terms + 4, tol)
        if not forward:
            return
        # elimination starts from every column when there are few (a full polynomial
        # fit), else from the forward selection's last support
        limit = max(self.max_terms + 4, self.full_elimination)
        start = list(range(A.shape[1])) if A.shape[1] <= min(limit, len(y) // 2) else forward[-1]
        small = best_subsets(Aw, yw, 3, max_evals=8000)
        for support in small + forward[: self.max_terms] + backward_eliminate(Aw, yw, start):
            key = tuple(sorted(_key(terms[k]) for k in support))
            if key in self._done or _too_big(support, self.max_size) or stop():
                continue
            self._done.add(key)
            self._offer_sum([terms[k] for k in support], A[:, support], y, sqrt_w, offer)

    def _offer_sum(self, terms: list[Expr], A: Array, y: Array, sqrt_w: Array | None,
                   offer: Callable[[Expr, float], None]) -> None:
        # linear_head weighs, snaps and writes the sum; the shared fitter polishes it
        cols = {_key(t): A[:, i] for i, t in enumerate(terms)}

        def values(sub: Expr) -> Array:  # a term that is itself a sum is split by linear_head
            v = cols.get(_key(sub))
            if v is None:
                v = self._column(sub)
            return v if v is not None else np.full_like(y, np.nan)

        plain = terms[0]
        for t in terms[1:]:
            plain = Expr.apply(self.opset, "add", plain, t)
        with np.errstate(all="ignore"):
            model = linear_head(plain, values, y, sqrt_w)
        self._refit_and_offer(model, offer)

    def _refit_and_offer(self, model: Expr, offer: Callable[[Expr, float], None]) -> None:
        if model.size > self.max_size:
            return
        ev = self.evaluator
        # The least-squares weights are optimal already when every row was used.  The
        # fitter is needed only after a subsample, and it caches by skeleton: x**3 + x**5
        # and x**4 + x**7 share one, so its answer may belong to another model.
        subsampled = self._rows is not None and len(self._rows) < ev.dataset.n_samples
        refit = self.refit and subsampled and model.n_coefs
        fitted, loss = ev.fit(model) if refit else (model, ev.loss(model))
        if math.isfinite(loss):
            offer(fitted, loss)

    def _rationals(self, y: Array, sqrt_w: Array | None, offer: Callable[[Expr, float], None],
                   stop: Callable[[], bool]) -> None:
        """``P / Q`` by linearised least squares, for one or two variables."""
        n = self.opset.n_variables
        if n > 2 or not (self.opset.has("div") and self.opset.has("mul") and self.opset.has("add")):
            return
        p_deg, q_deg = self.rational_degree
        if n == 2:  # monomials in two variables multiply fast: 66 of degree <= 10
            p_deg = min(p_deg, 6)
        mono = _monomials(self.opset, max(p_deg, q_deg))
        num = [(t, d) for t, d in mono if d <= p_deg]
        den = [(t, d) for t, d in mono if d <= q_deg]
        num_terms, N = self._matrix([t for t, _ in num], stop)
        den_terms, D = self._matrix([t for t, _ in den], stop)
        self._rational_fit(num_terms, N, den_terms, D, y, sqrt_w, offer, stop)

    def fit_rational_terms(
        self,
        terms: Sequence[Expr],
        offer: Callable[[Expr, float], None],
        rng: np.random.Generator,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """``P / Q`` with ``P`` and ``Q`` sparse sums over ``terms`` and the variables,
        by linearised least squares (``y * Q = P``), each model refitted and offered.

        Another searcher's formula, expanded into terms, gives the library: a network
        that found ``m1*r1 + m2*r2 - ...`` offers ``(m1*r1 + m2*r2) / (m1 + m2)``.
        """
        if not (self.opset.has("div") and self.opset.has("mul") and self.opset.has("add")):
            return
        y, sqrt_w = self._target(rng)
        xs = [Expr.variable(self.opset, i) for i in range(self.opset.n_variables)]
        keys = {_key(t) for t in terms}
        kept, A = self._matrix(list(terms) + [x for x in xs if _key(x) not in keys], stop)
        self._rational_fit(kept, A, kept, A, y, sqrt_w, offer, stop)

    def _rational_fit(self, num_terms: list[Expr], N: Array, den_terms: list[Expr], D: Array, y: Array,
                      sqrt_w: Array | None, offer: Callable[[Expr, float], None], stop: Callable[[], bool]) -> None:
        """Sparse ``P / Q`` over the given numerator and denominator columns: ``Q``'s
        leading term (1 or a one-variable term) is fixed at weight 1, the rest solved
        with ``P`` by least squares on ``y * lead = P - y * (Q - lead)``."""
        if not N.shape[1] or not D.shape[1] or stop():
            return
        tol = self.evaluator.loss_floor * len(y)
        leads: list[tuple[Expr | None, Array]] = [(None, np.ones_like(y))]
        leads += [(t, D[:, i]) for i, t in enumerate(den_terms) if t.size == 1]
        for lead, lead_col in leads:
            if stop():
                return
            keep = [i for i, t in enumerate(den_terms) if lead is None or t.skeleton != lead.skeleton]
            target = y * lead_col
            A = np.column_stack([N, -y[:, None] * D[:, keep]])
            Aw, tw = (A, target) if sqrt_w is None else (A * sqrt_w[:, None], target * sqrt_w)
            supports = forward_select(Aw, tw, self.max_terms + 4, tol)
            if not supports:
                continue
            # the largest forward models, then elimination from the largest (a spurious
            # x**8 taken on the way drops out)
            # (from every column where ``full_elimination`` allows: y*(m1 + m2) =
            # m1*r1 + m2*r2 is three columns of 52 that greedy steps miss)
            every = A.shape[1] <= min(self.full_elimination, len(y) // 2)
            start = list(range(A.shape[1])) if every else supports[-1]
            seen: set[tuple[int, ...]] = set()
            for support in best_subsets(Aw, tw, 3) + supports[-3:] + backward_eliminate(Aw, tw, start):
                if tuple(sorted(support)) in seen or _too_big(support, self.max_size) or stop():
                    continue
                seen.add(tuple(sorted(support)))
                model = self._rational_model(support, num_terms, [den_terms[i] for i in keep], lead, A, target)
                if model is not None:
                    self._refit_and_offer(model, offer)

    def _rational_model(self, support: list[int], num_terms: list[Expr], den_terms: list[Expr],
                        lead: Expr | None, A: Array, target: Array) -> Expr | None:
        if not any(k >= len(num_terms) for k in support):
            return None  # no denominator term: a plain sum, found above
        X = np.column_stack([np.ones_like(target), A[:, support]])
        # snapped weights (0.9999999 -> 1, 1e-16 -> 0): the fitter would snap them too,
        # but a zero weight must drop its term here, or the model keeps a useless node
        fit = snapped_least_squares(X, target, target, A[:, support])
        if fit is None:
            return None
        a0, w = fit
        n_num = len(num_terms)
        p_terms = [num_terms[k] for i, k in enumerate(support) if k < n_num and w[i] != 0.0]
        p_w = [w[i] for i, k in enumerate(support) if k < n_num and w[i] != 0.0]
        q_terms = [den_terms[k - n_num] for i, k in enumerate(support) if k >= n_num and w[i] != 0.0]
        q_w = [w[i] for i, k in enumerate(support) if k >= n_num and w[i] != 0.0]
        if not q_terms:
            return None
        numerator = weighted_sum(self.opset, p_terms, p_w, a0) if p_terms else Expr.coefficient(self.opset, a0)
        if lead is None:
            denominator = weighted_sum(self.opset, q_terms, q_w, 1.0)
        else:
            denominator = weighted_sum(self.opset, [lead, *q_terms], [1.0, *q_w])
        return Expr.apply(self.opset, "div", numerator, denominator)


def _too_big(support: list[int], max_size: int) -> bool:
    """Whether a model over these columns has more than ``max_size`` nodes whatever its
    weights: each column is a term of at least one node, joined by at least one ``add``.
    (Elimination from every column yields supports of hundreds of columns; writing
    their models only to drop them cost 80% of the time.)"""
    return 2 * len(support) - 1 > max_size


def _key(e: Expr) -> tuple[bytes, bytes]:
    """Identity of a library term: its skeleton *and* its fixed coefficients (``x ** 3.0``
    and ``x ** 4.0`` share a skeleton)."""
    return e.skeleton, np.asarray(e.coefs).tobytes()


def _monomials(opset: OperatorSet, degree: int) -> list[tuple[Expr, int]]:
    """Monomials of total degree ``1..degree`` in (at most two) variables, with their degree."""
    xs = [Expr.variable(opset, i) for i in range(opset.n_variables)]
    out: list[tuple[Expr, int]] = []
    for d in range(1, degree + 1):
        if len(xs) == 1:
            p = power(opset, xs[0], d)
            if p is not None:
                out.append((p, d))
            continue
        for a in range(d, -1, -1):
            b = d - a
            parts = [p for p in (power(opset, xs[0], a) if a else None,
                                 power(opset, xs[1], b) if b else None) if p is not None]
            if len(parts) != (a > 0) + (b > 0):
                continue
            out.append((parts[0] if len(parts) == 1 else Expr.apply(opset, "mul", *parts), d))
    return out
