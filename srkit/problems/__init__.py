"""Benchmark problems for symbolic regression and the recovery checker.

Suites: ``nguyen``, ``nguyen-c``, ``constant``, ``keijzer``, ``livermore``, ``r``, ``jin``,
``koza``, ``feynman`` (the 100 AI Feynman equations), ``feynman10`` and ``feynman20``.

Examples
--------
>>> from srkit import problems
>>> p = problems.get("Nguyen-1")
>>> X, y = p.sample("train", random_state=0)
>>> problems.check_recovery("x1*(x1*(x1+1)+1)", p, *p.sample("test", 0)).recovered
True
"""

from __future__ import annotations

from .recovery import RecoveryReport, check_recovery, snap_constants
from .registry import format_table, get, names, suite, suites
from .sampling import Sampling, make_rng
from .spec import BenchmarkProblem

__all__ = [
    "BenchmarkProblem",
    "RecoveryReport",
    "Sampling",
    "check_recovery",
    "format_table",
    "get",
    "make_rng",
    "names",
    "snap_constants",
    "suite",
    "suites",
]
