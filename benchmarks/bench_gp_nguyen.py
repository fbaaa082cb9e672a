"""Recovery of the default SymbolicRegressor on Nguyen-1..12 and Constant-1.

Each fit runs in its own process (one core each, ``--workers`` at a time) with the
default ``SymbolicRegressor()`` and a time budget; the chosen formula is checked
with the benchmark recovery rules of ``srkit.problems.recovery`` (headline,
exact DSR, SRBench, numeric).  Prints one table per problem and a summary, and
writes one JSON line per fit.

    python benchmarks/bench_gp_nguyen.py --time-budget 60 --seeds 0 1 2
    python benchmarks/bench_gp_nguyen.py --time-budget 10 --problems Nguyen-1 Nguyen-5 --seeds 0
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

DEFAULT_PROBLEMS = [f"Nguyen-{i}" for i in range(1, 13)] + ["Constant-1"]


def run_one(task: tuple[str, int, float, dict]) -> dict:
    name, seed, budget, options = task
    import numpy as np

    import srkit
    from srkit import problems
    from srkit.problems.recovery import check_recovery

    problem = problems.get(name)
    X, y = problem.sample("train", random_state=seed)
    X_test, y_test = problem.sample("test", random_state=seed)
    model = srkit.SymbolicRegressor(time_budget=budget, random_state=seed, **options)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(X, y, feature_names=list(problem.variables))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    expr = model.best_.expr
    report = check_recovery(str(expr), problem, X_test, y_test, timeout=15.0)
    coef_ok = None
    if name == "Constant-1":  # every coefficient within 1e-6 relative of 3.39, 2.12, 1.78
        coef_ok = _constant1_coefficients_ok(model.sympy())
    return {
        "problem": name, "seed": seed, "time_budget": budget, "wall": round(wall, 2), "cpu": round(cpu, 2),
        "n_evals": model.result_.n_evals, "iterations": model.result_.iterations,
        "stopped_by": model.result_.stopped_by, "expression": str(expr), "size": expr.size,
        "train_loss": model.best_.loss, "test_r2": report.test_r2,
        "recovered": report.recovered, "recovered_exact": report.recovered_exact,
        "recovered_srbench": report.recovered_srbench, "numeric_recovery": report.numeric_recovery,
        "constant1_coefficients_ok": coef_ok, "check_status": report.check_status,
    }


def _constant1_coefficients_ok(sym) -> bool:  # type: ignore[no-untyped-def]
    import sympy

    x1 = [s for s in sym.free_symbols if s.name == "x1"]
    if len(x1) != 1:
        return False
    poly = sympy.Poly(sympy.expand(sym), x1[0])
    want = {3: 3.39, 2: 2.12, 1: 1.78}
    got = {m[0]: float(c) for m, c in zip(poly.monoms(), poly.coeffs())}
    if set(k for k, v in got.items() if abs(v) > 1e-9) != set(want):
        return False
    return all(abs(got[k] - v) <= 1e-6 * abs(v) for k, v in want.items())


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time-budget", type=float, default=60.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--problems", nargs="+", default=DEFAULT_PROBLEMS)
    ap.add_argument("--workers", type=int, default=2, help="fits at a time, one process each")
    ap.add_argument("--options", default="{}", help="JSON of extra SymbolicRegressor options")
    ap.add_argument("--out", default="benchmarks/results/gp_nguyen.jsonl")
    args = ap.parse_args(argv)
    options = json.loads(args.options)
    tasks = [(p, s, args.time_budget, options) for p in args.problems for s in args.seeds]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    import srkit

    print(f"# srkit {srkit.__version__} GP on {len(args.problems)} problems x {len(args.seeds)} seeds, "
          f"{args.time_budget:g} s per fit, {args.workers} at a time; {date.today()}; {machine()}")
    rows = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool, open(args.out, "w") as out:
        for row in pool.map(run_one, tasks):
            rows.append(row)
            out.write(json.dumps(row) + "\n")
            out.flush()
            flag = "R" if row["recovered"] else ("n" if row["numeric_recovery"] else "-")
            print(f"{flag} {row['problem']:<11} seed {row['seed']}  {row['wall']:6.1f}s  "
                  f"R2 {row['test_r2']:.6f}  {row['expression'][:90]}", flush=True)
    print()
    print("| problem | recovered (headline) | exact (DSR) | SRBench | numeric | median time (s) |")
    print("|---|---|---|---|---|---|")
    total = {"recovered": 0, "recovered_exact": 0, "recovered_srbench": 0, "numeric_recovery": 0}
    for name in args.problems:
        mine = [r for r in rows if r["problem"] == name]
        counts = {k: sum(bool(r[k]) for r in mine) for k in total}
        for k in total:
            total[k] += counts[k]
        wall = sorted(r["wall"] for r in mine)[len(mine) // 2]
        extra = ""
        if name == "Constant-1":
            extra = f" (coefficients within 1e-6: {sum(bool(r['constant1_coefficients_ok']) for r in mine)}/{len(mine)})"
        print(f"| {name}{extra} | {counts['recovered']}/{len(mine)} | {counts['recovered_exact']}/{len(mine)} | "
              f"{counts['recovered_srbench']}/{len(mine)} | {counts['numeric_recovery']}/{len(mine)} | {wall:.1f} |")
    n = len(rows)
    print(f"| **all** | {total['recovered']}/{n} ({100 * total['recovered'] / n:.0f}%) | "
          f"{total['recovered_exact']}/{n} | {total['recovered_srbench']}/{n} | {total['numeric_recovery']}/{n} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
