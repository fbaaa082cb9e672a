"""Evaluator call overhead: ``Evaluator.loss`` and ``Evaluator.fit`` per second, and GP
evaluations per second, for this checkout and for another revision in the same run.

``interpret`` itself is timed by bench_evaluator.py; this times what the Evaluator adds
around it (budget metering, caching, bookkeeping), where it matters most: small data,
on which one evaluation takes about a microsecond.  Each arm runs in its own process
with ``PYTHONPATH`` set to its checkout; arms alternate, and each cell is the best of
``--repeats`` runs.

    git worktree add /tmp/srkit-base af9514c
    python benchmarks/bench_evaluator_calls.py --base /tmp/srkit-base --repeats 3 \\
        --out benchmarks/results/evaluator/evaluator_calls.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import git_state, machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def measure() -> dict[str, float]:
    """One arm's numbers (runs in the child process)."""
    import numpy as np

    import srkit
    from srkit.core import as_dataset
    from srkit.fitness import Evaluator

    out: dict[str, float] = {}
    rng = np.random.default_rng(0)
    for n in (10, 100, 1000):
        X = rng.uniform(0.5, 2.0, (n, 3))
        ev = Evaluator(as_dataset(X, 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2))
        expr = srkit.parse("2.5 * x0 * x1 - x2 * x2 + sin(x0)", ["x0", "x1", "x2"])
        ev.loss(expr)  # compiles the kernel (or loads it from numba's cache) outside the clock
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            for _ in range(200):
                ev.loss(expr)
            reps += 200
        out[f"loss_per_s_{n}"] = reps / (time.perf_counter() - start)
    X = rng.uniform(0.5, 2.0, (100, 3))
    data = as_dataset(X, 2.5 * X[:, 0] * X[:, 1] - X[:, 2] ** 2)
    forms = [srkit.parse(f"1.0 * x0 * x1 + 1.0 * x2 ** {k} + 1.0", ["x0", "x1", "x2"]) for k in range(1, 4)]
    fits, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        ev = Evaluator(data)  # a fresh cache: every fit is computed
        for e in forms:
            ev.fit(e)
        fits += len(forms)
    out["fits_per_s_100"] = fits / (time.perf_counter() - start)
    X = rng.uniform(-1, 1, (30, 1))
    model = srkit.SymbolicRegressor(searcher="gp", time_budget=None, max_iterations=30, random_state=0,
                                    operators=["add", "sub", "mul", "div", "sin"])
    start = time.perf_counter()
    model.fit(X, np.sin(X[:, 0]) * X[:, 0] + X[:, 0] ** 3)
    out["gp_evals_per_s_30"] = model.result_.n_evals / model.result_.wall_time
    out["gp_evals_30"] = model.result_.n_evals
    return out


def run_arm(path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(path)}
    proc = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                          check=True, cwd=path)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(measure()))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="checkout of the revision to compare with")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/evaluator/evaluator_calls.json")
    args = ap.parse_args()
    arms = {"base": Path(args.base).resolve(), "this": ROOT}
    best: dict[str, dict[str, float]] = {name: {} for name in arms}
    for _ in range(args.repeats):
        for name, path in arms.items():
            for key, value in run_arm(path).items():
                if key == "gp_evals_30":
                    best[name][key] = value
                else:
                    best[name][key] = max(best[name].get(key, 0.0), value)
    base_commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                 cwd=arms["base"]).stdout.strip()
    commit, dirty = git_state()
    print(f"{'measure':<22} {'base ' + base_commit:>14} {'this ' + commit:>14} {'this/base':>10}")
    for key in best["this"]:
        b, t = best["base"].get(key, float("nan")), best["this"][key]
        print(f"{key:<22} {b:>14,.0f} {t:>14,.0f} {t / b:>10.2f}")
    record = {"base": base_commit, "commit": commit, "dirty": dirty, "machine": machine(),
              "date": time.strftime("%Y-%m-%d"), "repeats": args.repeats, "results": best}
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
