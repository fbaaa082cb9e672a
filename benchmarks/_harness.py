"""Shared machinery of the benchmark scripts: one fit in a child process with a hard deadline.

A :class:`Task` names one fit (method, problem, seed, budget, noise).  :func:`run_task`
starts a fresh Python child (``python _harness.py --child``), hands it the task as JSON on
stdin and waits at most ``task.deadline`` seconds; past that the child's whole process group
is killed and the row says ``status: "timeout"`` with whatever the child had reported (after
the fit it reports the expression and times before the recovery checks start).  The child
samples the data (``BenchmarkProblem.sample``), runs the method, computes train/test R^2 from
the expression (``srkit.problems.recovery``'s parser and evaluator) and runs
``check_recovery`` with ``check_timeout`` seconds per rule.  ``run_task`` only needs the
standard library, so it runs inside any joblib worker (loky, dask).

Methods (:func:`resolve_method`):

- ``srkit``: the default ``srkit.SymbolicRegressor()``; ``srkit-<name>``: searcher ``<name>``
  from ``srkit.search.SEARCHERS``.  With ``max_evals`` set, srkit stops on evaluations only
  (``time_budget=None``), so a run is exactly reproducible; the time budget then only sets
  the hard deadline.
- ``gplearn``, ``operon``: the peers of ``benchmarks/peers.py``.
- Hook for your own (or test-only) methods: ``[label=]module:function`` or
  ``[label=]path/to/file.py:function`` (rows name it by its label), a callable ``fn(X, y, names, time_budget, seed)``
  returning the formula as sympy-readable text, or a dict with ``expression`` and optionally
  ``size``, ``n_evals``, ``iterations``, ``stopped_by``; the task's ``options`` are passed to
  it as keyword arguments.  It is imported in the child.

Row fields: see ``ROW_FIELDS`` (documented in ``benchmarks/run.py``).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
PEER_NAMES = ("gplearn", "operon")
SRKIT_PREFIX = "srkit-"
#: Statuses that ``--resume`` counts as done (errors are retried).
DONE_STATUSES = ("ok", "timeout")
#: Upper bound of ``check_recovery``'s run time in units of ``check_timeout``
#: (parsing/evaluation, then the exact, headline and SRBench rules, one limit each).
CHECK_PHASES = 4

#: Every field of a result row, in order.
ROW_FIELDS: tuple[str, ...] = (
    "method", "problem", "suite", "seed", "time_budget", "max_evals", "noise", "options",
    "status", "wall", "cpu", "warmup", "check_time", "elapsed", "deadline",
    "n_evals", "iterations", "stopped_by", "expression", "size", "train_r2", "test_r2",
    "recovered", "recovered_exact", "recovered_srbench", "numeric_recovery", "check_status",
    "srkit_version", "commit", "dirty", "host", "machine", "finished",
)


@dataclass(frozen=True)
class Task:
    """One fit: a method on a problem with a seed and a budget."""

    method: str
    problem: str
    suite: str
    seed: int
    time_budget: float
    max_evals: int | None = None
    noise: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    check_timeout: float = 15.0
    grace: float = 30.0
    warmup: bool = True
    #: where a custom method lives (``module:function`` or ``/abs/file.py:function``)
    spec: str = ""

    @property
    def deadline(self) -> float:
        """Seconds the child may run in all: budget + grace + the recovery checks."""
        return self.time_budget + self.grace + CHECK_PHASES * self.check_timeout

    def key(self) -> tuple[Any, ...]:
        """What ``--resume`` matches on: method, problem, seed, budget, noise (and options)."""
        return row_key(asdict(self))


def row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """The identity of a fit in a row or task dict (suite and timings excluded)."""
    max_evals = row.get("max_evals")
    return (
        row["method"], row["problem"], int(row["seed"]), float(row["time_budget"]),
        None if max_evals is None else int(max_evals), float(row.get("noise") or 0.0),
        json.dumps(row.get("options") or {}, sort_keys=True),
    )


# -- methods ------------------------------------------------------------------------------
def is_srkit(method: str) -> bool:
    """True for ``srkit`` and ``srkit-<searcher>``."""
    return method == "srkit" or method.startswith(SRKIT_PREFIX)


def takes_options(method: str) -> bool:
    """True for the methods that get ``options``: srkit ones and custom callables (not peers)."""
    return method not in PEER_NAMES


def split_method(method: str) -> tuple[str, str]:
    """``(label, spec)``: a custom ``[label=]module:function`` method gets its label (the
    method name in rows; the spec itself when unlabelled) and its spec with a ``.py`` path
    made absolute; any other method is ``(method, "")``.

    >>> split_method("srkit-gp")
    ('srkit-gp', '')
    >>> split_method("mine=mypkg.methods:fit")
    ('mine', 'mypkg.methods:fit')
    """
    if is_srkit(method) or method in PEER_NAMES or ":" not in method:
        return method, ""
    label, sep, spec = method.partition("=")
    if not sep:
        label, spec = method, method
    where, _, name = spec.rpartition(":")
    if where.endswith(".py"):
        spec = f"{Path(where).resolve()}:{name}"
    return label, spec


def _load_callable(spec: str) -> Callable[..., Any]:
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise ValueError(f"method {spec!r}: expected module:function or file.py:function")
    if where.endswith(".py"):
        path = Path(where)
        mod_name = f"_srkit_bench_{path.stem}_{abs(hash(str(path.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ValueError(f"method {spec!r}: cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"method {spec!r}: {name!r} is not a callable of {where}")
    return fn


def resolve_method(method: str, spec: str = "") -> Callable[..., Any] | None:
    """Check that ``method`` exists; the callable for a peer or custom method, None for srkit.

    ``spec`` (from :func:`split_method`) locates a custom method whose name is a label.
    Raises ValueError for an unknown method.
    """
    if spec:
        return _load_callable(spec)
    if method == "srkit":
        return None
    if method.startswith(SRKIT_PREFIX):
        from srkit.search import SEARCHERS

        name = method[len(SRKIT_PREFIX):]
        if name not in SEARCHERS:
            raise ValueError(f"unknown srkit searcher {name!r} in {method!r}; known: {', '.join(SEARCHERS)}")
        return None
    if method in PEER_NAMES:
        if str(HERE) not in sys.path:
            sys.path.insert(0, str(HERE))
        from peers import PEERS

        return PEERS[method]
    if ":" in method:
        return _load_callable(split_method(method)[1])
    raise ValueError(
        f"unknown method {method!r}; use srkit, srkit-<searcher>, {', '.join(PEER_NAMES)} "
        "or [label=]module:function"
    )


def _fit_srkit(task: Task, X: Any, y: Any, names: list[str]) -> dict[str, Any]:
    import srkit

    options = dict(task.options)
    searcher_options = options.pop("searcher_options", {})
    units: dict[str, Any] = {}
    if options.pop("units", False):  # run.py --units: the problem's units go to fit()
        from srkit.problems import get

        known = get(task.problem).units
        if known is None:
            raise ValueError(f"--units: problem {task.problem} has no units (only the AI Feynman problems do, "
                             "with the shared units table present)")
        units = {"X_units": list(known[0]), "y_units": known[1]}
    if "fitter" in options:
        options["fitter"] = srkit.CoefficientFitter(**options["fitter"])
    if task.method.startswith(SRKIT_PREFIX):
        options["searcher"] = task.method[len(SRKIT_PREFIX):]
    if searcher_options:  # "srkit" alone keeps SymbolicRegressor's own default searcher
        from srkit.search import make_searcher

        name = options.get("searcher", srkit.SymbolicRegressor().searcher)
        options["searcher"] = make_searcher(name, **searcher_options)
    if task.max_evals is not None:
        options.update(time_budget=None, max_evals=task.max_evals)
    else:
        options.setdefault("time_budget", task.time_budget)
    model = srkit.SymbolicRegressor(random_state=task.seed, **options)
    model.fit(X, y, feature_names=names, **units)
    result = model.result_
    return {
        "expression": str(model.best_.expr), "size": int(model.best_.expr.size),
        "n_evals": int(result.n_evals), "iterations": int(result.iterations),
        "stopped_by": result.stopped_by,
    }


# -- the child ----------------------------------------------------------------------------
def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sympy_size(text: str, problem: Any, timeout: float) -> int | None:
    """Number of nodes of the parsed expression (for methods that do not report a size)."""
    import sympy

    from srkit.problems.recovery import call_with_timeout, parse_expression

    try:
        expr = call_with_timeout(lambda: parse_expression(text, problem), timeout)
        return sum(1 for _ in sympy.preorder_traversal(expr))
    except BaseException as exc:  # a timeout or a formula that does not parse
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return None


def _r2(text: str, problem: Any, X: Any, y: Any, timeout: float) -> float | None:
    """R^2 of the expression on (X, y), evaluated by lambdify on the problem's variables."""
    from srkit.problems.recovery import _evaluate, call_with_timeout, parse_expression, r2_score

    try:
        pred = call_with_timeout(lambda: _evaluate(parse_expression(text, problem), problem.symbols, X), timeout)
        return _finite(float(r2_score(y, pred)))
    except BaseException as exc:  # a timeout or a formula that does not parse/evaluate
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return None


_PEER_IMPORTS = {"gplearn": "gplearn.genetic", "operon": "pyoperon.sklearn"}


def warm_up(method: str) -> float:
    """Work done before the clock starts; returns its seconds.  srkit: a one-generation fit
    on toy data, so that loading/compiling the numba kernels is not charged to the budget;
    peers: importing them."""
    t0 = time.perf_counter()
    if is_srkit(method):
        import numpy as np

        import srkit

        X = np.linspace(0.5, 2.0, 16)[:, None]
        srkit.SymbolicRegressor(time_budget=None, max_iterations=1, random_state=0).fit(X, X[:, 0] ** 2 + 1)
        if method == SRKIT_PREFIX + "dsn":
            import torch  # noqa: F401 - the dsn searcher trains in torch (import: 2-6 s)
    elif method in _PEER_IMPORTS:
        importlib.import_module(_PEER_IMPORTS[method])
    return round(time.perf_counter() - t0, 3)


def fit_and_check(task: Task, report: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run one fit and the recovery checks in this process; ``report`` gets the partial row
    right after the fit.  Returns the result fields of a row."""
    from srkit import problems
    from srkit.problems.recovery import check_recovery

    problem = problems.get(task.problem)
    names = list(problem.variables)
    X, y = problem.sample("train", random_state=task.seed, noise=task.noise)
    X_test, y_test = problem.sample("test", random_state=task.seed)
    fn = None if is_srkit(task.method) else resolve_method(task.method, task.spec)
    warm = warm_up(task.method) if task.warmup else None
    t0, c0 = time.perf_counter(), time.process_time()
    if fn is None:
        out = _fit_srkit(task, X, y, names)
    else:
        found = fn(X, y, names, task.time_budget, task.seed, **task.options)
        out = dict(found) if isinstance(found, dict) else {"expression": str(found)}
    out.update(wall=round(time.perf_counter() - t0, 3), cpu=round(time.process_time() - c0, 3), warmup=warm)
    out["expression"] = str(out["expression"])
    report(dict(out))
    t1 = time.perf_counter()
    if out.get("size") is None:
        out["size"] = _sympy_size(out["expression"], problem, task.check_timeout)
    out["train_r2"] = _r2(out["expression"], problem, X, y, task.check_timeout)
    rec = check_recovery(out["expression"], problem, X_test, y_test, timeout=task.check_timeout).to_dict()
    out.update(rec)
    out["check_time"] = round(time.perf_counter() - t1, 3)
    out["status"] = "ok"
    return out


def _watch_parent(period: float = 0.5) -> None:
    """Exit this child when the process that started it is gone (no orphaned fits)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def child_main() -> int:
    """Entry of the child process: task JSON on stdin, JSON lines on the original stdout.

    Anything the method prints goes to stderr, so stdout carries only
    ``{"event": "fitted", ...}`` and ``{"event": "row", ...}``.
    """
    _watch_parent()
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(HERE))

    def emit(event: str, payload: dict[str, Any]) -> None:
        clean = {k: _finite(v) for k, v in payload.items()}
        proto.write(json.dumps({"event": event, **clean}) + "\n")
        proto.flush()

    task = Task(**json.loads(sys.stdin.read()))
    try:
        out = fit_and_check(task, lambda partial: emit("fitted", partial))
    except Exception as exc:
        tb = traceback.format_exc(limit=-8)
        sys.stderr.write(tb)
        out = {"status": f"error: {type(exc).__name__}: {exc}"[:500], "traceback": tb[-3000:]}
    emit("row", out)
    return 0


# -- the parent side ----------------------------------------------------------------------
def machine() -> str:
    """CPU model, core count and Python version of this host."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def timed_fit(searcher: str, X: Any, y: Any, **options: Any) -> tuple[Any, float]:
    """``SymbolicRegressor(searcher=..., **options).fit(X, y)`` and the seconds the ``fit``
    call took; ``searcher="default"`` names none (whatever the default is)."""
    import srkit

    if searcher != "default":
        options["searcher"] = searcher
    model = srkit.SymbolicRegressor(**options)
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def git_state() -> tuple[str, bool]:
    """The checked-out commit (short hash) and whether the tree has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=root, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                    text=True, cwd=root, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True
    return commit, dirty


def srkit_version() -> str:
    """``srkit.__version__`` (imported once per process)."""
    try:
        import srkit

        return str(srkit.__version__)
    except Exception:  # pragma: no cover - a broken install still gets a row
        return "unknown"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _events(stdout: bytes) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    for line in stdout.decode(errors="replace").splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(msg, dict) and "event" in msg:
            events[msg.pop("event")] = msg
    return events


def run_task(task: Task) -> dict[str, Any]:
    """Run ``task`` in a fresh child process with a hard deadline; return its row."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_harness.py"), "--child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, env=env, cwd=str(HERE.parent),
    )
    payload: bytes | None = json.dumps(asdict(task)).encode()
    owner = os.getppid()  # the process that started this worker; gone = the run was stopped
    timed_out = False
    try:
        while True:
            left = task.deadline - (time.perf_counter() - start)
            try:
                stdout, stderr = proc.communicate(payload, timeout=max(0.01, min(1.0, left)))
                break
            except subprocess.TimeoutExpired:
                payload = None  # sent; a retry must not pass it again
                if os.getppid() != owner:
                    raise RuntimeError("the benchmark run that started this fit has ended") from None
                if left <= 1.0:
                    timed_out = True
                    _kill_group(proc)
                    stdout, stderr = proc.communicate()
                    break
    finally:
        if proc.poll() is None:  # e.g. KeyboardInterrupt while waiting
            _kill_group(proc)
            proc.wait()
    elapsed = time.perf_counter() - start
    events = _events(stdout)
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row.update(
        method=task.method, problem=task.problem, suite=task.suite, seed=task.seed,
        time_budget=task.time_budget, max_evals=task.max_evals, noise=task.noise, options=task.options,
        elapsed=round(elapsed, 3), deadline=task.deadline,
    )
    row.update(events.get("fitted", {}))
    if "row" in events:
        row.update(events["row"])
    elif timed_out:
        row["status"] = "timeout"
        phase = "recovery checks" if "fitted" in events else "fit"
        row["check_status"] = {"hard_deadline": f"killed after {task.deadline:g} s during the {phase}"}
    else:
        tail = stderr.decode(errors="replace").strip()[-400:]
        row["status"] = f"error: child exited with code {proc.returncode}: {tail}"
    commit, dirty = git_state()
    row.update(
        srkit_version=srkit_version(), commit=commit, dirty=dirty, host=socket.gethostname(), machine=machine(),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    return {k: _finite(row.get(k)) for k in ROW_FIELDS} | {
        k: v for k, v in row.items() if k not in ROW_FIELDS
    }


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    sys.exit(child_main())
