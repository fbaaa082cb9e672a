"""ParetoFront: the best expression per complexity, and model selection.

Model selection follows PySR's definitions: the *score* of a front entry is the
drop in log-loss per unit of complexity from the next simpler entry;
``"accuracy"`` takes the lowest loss, ``"score"`` the highest score, and
``"best"`` the highest score among entries with loss at most 1.5 times the
lowest.  Losses below ``loss_floor`` count as equal to it: two exact fits that
differ only by rounding noise (1e-32 against 1e-33) are equally good, and the
simpler one wins.

``"mdl"`` (srkit's default) takes the shortest description of the data: the
negative log-likelihood of the residuals, ``n / power * log(loss)``, plus the
formula's own length, ``log(symbols)`` per unit of complexity and, for each fitted
constant, ``log(n) / 2`` nats (less for a simple rational such as 2 or 1/2).  On
noisy data the lowest losses belong to formulas with extra terms that fit the noise;
"best" keeps them once they are 1.5 times below the law's loss (easy on 20 rows),
where their length outweighs what they explain.  Without noise the law's loss is the
round-off floor, far below any curve fit, and the smallest exact formula wins, as
under "best".  It needs the number of rows and a loss that is a power of the
residuals' scale (mse, nmse, rmse, mae); otherwise it is "best".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Literal

from srkit.core.expr import Expr
from srkit.core.rationals import rational_cost, simple_rational

__all__ = ["SELECTIONS", "ParetoEntry", "ParetoFront", "Selection", "description_length"]

Selection = Literal["best", "accuracy", "score", "mdl"]

#: the selections by name, in the order the docs list them
SELECTIONS: tuple[str, ...] = ("mdl", "best", "accuracy", "score")


@dataclass(frozen=True)
class ParetoEntry:
    """One point of the front."""

    expr: Expr
    loss: float
    complexity: float
    score: float = 0.0

    def to_record(self, precision: int | None = None) -> dict[str, Any]:
        return {
            "complexity": self.complexity,
            "loss": self.loss,
            "score": self.score,
            "equation": self.expr.format(precision),
            "size": self.expr.size,
        }


class ParetoFront:
    """Best (loss, complexity) expressions, one per complexity, non-dominated.

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> front = ParetoFront()
    >>> front.update(parse("x0"), loss=1.0)
    True
    >>> front.update(parse("x0*x0"), loss=0.5)
    True
    >>> front.update(parse("x0*x0*x0"), loss=0.7)   # dominated by x0*x0
    False
    >>> [str(e.expr) for e in front]
    ['x0', 'x0 * x0']
    """

    def __init__(self, loss_floor: float = 0.0, max_complexity: float = math.inf, *,
                 n_samples: int | None = None, loss_power: float | None = None) -> None:
        if not loss_floor >= 0:
            raise ValueError(f"loss_floor must be >= 0, got {loss_floor}")
        self.loss_floor = float(loss_floor)
        self.max_complexity = max_complexity
        #: what "mdl" selection needs: the rows the losses were measured on, and the power
        #: of the residuals' scale the loss is (2 for mse); None: "mdl" falls back to "best"
        self.n_samples = n_samples
        self.loss_power = loss_power
        self._best: dict[float, tuple[float, Expr]] = {}

    def _eff(self, loss: float) -> float:
        return max(loss, self.loss_floor)

    def update(self, expr: Expr, loss: float, complexity: float | None = None) -> bool:
        """Offer an expression; return True when it enters the front."""
        if not math.isfinite(loss):
            return False
        c = float(expr.complexity if complexity is None else complexity)
        if c > self.max_complexity:
            return False
        eff = self._eff(loss)
        # dominated by an entry at most as complex with an effective loss at most as large
        for ck, (lk, _) in self._best.items():
            if ck <= c and self._eff(lk) <= eff and not (ck == c and lk > loss):
                return False
        self._best[c] = (loss, expr)
        # drop entries the newcomer now dominates
        for ck in [k for k, (lk, _) in self._best.items() if k > c and self._eff(lk) >= eff]:
            del self._best[ck]
        return True

    def merge(self, other: ParetoFront | Iterable[ParetoEntry]) -> None:
        for entry in other:
            self.update(entry.expr, entry.loss, entry.complexity)

    def entries(self) -> list[ParetoEntry]:
        """Entries by increasing complexity, each with its PySR score."""
        out: list[ParetoEntry] = []
        prev: tuple[float, float] | None = None
        for c in sorted(self._best):
            loss, expr = self._best[c]
            score = 0.0
            if prev is not None:
                eff, prev_eff = self._eff(loss), self._eff(prev[1])
                if eff > 0 and prev_eff > 0:
                    score = -(math.log(eff) - math.log(prev_eff)) / (c - prev[0])
                else:
                    score = math.inf
            out.append(ParetoEntry(expr, loss, c, score))
            prev = (c, loss)
        return out

    def __iter__(self) -> Iterator[ParetoEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._best)

    def __bool__(self) -> bool:
        return bool(self._best)

    @property
    def min_loss(self) -> float:
        return min((loss for loss, _ in self._best.values()), default=math.inf)

    def select(self, criterion: Selection = "best") -> ParetoEntry:
        """Choose one entry by ``"mdl"``, or by ``"best"``, ``"accuracy"`` or ``"score"`` (PySR's rules)."""
        entries = self.entries()
        if not entries:
            raise ValueError("the Pareto front is empty: no candidate had a finite loss")
        if criterion == "accuracy":
            return min(entries, key=lambda e: (self._eff(e.loss), e.complexity))
        if criterion == "score":
            return max(entries, key=lambda e: (e.score, -e.complexity))
        if criterion == "mdl":
            if self.n_samples and self.loss_power:
                return min(entries, key=lambda e: (self.description_length(e), e.complexity))
            criterion = "best"
        if criterion == "best":
            threshold = 1.5 * self._eff(min(e.loss for e in entries))
            good = [e for e in entries if self._eff(e.loss) <= threshold]
            return max(good, key=lambda e: (e.score, -e.complexity))
        raise ValueError(f"unknown model selection {criterion!r}; use one of {', '.join(SELECTIONS)}")

    def description_length(self, entry: ParetoEntry) -> float:
        """Nats to send the data with ``entry``'s formula (see the module docs); needs
        ``n_samples`` and ``loss_power``."""
        if not (self.n_samples and self.loss_power):
            raise ValueError("description_length needs the front's n_samples and loss_power")
        return description_length(entry.expr, self._eff(entry.loss), self.n_samples, self.loss_power)

    def to_records(self, precision: int | None = None) -> list[dict[str, Any]]:
        return [e.to_record(precision) for e in self.entries()]


def description_length(expr: Expr, loss: float, n_samples: int, loss_power: float = 2.0) -> float:
    """Nats to send ``n_samples`` targets with ``expr`` (two-part code, up to a constant):
    the residuals at ``loss`` (``n / loss_power * log(loss)``: Gaussian for mse, where
    ``loss_power`` is 2), the formula's symbols (``log`` of the alphabet per unit of
    complexity) and its constants (``log(n) / 2`` each, as in BIC; a simple rational p/q
    costs ``log(1 + |p|) + log(q)``, so that ``2*x`` is not charged like ``2.0137*x``).

    Examples
    --------
    >>> from srkit.core.parse import parse
    >>> law, fitted = parse("x0 * x0"), parse("0.99 * x0 * x0 + 0.013 * x0")
    >>> description_length(law, 1.0e-4, 20) < description_length(fitted, 0.8e-4, 20)
    True
    """
    if not loss > 0:
        loss = 1e-300
    symbols = len(expr.opset.operators) + expr.opset.n_variables + 1
    code = float(expr.complexity) * math.log(max(symbols, 2))
    free = 0.5 * math.log(n_samples)
    for c in expr.coefs:
        frac = simple_rational(float(c), 12, 1e-9)
        code += free if frac is None else min(free, rational_cost(frac))
    return n_samples / loss_power * math.log(loss) + code
