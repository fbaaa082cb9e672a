"""``CoefficientBox``: all PCFs with given degrees and coefficient ranges, in a fixed order.

The PCF with global index ``g`` has ``a`` number ``g // n_b`` and ``b`` number
``g % n_b`` among the nonzero polynomials, each read as mixed-radix digits
(lowest degree first).  Blocks of consecutive indices are what the screen and
the search hand to workers, so a run can be split, resumed and parallelised
without changing any result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CoefficientBox"]


@dataclass(frozen=True)
class CoefficientBox:
    """Degrees and inclusive coefficient ranges of a(n) and b(n); a == 0 and b == 0 are left out.

    Examples
    --------
    >>> box = CoefficientBox(2, 2, (-5, 5), (-5, 5))   # the blind-delta paper's space
    >>> len(box)
    1768900
    >>> box.coefficients(np.array([0]))[0].tolist()
    [[-5, -5, -5]]
    """

    a_deg: int
    b_deg: int
    a_range: tuple[int, int]
    b_range: tuple[int, int]

    def __post_init__(self) -> None:
        for name, deg in (("a_deg", self.a_deg), ("b_deg", self.b_deg)):
            if not isinstance(deg, (int, np.integer)) or deg < 0 or deg > 8:
                raise ValueError(f"{name} must be an integer in 0..8, got {deg!r}")
        for name, (lo, hi) in (("a_range", self.a_range), ("b_range", self.b_range)):
            if int(lo) > int(hi):
                raise ValueError(f"{name}: lower bound {lo} is above upper bound {hi}; give (low, high)")
            if max(abs(int(lo)), abs(int(hi))) > 10**6:
                raise ValueError(f"{name}: coefficients beyond +-1e6 are not supported by the float64 screen")
        object.__setattr__(self, "a_range", (int(self.a_range[0]), int(self.a_range[1])))
        object.__setattr__(self, "b_range", (int(self.b_range[0]), int(self.b_range[1])))

    @staticmethod
    def _count(deg: int, rng: tuple[int, int]) -> int:
        r = rng[1] - rng[0] + 1
        total = r ** (deg + 1)
        return total - 1 if rng[0] <= 0 <= rng[1] else total

    @property
    def n_a(self) -> int:
        return self._count(self.a_deg, self.a_range)

    @property
    def n_b(self) -> int:
        return self._count(self.b_deg, self.b_range)

    def __len__(self) -> int:
        return self.n_a * self.n_b

    @staticmethod
    def _digits(idx: np.ndarray, deg: int, rng: tuple[int, int]) -> np.ndarray:
        lo, hi = rng
        r = hi - lo + 1
        if lo <= 0 <= hi:  # skip the zero polynomial: its grid index is sum (-lo) r^j
            zero = sum((-lo) * r**j for j in range(deg + 1))
            idx = idx + (idx >= zero)
        out = np.empty((idx.shape[0], deg + 1), dtype=np.int64)
        rest = idx.copy()
        for j in range(deg + 1):
            out[:, j] = rest % r + lo
            rest //= r
        return out

    def coefficients(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` int64 arrays ``(len(index), deg+1)`` for global indices (lowest degree first)."""
        index = np.asarray(index, dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= len(self)):
            raise IndexError(f"PCF index out of range 0..{len(self) - 1}")
        ia, ib = np.divmod(index, self.n_b)
        return self._digits(ia, self.a_deg, self.a_range), self._digits(ib, self.b_deg, self.b_range)

    def block(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients of PCFs ``start..stop-1``."""
        return self.coefficients(np.arange(start, min(stop, len(self)), dtype=np.int64))

    def to_dict(self) -> dict[str, object]:
        return {"a_deg": self.a_deg, "b_deg": self.b_deg, "a_range": list(self.a_range), "b_range": list(self.b_range)}
