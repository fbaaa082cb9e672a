"""Test-only benchmark methods, loaded by ``benchmarks/run.py`` through its
``[label=]file.py:function`` hook (never imported by pytest itself)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

def sleepy(X: Any, y: Any, names: list[str], time_budget: float, seed: int, pid_file: str = "") -> str:
    """Ignore the budget and sleep far past any deadline (after writing the pid to ``pid_file``)."""
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)
    return "x1"


def boom(X: Any, y: Any, names: list[str], time_budget: float, seed: int) -> str:
    """Fail at once."""
    raise RuntimeError("boom")


def truth(X: Any, y: Any, names: list[str], time_budget: float, seed: int) -> dict[str, Any]:
    """Return sqrt(x1) with extra statistics, as a custom method may."""
    return {"expression": "sqrt(x1)", "n_evals": 1}
