"""Coefficient fits with BLAS on all cores against one thread (``one_blas_thread``).

Levenberg-Marquardt takes an SVD of its Jacobian at every step: a matrix of
(rows x coefficients), 1,000 x 15 for a formula read off a dsn network.  OpenBLAS
spreads such small problems over every core, which costs more than it saves.
This times ``Evaluator.fit`` of a few typical formulas both ways in one process,
interleaved, and prints medians twice: on an otherwise idle machine, then while a
spinning child process keeps one core busy, as a second fit, a notebook or a parallel
worker would.  Run it with nothing else on the machine, and without ``OPENBLAS_NUM_THREADS``
set (that would make both columns single-threaded).

    python benchmarks/bench_blas_threads.py --repeats 15 --out benchmarks/results/fitter/blas_threads.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import machine  # noqa: E402

# (problem, rows, formula): a dsn extraction (15 coefficients), a mid-size gp formula,
# a small one
CASES = [
    ("I.18.12", 1000, "-2.1e-05 * ((r - 0.178*F + 0.0578*theta - 3.73) * (r + 1.5*F + 0.3*theta - 2.0)"
                      " * sin(0.002*r - 0.001*F - 0.997*theta - 3.1) + 0.5*sin(0.3*theta + 0.1)) + 0.2"),
    ("I.13.4", 1000, "1.2*m*(0.9*u*u + 1.1*v*v + 0.8*w*w) + 0.1*exp(0.2*m) + 0.3"),
    ("I.12.2", 10000, "0.9*q1*q2/(1.1*epsilon*r**2.1)"),
]


def main() -> None:
    import os

    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        sys.exit("unset OPENBLAS_NUM_THREADS and OMP_NUM_THREADS: they make both columns single-threaded")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    results = {"machine": machine()}
    for busy in (False, True):
        results["busy" if busy else "idle"] = measure(args.repeats, busy)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


def measure(repeats: int, busy: bool) -> dict:
    """Median fit times both ways; ``busy``: with one core kept busy by another process."""
    import subprocess

    from threadpoolctl import threadpool_info

    from srkit import problems
    from srkit.core import as_dataset
    from srkit.core.builtins import DEFAULT_OPERATORS, default_registry
    from srkit.core.parse import parse
    from srkit.fitness import Evaluator
    from srkit.fitness.parallel import one_blas_thread

    blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    rows = []
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    print(f"\n{'one core busy' if busy else 'idle'}: BLAS threads by default {blas}; {machine()}")
    print(f"{'problem':10} {'rows':>6} {'coefs':>5} {'default ms':>11} {'one thread ms':>14} {'speed-up':>9}")
    for name, n, text in CASES:
        problem = problems.get(name)
        X, y = problem.sample("train", random_state=0)
        data = as_dataset(X[:n], y[:n], feature_names=list(problem.variables))
        expr = parse(text, default_registry().operator_set(DEFAULT_OPERATORS, data.feature_names))
        base = Evaluator(data)
        fitter = replace(base.fitter, n_restarts=0)
        Evaluator(data, base.loss_fn, fitter=fitter).fit(expr)  # compile the kernel once
        times: dict[str, list[float]] = {"default": [], "one": []}
        losses = {}
        for _ in range(repeats):
            for mode in ("default", "one"):
                ev = Evaluator(data, base.loss_fn, fitter=fitter)  # fresh: no fit cache
                t = time.perf_counter()
                if mode == "one":
                    with one_blas_thread():
                        _, loss = ev.fit(expr)
                else:
                    _, loss = ev.fit(expr)
                times[mode].append(time.perf_counter() - t)
                losses[mode] = loss
        d, o = (statistics.median(times[m]) * 1e3 for m in ("default", "one"))
        row = {"problem": name, "rows": n, "coefs": len(expr.coefs), "default_ms": round(d, 2),
               "one_thread_ms": round(o, 2), "speedup": round(d / o, 2),
               "same_loss": bool(np.isclose(losses["default"], losses["one"], rtol=1e-9, atol=0))}
        rows.append(row)
        print(f"{name:10} {n:6d} {row['coefs']:5d} {d:11.2f} {o:14.2f} {d / o:8.2f}x")
    if spinner is not None:
        spinner.kill()
        spinner.wait()
    return {"blas_threads": blas, "rows": rows}


if __name__ == "__main__":
    main()
