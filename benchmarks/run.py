"""Run srkit searchers and peer tools on benchmark suites x seeds x budget; one JSON line per fit.

Methods: ``srkit`` (the default ``SymbolicRegressor()``), ``srkit-<searcher>`` (any name in
``srkit.search.SEARCHERS``, e.g. ``srkit-gp``), the peers ``gplearn`` and ``operon``
(``benchmarks/peers.py``; ``pip install -e .[bench]``), or your own callable as
``[label=]module:function`` / ``[label=]file.py:function`` (see ``benchmarks/_harness.py``).
Suites: any of ``srkit.problems.suites()``, e.g. ``feynman20`` (the first 20 AI Feynman
equations with 3 or more variables, in table order).

Each fit runs in a fresh child process (srkit's numba kernels and the peers' imports are
warmed up before the clock starts, see ``warmup`` below) with a hard deadline of
``time_budget + grace + 4 * check_timeout`` seconds; past it the child is killed and the row
says ``"timeout"``.  Fits are spread with joblib: ``--backend loky`` (``--workers`` at a time
on this machine) or ``--backend dask --scheduler ADDRESS`` (as many at a time as the cluster
has worker threads; the workers need this checkout at the same path).  The same seed gives
the same data on any backend; with ``--max-evals`` srkit stops on evaluations only and its
results are exactly reproducible.  Rows are appended to ``--out`` and flushed as fits finish;
``--resume`` skips fits already there with status ok or timeout (errors are retried).

    python benchmarks/run.py --methods srkit gplearn operon --suites nguyen feynman20 \\
        --seeds 0 1 2 --time-budget 30 --out benchmarks/results/regression/run.jsonl --workers 2 --resume
    python benchmarks/run.py --methods srkit-gp --problems Nguyen-8 Nguyen-11 --seeds 0 \\
        --max-evals 2000 --out /tmp/tiny.jsonl
    python benchmarks/run.py ... --backend dask --scheduler tcp://127.0.0.1:8786

Fields of a row (null where unknown or not applicable):

- ``method``, ``problem`` (canonical name), ``suite`` (the suite it was run for: the first of
  ``--suites`` that holds it, each problem running once), ``seed``,
  ``time_budget`` (s), ``max_evals`` (srkit methods with ``--max-evals``; else null),
  ``noise`` (SRBench level), ``options`` (``--options``: extra srkit options, or keyword
  arguments of a custom method)
- ``status``: ``"ok"``, ``"timeout"`` (killed at the hard deadline) or ``"error: ..."``
- ``wall``, ``cpu``: seconds of the fit (wall clock, CPU of the child); ``warmup``: seconds of
  work before the clock started (srkit: a one-generation toy fit that loads/compiles its numba
  kernels, about 2 s, which would otherwise eat into the budget; peers: their imports; null
  with ``--no-warmup``); ``check_time``: R^2 and recovery checks; ``elapsed``: the whole child
  as seen by its parent; ``deadline``: the hard limit on ``elapsed``
- ``n_evals``, ``iterations``, ``stopped_by``: srkit's search statistics (null for peers)
- ``expression`` (sympy-readable), ``size`` (srkit: ``Expr.size``; others: sympy node count)
- ``train_r2``, ``test_r2``: R^2 of the expression, evaluated by lambdify on the problem's
  variables (train on the possibly noisy training targets, test on the noiseless test set)
- ``recovered`` (headline rule), ``recovered_exact`` (DSR), ``recovered_srbench``,
  ``numeric_recovery`` (test R^2 > 0.999999): ``srkit.problems.check_recovery`` with
  ``--check-timeout`` seconds per rule (a rule that times out is null), and ``check_status``
  (rule -> "ok" / "gated: ..." / "timeout" / "error: ..."; for a fit killed at its deadline
  ``{"hard_deadline": "killed after N s during the fit|recovery checks"}``)
- ``srkit_version``, ``commit`` (the checkout's short hash when the row was written) and
  ``dirty`` (uncommitted changes to tracked files then), ``host`` (host name), ``machine``
  (CPU model, cores, Python), ``finished`` (UTC time stamp)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402
from _harness import DONE_STATUSES, Task, machine, resolve_method, row_key, run_task, split_method  # noqa: E402

DEFAULT_SUITES = ("nguyen", "feynman20")
_PEER_MODULES = {"gplearn": "gplearn", "operon": "pyoperon"}


def suite_problems(name: str, verbose: bool = True) -> list[str]:
    """Problem names of suite ``name`` (any of ``srkit.problems.suites()``)."""
    from srkit import problems

    chosen = problems.names(name)  # raises ValueError with the known suites
    if verbose and name.lower() == "feynman20":
        print(f"# feynman20 = the first 20 AI Feynman problems with >= 3 variables: {' '.join(chosen)}",
              flush=True)
    return chosen


def select_problems(suites: Sequence[str] | None, names: Sequence[str] | None) -> list[tuple[str, str]]:
    """(suite, problem) pairs: the suites' problems, restricted to ``names`` when given;
    named problems without suites run under their own suite.  Each problem once."""
    from srkit import problems

    wanted = None if not names else [problems.get(n).name for n in names]
    if not suites and wanted:
        return [(problems.get(n).suite, n) for n in dict.fromkeys(wanted)]
    pairs: dict[str, str] = {}
    for s in suites or DEFAULT_SUITES:
        for p in suite_problems(s):
            if (wanted is None or p in wanted) and p not in pairs:
                pairs[p] = s
    if wanted:
        missing = [n for n in wanted if n not in pairs]
        if missing:
            raise ValueError(f"problems {missing} are in none of the suites {list(suites or DEFAULT_SUITES)}")
    return [(s, p) for p, s in pairs.items()]


def check_methods(methods: Sequence[str]) -> None:
    """Fail early for an unknown method or a peer that is not installed."""
    for m in methods:
        if m in _PEER_MODULES and importlib.util.find_spec(_PEER_MODULES[m]) is None:
            raise ValueError(f"peer {m!r} needs the {_PEER_MODULES[m]} package: pip install -e .[bench]")
        resolve_method(*split_method(m))


def build_tasks(
    methods: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    seeds: Sequence[int],
    time_budget: float,
    *,
    max_evals: int | None = None,
    noise: float = 0.0,
    options: dict[str, Any] | None = None,
    check_timeout: float = 15.0,
    grace: float = 30.0,
    warmup: bool = True,
) -> list[Task]:
    """One task per seed x problem x method, methods side by side (so a partial run is balanced)."""
    tasks = []
    for seed in seeds:
        for suite, problem in pairs:
            for m in methods:
                srk = _harness.is_srkit(m)
                label, spec = split_method(m)
                tasks.append(Task(
                    method=label, spec=spec, problem=problem, suite=suite, seed=seed, time_budget=float(time_budget),
                    max_evals=max_evals if srk else None, noise=float(noise),
                    options=dict(options or {}) if _harness.takes_options(m) else {},
                    check_timeout=float(check_timeout), grace=float(grace), warmup=warmup,
                ))
    return tasks


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file (missing file: none; unreadable lines skipped)."""
    p = Path(path)
    if not p.exists():
        return []
    rows = []
    for line in p.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def done_keys(path: str | Path) -> set[tuple[Any, ...]]:
    """Keys of the fits in ``path`` that finished with status ok or timeout."""
    keys = set()
    for row in read_rows(path):
        try:
            if row.get("status") in DONE_STATUSES:
                keys.add(row_key(row))
        except (KeyError, TypeError, ValueError):
            continue
    return keys


def execute(
    tasks: Sequence[Task],
    *,
    backend: str = "loky",
    workers: int = 2,
    scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the tasks with joblib; yield each row as its fit finishes (completion order)."""
    if not tasks:
        return
    import cloudpickle
    from joblib import Parallel, delayed, parallel_config

    # Workers (dask ones above all) need not have benchmarks/ on sys.path: ship the code.
    cloudpickle.register_pickle_by_value(_harness)
    if backend == "loky":
        par = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
        yield from par(delayed(run_task)(t) for t in tasks)
    elif backend == "dask":
        if not scheduler:
            raise ValueError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        from distributed import Client

        with Client(scheduler) as client, parallel_config(backend="dask", client=client):
            par = Parallel(n_jobs=-1, return_as="generator_unordered")
            yield from par(delayed(run_task)(t) for t in tasks)
    else:
        raise ValueError(f"backend must be 'loky' or 'dask', got {backend!r}")


def progress_line(i: int, n: int, row: dict[str, Any]) -> str:
    """One line for a finished fit: R recovered, n numeric only, - neither, T timeout, E error."""
    status = str(row.get("status"))
    flag = "R" if row.get("recovered") else "n" if row.get("numeric_recovery") else "-"
    flag = "T" if status == "timeout" else "E" if status.startswith("error") else flag
    wall = row.get("wall") if row.get("wall") is not None else row.get("elapsed")
    r2 = row.get("test_r2")
    r2s = f"{r2:.6f}" if isinstance(r2, (int, float)) else "   n/a  "
    what = (row.get("expression") or "") if status in ("ok", "timeout") else status
    return (f"[{i}/{n}] {flag} {row['method']:<10} {row['problem']:<11} seed {row['seed']} "
            f"{wall or 0:7.1f}s  R2 {r2s}  {str(what)[:90]}")


def run(
    tasks: Sequence[Task],
    out: str | Path,
    *,
    resume: bool = False,
    backend: str = "loky",
    workers: int = 2,
    scheduler: str | None = None,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """Run ``tasks`` (minus those done in ``out`` with ``resume``), append rows to ``out``;
    returns the new rows."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    todo = list(tasks)
    if resume:
        done = done_keys(out)
        todo = [t for t in tasks if t.key() not in done]
        if not quiet:
            print(f"# resume: {len(tasks) - len(todo)} of {len(tasks)} fits already in {out}", flush=True)
    elif out.exists() and out.stat().st_size and not quiet:
        print(f"# appending to {out} (rows there are kept; summaries use the latest row per fit)", flush=True)
    rows = []
    with out.open("a") as fh:
        for i, row in enumerate(execute(todo, backend=backend, workers=workers, scheduler=scheduler), 1):
            fh.write(json.dumps(row, allow_nan=False) + "\n")
            fh.flush()
            rows.append(row)
            if not quiet:
                print(progress_line(i, len(todo), row), flush=True)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--methods", nargs="+", default=["srkit", "gplearn", "operon"],
                    help="srkit, srkit-<searcher>, gplearn, operon, [label=]module:function")
    ap.add_argument("--suites", nargs="+", default=None, help=f"default: {' '.join(DEFAULT_SUITES)} (unless --problems)")
    ap.add_argument("--problems", nargs="+", default=None, help="only these problems (of --suites, if given)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--time-budget", type=float, default=30.0, help="seconds per fit (default 30)")
    ap.add_argument("--max-evals", type=int, default=None,
                    help="srkit budget in evaluations instead of time (exactly reproducible)")
    ap.add_argument("--noise", type=float, default=0.0, help="SRBench noise level on the training targets")
    ap.add_argument("--options", default="{}",
                    help='JSON of extra SymbolicRegressor options for srkit methods, e.g. '
                         '{"searcher_options": {...}, "fitter": {...}, "max_size": 40}; keyword '
                         'arguments of a custom module:function method; never given to the peers')
    ap.add_argument("--units", action="store_true",
                    help="srkit methods get the problems' physical units (AI Feynman; fit(X_units=, y_units=)); "
                         "rows record it in options and summaries show the method as METHOD+units")
    ap.add_argument("--check-timeout", type=float, default=15.0, help="seconds per recovery rule")
    ap.add_argument("--grace", type=float, default=30.0, help="hard deadline = budget + grace + 4 x check timeout")
    ap.add_argument("--no-warmup", action="store_true",
                    help="charge srkit's numba compilation and the peers' imports to the fit time")
    ap.add_argument("--out", default="benchmarks/results/regression/run.jsonl")
    ap.add_argument("--resume", action="store_true", help="skip fits already in --out (status ok or timeout)")
    ap.add_argument("--backend", choices=("loky", "dask"), default="loky")
    ap.add_argument("--workers", type=int, default=2, help="fits at a time (loky)")
    ap.add_argument("--scheduler", default=None, help="dask scheduler address (--backend dask)")
    ap.add_argument("--plot", default=None, help="also write the summary plot (PNG) here")
    ap.add_argument("--by-problem", action="store_true", help="also print the per-problem table")
    return ap.parse_args(argv)


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """While inside: SIGTERM ends the run like Ctrl-C does (workers and fits cleaned up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with _exit_on_sigterm():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    import srkit

    from summarize import latest, plot_recovery, summary_tables

    check_methods(args.methods)
    pairs = select_problems(args.suites, args.problems)
    tasks = build_tasks(
        args.methods, pairs, args.seeds, args.time_budget, max_evals=args.max_evals, noise=args.noise,
        options={**json.loads(args.options), **({"units": True} if args.units else {})},
        check_timeout=args.check_timeout, grace=args.grace,
        warmup=not args.no_warmup,
    )
    budget = f"{args.time_budget:g} s" + (f" (srkit: {args.max_evals} evaluations)" if args.max_evals else "")
    where = f"{args.workers} at a time" if args.backend == "loky" else f"dask at {args.scheduler}"
    print(f"# {' '.join(args.methods)} (srkit {srkit.__version__}) on {len(pairs)} problems x {len(args.seeds)} "
          f"seeds = {len(tasks)} fits, {budget} per fit, {where}; {date.today()}; {machine()}", flush=True)
    run(tasks, args.out, resume=args.resume, backend=args.backend, workers=args.workers, scheduler=args.scheduler)
    wanted = {t.key() for t in tasks}
    rows = [r for r in latest(read_rows(args.out)) if row_key(r) in wanted]
    print()
    print(summary_tables(rows, by_problem=args.by_problem))
    if args.plot:
        plot_recovery(rows, args.plot)
        print(f"\nplot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
