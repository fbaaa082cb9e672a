"""Networks trained in log space: where a product becomes a sum.

Most laws of physics are products and quotients of powers, ``G*m1*m2/r**2``, often
times one factor that is not, ``sin(theta)`` or ``1/sqrt(1 - v**2/c**2)``.  A
symbolic network of depth 2 and width 3 cannot multiply four variables, but
``log|y| = log G + log m1 + log m2 - 2*log r`` is one identity unit.  When the
target never changes sign, the dsn searcher therefore also trains networks on
``log|y|``, with ``log|x_j|`` of every variable that never changes sign given as
extra inputs next to the raw ``x``; a network ``f`` becomes the formula
``sign(y) * exp(f)`` with ``log|x_j|`` written back as ``log(x_j)`` (or
``log(-x_j)``), which sympy turns into powers: ``exp(2*log(r) + log(sin(t)))`` is
``r**2 * sin(t)``.  The result is an ordinary formula in the raw variables, refined
and scored like every other.

This is the log transform AI Feynman and dimensional analysis exploit; here it is
one more input space for the same networks, not a separate method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srkit.core.expr import Expr
from srkit.core.operators import OperatorSet

__all__ = ["LogSpace"]


@dataclass(frozen=True)
class LogSpace:
    """The log-space view of a data set: which variables get a ``log|x|`` input and
    the sign of the target.

    Examples
    --------
    >>> import numpy as np
    >>> from srkit.core.builtins import default_registry
    >>> ops = default_registry().operator_set(["add", "sub", "mul", "div", "exp", "log", "pow"], ["m", "r"])
    >>> X = np.array([[1.0, 2.0], [3.0, 0.5], [2.0, 4.0]])
    >>> space = LogSpace.of(X, 3 * X[:, 0] / X[:, 1] ** 2, ops)
    >>> space.columns, space.extended.variables
    ((0, 1), ('m', 'r', 'log_m', 'log_r'))
    >>> from srkit.core.parse import parse
    >>> str(space.to_raw(parse("log_m - 2*log_r + 1.5", space.extended)))
    '4.48168907033806 * m / r ** 2'
    """

    columns: tuple[int, ...]
    signs: tuple[float, ...]
    y_sign: float
    raw: OperatorSet
    extended: OperatorSet

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray, opset: OperatorSet) -> LogSpace | None:
        """The log space of ``(X, y)``, or None where it does not apply: ``y`` changes
        sign or touches 0, no variable keeps one sign, or ``exp`` is not an operator."""
        if not opset.has("exp") or not _one_sign(y):
            return None
        columns = [j for j in range(X.shape[1]) if _one_sign(X[:, j])]
        if not columns:
            return None
        names = [f"log_{opset.variables[j]}" for j in columns]
        taken = set(opset.variables)
        names = [n if n not in taken else f"{n}_" for n in names]
        return cls(
            columns=tuple(columns),
            signs=tuple(float(np.sign(X[0, j])) for j in columns),
            y_sign=float(np.sign(y[0])),
            raw=opset,
            extended=opset.with_variables([*opset.variables, *names]),
        )

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """``X`` with the ``log|x_j|`` columns appended."""
        logs = np.log(np.abs(X[:, list(self.columns)]))
        return np.concatenate([X, logs], axis=1)

    @property
    def n_log_inputs(self) -> int:
        """How many ``log|x_j|`` inputs :meth:`inputs` appends."""
        return len(self.columns)

    def target(self, y: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        """``log|y|`` (``X`` is not needed; it is taken so all spaces share one call)."""
        return np.log(np.abs(y))

    def to_raw(self, expr: Expr, max_size: int | None = None) -> Expr | None:
        """``sign(y) * exp(expr)`` in the raw variables; None when the operator set
        cannot write it (for example a power without ``pow``) or it has more than
        ``max_size`` nodes."""
        import sympy

        from srkit.export.sympy import from_sympy

        # a variable that keeps one sign in the data is declared so: sympy may then write
        # exp(b*log(a)) as a**b (powdenest), which it must not do for an a of either sign
        signs = dict(zip(self.columns, self.signs))
        raw_symbols = [
            sympy.Symbol(name, positive=True) if signs.get(j) == 1.0
            else sympy.Symbol(name, negative=True) if signs.get(j) == -1.0
            else sympy.Symbol(name, real=True)
            for j, name in enumerate(self.raw.variables)
        ]
        log_symbols = [sympy.Symbol(f"_L{k}", real=True) for k in range(len(self.columns))]
        try:
            f = expr.to_sympy(symbols=[*raw_symbols, *log_symbols][: expr.opset.n_variables])
            f = f.subs({
                log_symbols[k]: sympy.log(int(sign) * raw_symbols[j])
                for k, (j, sign) in enumerate(zip(self.columns, self.signs))
            })
            out = _integer_powers(sympy.powdenest(int(self.y_sign) * sympy.exp(f)))
            if out.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo):
                return None
            result = from_sympy(out, self.raw)
        except Exception:  # noqa: BLE001 - a formula the operator set cannot write is skipped
            return None
        if max_size is not None and result.size > max_size:
            return None
        return result


def _one_sign(values: np.ndarray) -> bool:
    """All finite, none zero, all of one sign."""
    values = np.asarray(values, dtype=np.float64)
    return bool(len(values) and np.isfinite(values).all() and ((values > 0).all() or (values < 0).all()))


def _integer_powers(sym: Any) -> Any:
    """``x**2.0`` as ``x**2`` and ``x**1.0`` as ``x``: a whole float exponent is an integer."""
    import sympy

    def whole(e: Any) -> bool:
        return bool(e.is_Pow and e.exp.is_Float and float(e.exp).is_integer())

    return sym.replace(whole, lambda e: e.base ** int(e.exp))
