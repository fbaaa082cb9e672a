"""Budget adherence: requested against used time and evaluations, per searcher.

Each fit runs in a fresh Python process (so numba's cache load, torch's import and
the other one-off costs are paid as a user pays them) on a 3-variable law,
``2.5*x0*x1 - x2**2 + 0.3*sin(3*x0)``, with 200 rows and with 700,000 rows.  For
each searcher (and the default, ``SymbolicRegressor()`` with no searcher named) it
records:

- ``search_s``: the search's own clock (``result_.wall_time``), which the budget bounds;
- ``fit_s``: the whole ``fit`` call as a user times it (validation, warm-up, search);
- ``evals``: evaluations used, against ``max_evals`` for the evaluation-budget rows.

Goals (issue 27): search time at most 10% over the time budget; evaluations at most
one batch over (``srkit.fitness.evaluator.BATCH_SIZE`` coefficient fits).

    python benchmarks/bench_budget.py --out benchmarks/results/budget/budget.jsonl
    python benchmarks/bench_budget.py --quick      # 5 s and 3,000 evaluations only

The ``llm`` rows use the grammar-random proposer (no endpoint is configured here).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _harness import git_state, machine, timed_fit  # noqa: E402

SEARCHERS = ("default", "gp", "mcts", "dsn", "llm")


def child(searcher: str, rows: int, time_budget: float | None, max_evals: int | None) -> dict[str, Any]:
    """One fit in this process; returns the measured row."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 2.0, (rows, 3))
    y = 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2 + 0.3 * np.sin(3 * X[:, 0])
    model, fit_s = timed_fit(searcher, X, y, time_budget=time_budget, max_evals=max_evals, random_state=0)
    res = model.result_
    return {"searcher": res.searcher if searcher != "default" else f"default ({res.searcher})",
            "rows": rows, "time_budget": time_budget, "max_evals": max_evals,
            "search_s": round(res.wall_time, 3), "fit_s": round(fit_s, 3), "evals": res.n_evals,
            "stopped_by": res.stopped_by, "formula": model.best_.expr.format(4)}


def run_child(searcher: str, rows: int, time_budget: float | None, max_evals: int | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", searcher, str(rows), str(time_budget), str(max_evals)]
    limit = 10 * (time_budget or 60) + 120
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    if proc.returncode != 0:
        return {"searcher": searcher, "rows": rows, "time_budget": time_budget, "max_evals": max_evals,
                "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _over(row: dict[str, Any]) -> str:
    if row.get("error"):
        return "error"
    if row["time_budget"]:
        return f"{100 * (row['search_s'] / row['time_budget'] - 1):+.1f}%"
    return f"{row['evals'] - row['max_evals']:+d}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        searcher, rows, tb, me = sys.argv[2:6]
        row = child(searcher, int(rows), None if tb == "None" else float(tb), None if me == "None" else int(me))
        print(json.dumps(row))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/results/budget/budget.jsonl")
    ap.add_argument("--quick", action="store_true", help="5 s and 3,000 evaluations only")
    ap.add_argument("--searchers", default=",".join(SEARCHERS))
    args = ap.parse_args()
    times = (5.0,) if args.quick else (5.0, 30.0, 60.0)
    evals = (3000,) if args.quick else (3000, 30000)
    plan = [(s, n, t, None) for n in (200, 700_000) for t in times for s in args.searchers.split(",")]
    plan += [(s, 200, None, e) for e in evals for s in args.searchers.split(",")]
    host = machine()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{'searcher':<16} {'rows':>8} {'budget':>8} {'search s':>9} {'fit s':>7} {'evals':>8} {'over':>8}  stopped by")
    with out.open("a") as fh:
        for searcher, rows, tb, me in plan:
            commit, dirty = git_state()  # per row: the tree may change during a long run
            row = run_child(searcher, rows, tb, me)
            row.update(commit=commit, dirty=dirty, machine=host, date=time.strftime("%Y-%m-%d"))
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            budget = f"{tb:g} s" if tb else f"{me} ev"
            if row.get("error"):
                print(f"{searcher:<16} {rows:>8} {budget:>8}  error: {row['error']}")
                continue
            print(f"{row['searcher']:<16} {rows:>8} {budget:>8} {row['search_s']:>9.2f} {row['fit_s']:>7.2f} "
                  f"{row['evals']:>8} {_over(row):>8}  {row['stopped_by']}", flush=True)


if __name__ == "__main__":
    main()
