"""The benchmark problem record: a formula, its variables and its train/test sampling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy

from .sampling import Sampling, make_rng

__all__ = ["BenchmarkProblem", "Sampling", "make_rng"]


# -- formula handling ---------------------------------------------------------------------
def _symbols_for(
    variables: tuple[str, ...], signs: tuple[str, ...]
) -> tuple[sympy.Symbol, ...]:
    out = []
    for name, sign in zip(variables, signs):
        if sign == "positive":
            out.append(sympy.Symbol(name, positive=True))
        elif sign == "nonnegative":
            out.append(sympy.Symbol(name, nonnegative=True))
        else:
            out.append(sympy.Symbol(name, real=True))
    return tuple(out)


@lru_cache(maxsize=None)
def _parse(
    formula: str, variables: tuple[str, ...], signs: tuple[str, ...], rational: bool
) -> sympy.Expr:
    syms = _symbols_for(variables, signs)
    local = {s.name: s for s in syms}
    expr = sympy.sympify(formula, locals=local, rational=rational)
    extra = {s.name for s in expr.free_symbols} - set(variables)
    if extra:
        raise ValueError(f"formula {formula!r} uses undeclared names {sorted(extra)}")
    return expr


@lru_cache(maxsize=None)
def _compile(
    formula: str, variables: tuple[str, ...], signs: tuple[str, ...]
) -> Callable[..., np.ndarray]:
    expr = _parse(formula, variables, signs, True)
    return sympy.lambdify(_symbols_for(variables, signs), expr, modules="numpy")


@dataclass(frozen=True)
class BenchmarkProblem:
    """One benchmark problem: a formula, its variables and its train/test sampling.

    Parameters
    ----------
    name : str
        Canonical name, e.g. ``"Nguyen-1"`` or ``"I.6.2a"``.
    aliases : tuple of str
        Other names accepted by :func:`srkit.problems.get`.
    suite : str
        The suite the problem belongs to (``"nguyen"``, ``"constant"``, ``"feynman"``...).
    formula : str
        Exact sympy-parsable text; decimal constants as written (e.g. ``3.39``).
    variables : tuple of str
        Input variable names, in column order of ``X``.
    train, test : Sampling
        Sampling plans of the two splits.
    description : str
        Free text (source, original formula, ...).

    Examples
    --------
    >>> from srkit.problems import get
    >>> p = get("Nguyen-1")
    >>> X, y = p.sample("train", random_state=0)
    >>> X.shape, y.shape
    ((20, 1), (20,))
    """

    name: str
    aliases: tuple[str, ...]
    suite: str
    formula: str
    variables: tuple[str, ...]
    train: Sampling
    test: Sampling
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        d = len(self.variables)
        if self.train.n_variables != d or self.test.n_variables != d:
            raise ValueError(f"{self.name}: sampling plans must cover {d} variables")

    @property
    def n_variables(self) -> int:
        """Number of input variables."""
        return len(self.variables)

    @property
    def variable_signs(self) -> tuple[str, ...]:
        """Per variable: ``"positive"``, ``"nonnegative"`` or ``"real"`` over both splits.

        Examples
        --------
        >>> from srkit.problems import get
        >>> get("Keijzer-8").variable_signs  # train grid E[0,100,1] contains 0
        ('nonnegative',)
        """
        order = {"positive": 0, "nonnegative": 1, "real": 2}
        out = []
        for i in range(self.n_variables):
            a, b = self.train.sign(i), self.test.sign(i)
            out.append(a if order[a] >= order[b] else b)
        return tuple(out)

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """The sympy symbols of the variables (real; positive/nonnegative per sampling)."""
        return _symbols_for(self.variables, self.variable_signs)

    @property
    def ground_truth(self) -> sympy.Expr:
        """The exact target expression (decimal constants as rationals, pi symbolic).

        Examples
        --------
        >>> from srkit.problems import get
        >>> get("Constant-1").ground_truth
        339*x1**3/100 + 53*x1**2/25 + 89*x1/50
        """
        return _parse(self.formula, self.variables, self.variable_signs, True)

    @property
    def ground_truth_float(self) -> sympy.Expr:
        """The target expression with decimal constants kept as sympy Floats."""
        return _parse(self.formula, self.variables, self.variable_signs, False)

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """Evaluate the ground truth on ``X`` of shape ``(n, d)``; returns ``y`` ``(n,)``.

        Examples
        --------
        >>> from srkit.problems import get
        >>> get("Nguyen-1").evaluate(np.array([[1.0], [2.0]]))
        array([ 3., 14.])
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and self.n_variables == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.n_variables:
            raise ValueError(
                f"{self.name} expects X of shape (n, {self.n_variables}), got {X.shape}"
            )
        fn = _compile(self.formula, self.variables, self.variable_signs)
        with np.errstate(all="ignore"):
            y = fn(*(X[:, j] for j in range(X.shape[1])))
        y = np.asarray(y, dtype=np.float64)
        return np.broadcast_to(y, (X.shape[0],)).copy()

    def sampling(self, split: str) -> Sampling:
        """The :class:`Sampling` of ``"train"`` or ``"test"``."""
        if split == "train":
            return self.train
        if split == "test":
            return self.test
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")

    def sample(
        self,
        split: str = "train",
        random_state: int | np.random.Generator | None = None,
        noise: float = 0.0,
        n: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(X, y)`` for one split.

        Parameters
        ----------
        split : {"train", "test"}
            Which sampling plan to use.
        random_state : None, int or numpy.random.Generator
            Seed; an int gives independent reproducible streams per split.
        noise : float
            SRBench target noise level: Gaussian with std ``noise * RMS(y)``, added to the
            training split only (ignored for ``"test"``).
        n : int, optional
            Override the number of rows (see :meth:`Sampling.draw`).

        Returns
        -------
        X : ndarray of shape (rows, d), float64
        y : ndarray of shape (rows,), float64

        Examples
        --------
        >>> from srkit.problems import get
        >>> X, y = get("I.6.2a").sample("train", random_state=0, n=100, noise=0.01)
        >>> X.shape, y.shape
        ((100, 1), (100,))
        """
        plan = self.sampling(split)
        if noise < 0:
            raise ValueError("noise must be >= 0")
        rng = make_rng(random_state, split)
        X = plan.draw(rng, n=n, func=self.evaluate)
        y = self.evaluate(X)
        if noise > 0 and split == "train":
            scale = noise * float(np.sqrt(np.mean(y**2)))
            y = y + rng.normal(0.0, scale, size=y.shape)
        return X, y
