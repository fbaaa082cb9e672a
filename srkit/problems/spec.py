"""The benchmark problem record: a formula, its variables and its train/test sampling."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import sympy

from .sampling import Sampling, make_rng

__all__ = ["BenchmarkProblem", "Sampling", "make_rng", "formula_to_sympy"]


# -- formula text -> sympy, without eval ------------------------------------------------------
# ``sympy.sympify`` and ``sympy.parsing.sympy_parser.parse_expr`` both ``eval`` the text, so a
# formula such as "__import__('os').system('id')" would run.  Formula text is read by srkit's
# own parser instead, over the built-in operators plus the inverse and hyperbolic functions
# that benchmark formulas use, and converted with ``to_sympy``.
_NAME = re.compile(r"(?<![0-9A-Za-z_.])([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=1)
def _formula_registry() -> Any:
    from srkit.core.builtins import default_registry
    from srkit.core.operators import Operator

    reg = default_registry()
    extra = (
        Operator("asin", 1, np.arcsin, "asin", "asin", r"\arcsin{{\left({0}\right)}}", aliases=("arcsin",)),
        Operator("acos", 1, np.arccos, "acos", "acos", r"\arccos{{\left({0}\right)}}", aliases=("arccos",)),
        Operator("atan", 1, np.arctan, "atan", "atan", r"\arctan{{\left({0}\right)}}", aliases=("arctan",)),
        Operator("sinh", 1, np.sinh, "sinh", "sinh", r"\sinh{{\left({0}\right)}}"),
        Operator("cosh", 1, np.cosh, "cosh", "cosh", r"\cosh{{\left({0}\right)}}"),
        Operator("asinh", 1, np.arcsinh, "asinh", "asinh", r"\operatorname{{asinh}}{{\left({0}\right)}}",
                 aliases=("arcsinh",)),
        Operator("acosh", 1, np.arccosh, "acosh", "acosh", r"\operatorname{{acosh}}{{\left({0}\right)}}",
                 aliases=("arccosh",)),
        Operator("atanh", 1, np.arctanh, "atanh", "atanh", r"\operatorname{{atanh}}{{\left({0}\right)}}",
                 aliases=("arctanh",)),
    )
    for op in extra:  # plain numpy/sympy functions: nothing to verify, and no torch import
        reg.register(op, check=False)
    return reg


def formula_to_sympy(
    text: str,
    symbols: Mapping[str, sympy.Symbol] | None = None,
    *,
    rational: bool = False,
) -> sympy.Expr:
    """Formula text as a sympy expression, read by srkit's parser (the text is never evaluated).

    Every bare name (not followed by ``(``) is a variable: the symbol of that name in
    ``symbols``, else a new real symbol; only ``pi`` keeps its meaning (``E``, ``I``,
    ``S``, ``N``, ``lambda`` are variables).  Functions are srkit's operators and aliases
    (``sqrt``, ``exp``, ``log``/``ln``, ``abs``/``Abs``, ``sin``...) plus ``asin``,
    ``acos``, ``atan`` (``arcsin``...), ``sinh``, ``cosh``, ``asinh``, ``acosh``, ``atanh``.
    With ``rational`` decimal constants become exact rationals (``3.39 -> 339/100``).

    Raises :class:`srkit.core.parse.ParseError` (a ``ValueError``) on text it cannot read,
    and ``TypeError`` when ``text`` is not a string.

    Examples
    --------
    >>> formula_to_sympy("3.39*x**2 + sin(x)", rational=True)
    339*x**2/100 + sin(x)
    >>> formula_to_sympy("__import__('os').system('id')")
    Traceback (most recent call last):
    ...
    srkit.core.parse.ParseError: cannot parse formula: unexpected character "'" at position 11
    ...
    """
    from srkit.core.parse import _tokenize, parse
    from srkit.export.sympy import to_sympy

    if not isinstance(text, str):
        raise TypeError(f"formula must be a string, got {type(text).__name__}")
    names: list[str] = []
    for m in _NAME.finditer(text):
        name = m.group(1)
        if name == "pi" or name in names or text[m.end():].lstrip().startswith("("):
            continue  # the constant pi, a repeat, or a function call
        names.append(name)
    expr = parse(text, names, registry=_formula_registry())
    symbols = symbols or {}
    syms = [symbols.get(n) or sympy.Symbol(n, real=True) for n in expr.opset.variables]
    # Numbers as written, as sympify read them: "2" an Integer, "8.0" a 15-digit Float, and with
    # ``rational`` "3.39" the Rational 339/100.  The parser keeps coefficients in the order of
    # the text (prefix order), so the i-th number token is coefficient i.
    literals = [t.text for t in _tokenize(text) if t.kind == "num"]
    if len(literals) != len(expr.coefs):  # pragma: no cover - guards the order assumption above
        raise ValueError(f"cannot match the numbers of formula {text!r} to its coefficients")
    numbers: list[Any] = []
    for lit, value in zip(literals, expr.coefs):
        if rational:
            num: Any = sympy.Rational(lit)
        elif any(ch in lit for ch in ".eE"):
            num = sympy.Float(lit)
        else:
            num = sympy.Integer(lit)
        numbers.append(-num if value < 0 else num)
    return to_sympy(expr, symbols=syms, coefficients=numbers)


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
    expr = formula_to_sympy(formula, {s.name: s for s in syms}, rational=rational)
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
        The formula as text, read by :func:`formula_to_sympy` (srkit's parser, never
        ``sympify``); decimal constants as written (e.g. ``3.39``).
    variables : tuple of str
        Input variable names, in column order of ``X``.
    train, test : Sampling
        Sampling plans of the two splits.
    description : str
        Free text (source, original formula, ...).
    target : str
        The name of the output variable where the source names it (``"F"``), else "".

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
    target: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        d = len(self.variables)
        if self.train.n_variables != d or self.test.n_variables != d:
            raise ValueError(f"{self.name}: sampling plans must cover {d} variables")

    @property
    def n_variables(self) -> int:
        """Number of input variables."""
        return len(self.variables)

    @property
    def units(self) -> tuple[tuple[Any, ...], Any] | None:
        """``(X_units, y_units)`` as :class:`~srkit.units.Unit` objects, for the AI Feynman
        problems when the units table is found (:mod:`srkit.problems.units`); else None.

        >>> from srkit.problems import get
        >>> u = get("I.12.1").units   # F = mu * Nn
        >>> u is None or [str(x) for x in u[0]] + [str(u[1])] == ["1", "kg*m/s**2", "kg*m/s**2"]
        True
        """
        if self.suite != "feynman" or not self.target:
            return None
        from srkit.problems.units import feynman_units_table

        table = feynman_units_table()
        if table is None or self.target not in table or any(v not in table for v in self.variables):
            return None
        return tuple(table[v] for v in self.variables), table[self.target]

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
