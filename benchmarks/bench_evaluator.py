"""Evaluator speed: node-evaluations per second of srkit's interpreter and its peers.

What it measures
----------------
Throughput in *node-evaluations per second*: ``nodes x points x repetitions``
divided by the CPU seconds (``time.process_time``) and, separately, by the wall
seconds (``time.perf_counter``) one timed block took.  Each cell is the best of
several timed blocks; a block repeats the workload enough times to last about
0.25 s (``--quick``: 0.05 s).  The garbage collector is off while a block runs
(as in ``timeit``).  Everything is single-threaded: OMP/MKL/OPENBLAS thread
counts are set to 1 before numpy is imported and Operon's batch call gets
``nthread=1``.

Workloads (data: 3 features drawn uniformly from [0.5, 2], seed 0):

- ``a``: one fixed 20-node formula with + - * / sin exp, on 1,000 and on 100,000
  points (plus a 10-point run that shows the fixed per-node cost);
- ``b``: a population of 1,000 random expressions (10-30 nodes, drawn by the
  search floor's generator with ``numpy.random.default_rng(1)`` over
  add/sub/mul/div/sin/cos/exp/log, three variables and coefficients; runs before
  that generator drew another population of the same sizes and operator mix)
  scored one after another on 1,000 points;
- ``c``: one 21-node formula on 10,000 points, the setting of the peer table in
  ``/work/shared/briefs/benchmarks.md`` ("Evaluator speed of the peers"); the
  brief does not name its formula, so the one here is our own choice.

Evaluators, measured in the same run on the same data:

1. ``srkit``: :func:`srkit.fitness.interpreter.interpret` (float64);
2. ``numpy recursive``: the plain baseline written below, a recursion over the
   prefix arrays that calls one numpy function per node and allocates a new
   array for every result (float64);
3. ``operon``: pyoperon's C++ interpreter (this build is float32), one tree per
   ``pyoperon.Evaluate`` call, and a batch per ``pyoperon.EvaluateTrees`` call
   (100 copies of the tree for ``a``/``c``, the whole population for ``b``);
   trees are built node by node from srkit's prefix arrays (Operon's postfix
   order is srkit's prefix order reversed), so node counts match exactly;
4. ``gplearn``: ``gplearn._program._Program.execute`` on programs built from the
   same prefix arrays; gplearn's own add/sub/mul/sin/cos, and plain (not
   protected) div/log plus exp, so that results can be compared.

Before timing, every evaluator's output is checked against srkit's ``interpret``
(``rtol=1e-6`` for float64, ``1e-4`` for Operon's float32; nan/inf must match).

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_evaluator.py            # full, about 1-2 minutes
    .venv/bin/python benchmarks/bench_evaluator.py --quick    # smoke test, a few seconds

It prints the machine, versions and date, the agreement checks and a markdown
table, and writes every number to ``--out`` (default
``benchmarks/results/evaluator/evaluator.json``).  The machine may be shared; the load
average at start is recorded, so quote numbers only from a quiet machine and
compare evaluators only within one run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from srkit.core.builtins import default_registry  # noqa: E402
from srkit.core.expr import Expr  # noqa: E402
from srkit.core.operators import COEF, VAR  # noqa: E402
from srkit.core.parse import parse  # noqa: E402
from srkit.fitness import kernel  # noqa: E402
from srkit.fitness.interpreter import interpret, op_table  # noqa: E402
from srkit.search.floor.random_formulas import random_expr  # noqa: E402


def kernel_batch_args(exprs: list[Expr], rows: np.ndarray) -> tuple | None:
    """Concatenated prefix programs for ``kernel.run_kernel_batch`` (one operator set)."""
    table = op_table(exprs[0].opset)
    if table.kernel is None or any(e.opset is not exprs[0].opset for e in exprs):
        return None
    codes = np.concatenate([e.codes for e in exprs]).astype(np.int64)
    args = np.concatenate([e.args for e in exprs]).astype(np.int64)
    coefs = np.concatenate([e.coefs for e in exprs]).astype(np.float64)
    starts = np.cumsum([0] + [e.size for e in exprs]).astype(np.int64)
    coef_starts = np.cumsum([0] + [e.n_coefs for e in exprs]).astype(np.int64)
    return (codes, args, coefs, starts, coef_starts, table.kernel[0], table.kernel[1],
            table.arity_array, rows)

try:
    import pyoperon as op
except Exception as exc:  # pragma: no cover - depends on the environment
    op = None
    OPERON_ERROR = f"{type(exc).__name__}: {exc}"
else:
    OPERON_ERROR = ""

try:
    from gplearn._program import _Program
    from gplearn.functions import _Function, _function_map
except Exception as exc:  # pragma: no cover
    _Program = None
    GPLEARN_ERROR = f"{type(exc).__name__}: {exc}"
else:
    GPLEARN_ERROR = ""

OPERATORS = ["add", "sub", "mul", "div", "sin", "cos", "exp", "log"]
VARIABLES = ["x0", "x1", "x2"]
FORMULA_20 = "1.5*x0*sin(x1 + 0.3) - exp(x2/2.0) / (x0 + x1*sin(x2))"
FORMULA_21 = "1.5*x0*sin(x1 + 0.3) - exp(0.5*x2) / (x0 + x1*x2) + x2"

RTOL64 = 1e-6
RTOL32 = 1e-4


# --------------------------------------------------------------------------- data
def make_data(n: int, seed: int = 0) -> np.ndarray:
    """``n`` x 3 float64 matrix, C order, uniform on [0.5, 2]."""
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=(n, len(VARIABLES)))


def random_population(opset: Any, count: int, seed: int = 1, lo: int = 10, hi: int = 30) -> list[Expr]:
    """``count`` random expressions of exactly ``lo..hi`` nodes (uniform size), deterministic.

    Drawn by the search floor's generator (:mod:`srkit.search.floor.random_formulas`):
    a node with room for either takes a unary operator with probability 0.3 (the
    operators of one arity equally likely); leaves are variables (70%) or coefficients
    uniform on [-2, 2] rounded to 3 decimals (30%).
    """
    rng = np.random.default_rng(seed)
    n_arity = {a: sum(op.arity == a for op in opset.operators) for a in (1, 2)}
    share = {1: 0.3, 2: 0.7}
    weights = [share[op.arity] / n_arity[op.arity] if op.arity in share else 0.0 for op in opset.operators]

    def coefficient(r: np.random.Generator) -> float:
        return float(np.round(r.uniform(-2.0, 2.0), 3))

    return [random_expr(opset, rng, size=(lo, hi), max_depth=None, p_coef=0.3, p_constant=0.0,
                        coefficient=coefficient, operator_weights=weights) for _ in range(count)]


# --------------------------------------------------------------------------- evaluators
def make_recursive(opset: Any, float32: bool = False) -> Callable[[Expr, list[np.ndarray]], Any]:
    """The plain baseline: recursion over prefix arrays, a fresh numpy array per node.

    ``float32=True`` (only for the agreement check, never timed) keeps coefficients as
    ``np.float32`` so that float32 columns give a float32 evaluation throughout."""
    fns: dict[int, Callable[..., Any]] = {opset.code(n): opset.operator(opset.code(n)).numpy
                                          for n in OPERATORS}
    arity = {opset.code(n): opset.arity_of(opset.code(n)) for n in OPERATORS}

    def evaluate(expr: Expr, columns: list[np.ndarray]) -> Any:
        codes = expr.codes.tolist()
        args = expr.args.tolist()
        coefs = expr.coefs.tolist() if not float32 else [np.float32(c) for c in expr.coefs]

        def rec(i: int) -> tuple[Any, int]:
            c = codes[i]
            if c == VAR:
                return columns[args[i]], i + 1
            if c == COEF:
                return coefs[args[i]], i + 1
            if arity[c] == 1:
                x, j = rec(i + 1)
                return fns[c](x), j
            x, j = rec(i + 1)
            y, k = rec(j)
            return fns[c](x, y), k

        return rec(0)[0]

    return evaluate


def hand_written(formula: str) -> Callable[[list[np.ndarray], list[np.ndarray]], np.ndarray]:
    """Straight-line numpy for the two fixed formulas, every temporary in a preallocated
    buffer (``out=``): one ufunc call per operator node and no interpreter at all, i.e.
    the most a numpy-based interpreter could reach.  Same operation order as srkit."""
    if formula == FORMULA_20:  # 1.5*x0*sin(x1 + 0.3) - exp(x2/2.0) / (x0 + x1*sin(x2))
        def f20(cols: list[np.ndarray], buf: list[np.ndarray]) -> np.ndarray:
            x0, x1, x2 = cols
            t, s, u = buf
            np.multiply(1.5, x0, out=t)
            np.add(x1, 0.3, out=s)
            np.sin(s, out=s)
            np.multiply(t, s, out=t)
            np.divide(x2, 2.0, out=s)
            np.exp(s, out=s)
            np.sin(x2, out=u)
            np.multiply(x1, u, out=u)
            np.add(x0, u, out=u)
            np.divide(s, u, out=s)
            return np.subtract(t, s, out=t)
        return f20
    if formula == FORMULA_21:  # 1.5*x0*sin(x1 + 0.3) - exp(0.5*x2) / (x0 + x1*x2) + x2
        def f21(cols: list[np.ndarray], buf: list[np.ndarray]) -> np.ndarray:
            x0, x1, x2 = cols
            t, s, u = buf
            np.multiply(1.5, x0, out=t)
            np.add(x1, 0.3, out=s)
            np.sin(s, out=s)
            np.multiply(t, s, out=t)
            np.multiply(0.5, x2, out=s)
            np.exp(s, out=s)
            np.multiply(x1, x2, out=u)
            np.add(x0, u, out=u)
            np.divide(s, u, out=s)
            np.subtract(t, s, out=t)
            return np.add(t, x2, out=t)
        return f21
    raise ValueError(formula)


def overhead_probes(target: float, repeats: int) -> dict[str, float]:
    """Nanoseconds per call of the building blocks of a numpy interpreter (10 points)."""
    a = np.random.default_rng(0).uniform(0.5, 2.0, 10)
    b = a.copy()
    big = np.random.default_rng(0).uniform(0.5, 2.0, 1_000)
    big_out = big.copy()
    coefs = np.array([1.5, 0.3])

    def errstate_cycle() -> None:
        with np.errstate(all="ignore"):
            pass

    probes: dict[str, Callable[[], Any]] = {
        "np.errstate(all='ignore') enter+exit": errstate_cycle,
        "float(coefs[1]) (numpy scalar to float)": lambda: float(coefs[1]),
        "np.add(a, b), 10 pts, new array": lambda: np.add(a, b),
        "np.add(a, b, out=b), 10 pts": lambda: np.add(a, b, out=b),
        "np.sin(a), 10 pts, new array": lambda: np.sin(a),
        "np.add, 1k pts, out=": lambda: np.add(big, big, out=big_out),
        "np.sin, 1k pts, out=": lambda: np.sin(big, out=big_out),
        "np.exp, 1k pts, out=": lambda: np.exp(big, out=big_out),
        "np.divide, 1k pts, out=": lambda: np.divide(big, big, out=big_out),
    }
    out = {}
    for name, fn in probes.items():
        m = measure(fn, target / 4, repeats)
        out[name] = m["best_wall_s"] / m["reps"] * 1e9
    return out


def to_operon(expr: Expr, hashes: list[int]) -> Any:
    """The same expression as an Operon tree (postfix = reversed prefix)."""
    names = {expr.opset.code(n): n for n in OPERATORS}
    kinds = {"add": op.NodeType.Add, "sub": op.NodeType.Sub, "mul": op.NodeType.Mul,
             "div": op.NodeType.Div, "sin": op.NodeType.Sin, "cos": op.NodeType.Cos,
             "exp": op.NodeType.Exp, "log": op.NodeType.Log}
    nodes = []
    for c, a in zip(expr.codes.tolist()[::-1], expr.args.tolist()[::-1]):
        if c == VAR:
            node = op.Node(op.NodeType.Variable)
            node.HashValue = hashes[a]
            node.Value = 1.0  # Operon variables carry a weight; 1 = the plain variable
        elif c == COEF:
            node = op.Node(op.NodeType.Constant)
            node.Value = float(expr.coefs[a])
        else:
            node = op.Node(kinds[names[c]])
        nodes.append(node)
    return op.Tree(nodes).UpdateNodes()


def gplearn_functions(opset: Any) -> dict[int, Any]:
    """gplearn function objects by srkit code (div/log unprotected, exp added)."""
    fm = dict(_function_map)
    fm["div"] = _Function(function=np.divide, name="div", arity=2)
    fm["log"] = _Function(function=np.log, name="log", arity=1)
    fm["exp"] = _Function(function=np.exp, name="exp", arity=1)
    return {opset.code(n): fm[n] for n in OPERATORS}


def to_gplearn(expr: Expr, funcs: dict[int, Any]) -> Any:
    """The same expression as a gplearn ``_Program`` (prefix list of functions/ints/floats)."""
    program: list[Any] = []
    for c, a in zip(expr.codes.tolist(), expr.args.tolist()):
        if c == VAR:
            program.append(int(a))
        elif c == COEF:
            program.append(float(expr.coefs[a]))
        else:
            program.append(funcs[c])
    fset = list({id(f): f for f in funcs.values()}.values())
    arities: dict[int, list[Any]] = {}
    for f in fset:
        arities.setdefault(f.arity, []).append(f)
    return _Program(function_set=fset, arities=arities, init_depth=(2, 6),
                    init_method="half and half", n_features=len(VARIABLES),
                    const_range=(-1.0, 1.0), metric=None, p_point_replace=0.05,
                    parsimony_coefficient=0.0, random_state=np.random.RandomState(0),
                    program=program)


# --------------------------------------------------------------------------- checks and timing
def agree(ref: np.ndarray, got: Any, rtol: float, scaled: bool = False) -> bool:
    """Same nan/inf pattern, and finite values within ``rtol``.

    ``scaled``: also allow an absolute error of ``rtol * max|ref|`` (finite part), so
    that values near zero produced by cancellation (where float32 has no relative
    accuracy left) do not count as disagreement.
    """
    got = np.broadcast_to(np.asarray(got, dtype=np.float64), ref.shape)
    fr, fg = np.isfinite(ref), np.isfinite(got)
    if not (np.array_equal(fr, fg) and np.array_equal(np.isnan(ref), np.isnan(got))):
        return False
    if not np.array_equal(ref[~fr], got[~fr], equal_nan=True):  # same nan/+-inf
        return False
    if not fr.any():
        return True
    atol = rtol * float(np.max(np.abs(ref[fr]))) if scaled else 0.0
    return bool(np.allclose(ref[fr], got[fr], rtol=rtol, atol=atol))


def overflow_like(ref: np.ndarray, got: Any) -> bool:
    """Disagreement explained by float32 range: huge values, or inf/nan on one side only."""
    got = np.asarray(got, dtype=np.float64)
    fr = np.isfinite(ref)
    big = fr.any() and float(np.max(np.abs(ref[fr]))) > 1e30
    return bool(big or not np.array_equal(fr, np.isfinite(got)))


def measure(fn: Callable[[], Any], target: float, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` CPU and wall seconds of ``reps`` calls of ``fn``."""
    fn()  # warm-up
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(round(target / once)))
    best_cpu = best_wall = float("inf")
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(reps):
                fn()
            c1, w1 = time.process_time(), time.perf_counter()
            best_cpu = min(best_cpu, c1 - c0)
            best_wall = min(best_wall, w1 - w0)
    finally:
        if gc_was:
            gc.enable()
    return {"reps": reps, "best_cpu_s": best_cpu, "best_wall_s": best_wall}


def machine_info() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = [f for f in line.split(":", 1)[1].split() if f in ("avx2", "fma", "avx512f")]
                break
    except OSError:
        pass
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        numpy_simd = [k for k in __cpu_dispatch__ if __cpu_features__.get(k)]
    except Exception:
        numpy_simd = []
    info = {
        "cpu_model": model,
        "cpu_simd_flags": flags,
        "numpy_simd_dispatch": numpy_simd,
        "logical_cpus": os.cpu_count(),
        "cpus_available": affinity,
        "loadavg_at_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyoperon": None,
        "operon_build": None,
        "gplearn": None,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if op is not None:
        from importlib.metadata import version

        info["pyoperon"] = version("pyoperon")
        info["operon_build"] = " | ".join(op.Version().split("\n")).strip(" |")
    if _Program is not None:
        import gplearn

        info["gplearn"] = gplearn.__version__
    return info


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (numbers not for quoting)")
    ap.add_argument("--out", default="benchmarks/results/evaluator/evaluator.json", help="JSON output path")
    ap.add_argument("--no-gplearn", action="store_true", help="skip gplearn")
    ap.add_argument("--no-operon", action="store_true", help="skip pyoperon")
    opts = ap.parse_args(argv)

    start = time.perf_counter()
    np.seterr(all="ignore")
    target, repeats = (0.05, 3) if opts.quick else (0.25, 5)
    pop_size = 200 if opts.quick else 1000
    batch_copies = 100

    info = machine_info()
    print("# Evaluator speed (node-evaluations per second)\n")
    print(f"- date: {info['date']}")
    print(f"- CPU: {info['cpu_model']}; logical CPUs {info['logical_cpus']}, available {info['cpus_available']}; "
          f"load average at start {', '.join(f'{x:.2f}' for x in info['loadavg_at_start'])}")
    print(f"- SIMD: CPU {' '.join(info['cpu_simd_flags'])}; numpy dispatches "
          f"{' '.join(info['numpy_simd_dispatch']) or 'n/a'}")
    print(f"- Python {info['python']}, numpy {info['numpy']}, pyoperon {info['pyoperon'] or 'n/a'}, "
          f"gplearn {info['gplearn'] or 'n/a'}; {info['platform']}")
    if info["operon_build"]:
        print(f"- Operon build: {info['operon_build']}")
    print(f"- mode: {'quick' if opts.quick else 'full'}; best of {repeats} blocks of ~{target} s; "
          "single thread; gc off while timing")
    use_operon = op is not None and not opts.no_operon
    use_gplearn = _Program is not None and not opts.no_gplearn
    if op is None:
        print(f"- pyoperon not importable: {OPERON_ERROR}")
    if _Program is None:
        print(f"- gplearn not importable: {GPLEARN_ERROR}")

    opset = default_registry().operator_set(OPERATORS, VARIABLES)
    e20 = parse(FORMULA_20, opset)
    e21 = parse(FORMULA_21, opset)
    assert e20.size == 20 and e21.size == 21, (e20.size, e21.size)
    population = random_population(opset, pop_size)
    pop_nodes = sum(e.size for e in population)
    recursive = make_recursive(opset)
    recursive32 = make_recursive(opset, float32=True)
    funcs = gplearn_functions(opset) if use_gplearn else {}
    print(f"- a: `{e20}` ({e20.size} nodes, depth {e20.depth})")
    print(f"- c: `{e21}` ({e21.size} nodes, depth {e21.depth})")
    print(f"- b: {len(population)} random expressions, {pop_nodes} nodes in all "
          f"(sizes {min(e.size for e in population)}-{max(e.size for e in population)}, "
          f"mean {pop_nodes / len(population):.1f})\n")

    # name, expressions, points
    workloads = [
        ("a: 20 nodes, 10 pts", [e20], 10),
        ("a: 20 nodes, 1k pts", [e20], 1_000),
        ("a: 20 nodes, 100k pts", [e20], 100_000),
        ("b: 1000 random exprs, 1k pts", population, 1_000),
        ("c: 21 nodes, 10k pts", [e21], 10_000),
    ]
    if opts.quick:
        workloads[3] = (f"b: {pop_size} random exprs, 1k pts", population, 1_000)

    results: list[dict[str, Any]] = []
    checks: list[str] = []
    for wname, exprs, n in workloads:
        X = make_data(n)
        cols = [np.ascontiguousarray(X[:, j]) for j in range(X.shape[1])]
        nodes = sum(e.size for e in exprs)
        refs = [interpret(e, cols, n) for e in exprs]
        evaluators: list[tuple[str, str, Callable[[], Any], int]] = []  # name, dtype, fn, nodes per call-set

        def srkit_fn(exprs: list[Expr] = exprs, cols: list[np.ndarray] = cols, n: int = n) -> None:
            for e in exprs:
                interpret(e, cols, n)

        evaluators.append(("srkit interpret, numpy path", "float64", srkit_fn, nodes))

        # the default backend: interpret() handed an (n_features, n) array, as the
        # Evaluator does: the compiled kernel up to kernel.MAX_POINTS, numpy above
        rows = np.ascontiguousarray(X.T)
        if kernel.available():
            k_out = [interpret(e, rows, n) for e in exprs]
            ok = sum(agree(r, g, RTOL64) for r, g in zip(refs, k_out))
            checks.append(f"{wname}: srkit numba kernel agrees with the numpy path on {ok}/{len(exprs)} (rtol {RTOL64})")

            def kernel_fn(exprs: list[Expr] = exprs, rows: np.ndarray = rows, n: int = n) -> None:
                for e in exprs:
                    interpret(e, rows, n)

            evaluators.append(("srkit interpret, default backend", "float64", kernel_fn, nodes))
            batch = kernel_batch_args(exprs if len(exprs) > 1 else exprs * 100, rows)
            if batch is not None:
                b_out = kernel.run_kernel_batch(*batch)
                ok = all(agree(refs[k % len(exprs)], b_out[k], RTOL64) for k in range(len(b_out)))
                checks.append(f"{wname}: srkit numba kernel, batched, agrees: {ok}")
                label = f"srkit numba kernel, {len(b_out)} trees/call"
                evaluators.append((label, "float64", lambda batch=batch: kernel.run_kernel_batch(*batch),
                                   nodes * (100 if len(exprs) == 1 else 1)))

        rec_out = [recursive(e, cols) for e in exprs]
        ok = sum(agree(r, g, RTOL64) for r, g in zip(refs, rec_out))
        checks.append(f"{wname}: numpy recursive agrees with srkit on {ok}/{len(exprs)} (rtol {RTOL64})")

        def rec_fn(exprs: list[Expr] = exprs, cols: list[np.ndarray] = cols) -> None:
            for e in exprs:
                recursive(e, cols)

        evaluators.append(("numpy recursive", "float64", rec_fn, nodes))

        if len(exprs) == 1:
            hw = hand_written(FORMULA_20 if exprs[0].size == 20 else FORMULA_21)
            buf = [np.empty(n) for _ in range(3)]
            ok = agree(refs[0], hw(cols, buf).copy(), RTOL64)
            checks.append(f"{wname}: hand-written numpy agrees with srkit: {ok} (rtol {RTOL64})")

            def hw_fn(hw: Any = hw, cols: list[np.ndarray] = cols, buf: list[np.ndarray] = buf) -> None:
                hw(cols, buf)

            evaluators.append(("numpy hand-written, out= (ceiling)", "float64", hw_fn, nodes))

        if use_operon:
            ds = op.Dataset(np.asfortranarray(X))
            hashes = [v.Hash for v in sorted(ds.Variables, key=lambda v: v.Index)]
            rng_ = op.Range(0, n)
            dtable = op.DispatchTable()
            trees = [to_operon(e, hashes) for e in exprs]
            assert [t.Length for t in trees] == [e.size for e in exprs]
            op_out = [op.Evaluate(dtable, t, ds, rng_) for t in trees]
            ok = sum(agree(r, g, RTOL32) for r, g in zip(refs, op_out))
            ok_s = sum(agree(r, g, RTOL32, scaled=True) for r, g in zip(refs, op_out))
            line = (f"{wname}: Operon (float32) agrees with srkit on {ok}/{len(exprs)} at rtol {RTOL32}, "
                    f"{ok_s}/{len(exprs)} with atol = rtol*max|ref|")
            if ok_s < len(exprs):
                bad = [(r, g) for r, g in zip(refs, op_out) if not agree(r, g, RTOL32, scaled=True)]
                over = sum(overflow_like(r, g) for r, g in bad)
                loose = sum(agree(r, g, 1e-2, scaled=True) for r, g in bad)
                line += (f"; of the other {len(bad)}, {over} show float32 range effects (|value| > 1e30, "
                         f"or inf/nan on one side only) and {loose} agree at rtol 1e-2")
            if ok_s < len(exprs):
                cols32 = [c.astype(np.float32) for c in cols]
                r32 = [np.broadcast_to(recursive32(e, cols32), (n,)).astype(np.float64) for e in exprs]
                ok32 = sum(agree(r, g, RTOL32, scaled=True) for r, g in zip(r32, op_out))
                ok3264 = sum(agree(r, g, RTOL32, scaled=True) for r, g in zip(refs, r32))
                line += (f". Against the same recursion run in float32 numpy, Operon agrees on "
                         f"{ok32}/{len(exprs)}, and float32 numpy itself agrees with srkit's float64 on "
                         f"{ok3264}/{len(exprs)} (same tolerance): the rest is float32 rounding "
                         f"amplified by ill-conditioned expressions")
            checks.append(line)
            batch = trees if len(trees) > 1 else trees * batch_copies
            bnodes = sum(t.Length for t in batch)
            result = np.zeros((len(batch), n), dtype=np.float32)
            op.EvaluateTrees(batch, ds, rng_, result, 1)
            same = sum(np.array_equal(op_out[i % len(op_out)], result[i], equal_nan=True)
                       for i in range(len(batch)))
            checks.append(f"{wname}: Operon batch (EvaluateTrees) rows equal the one-tree results "
                          f"bit for bit on {same}/{len(batch)}")

            def op_fn(trees: list[Any] = trees, ds: Any = ds, r: Any = rng_, dt: Any = dtable) -> None:
                for t in trees:
                    op.Evaluate(dt, t, ds, r)

            def op_batch(batch: list[Any] = batch, ds: Any = ds, r: Any = rng_, res: Any = result) -> None:
                op.EvaluateTrees(batch, ds, r, res, 1)

            evaluators.append(("operon, 1 tree/call", "float32", op_fn, nodes))
            evaluators.append((f"operon, {len(batch)} trees/call", "float32", op_batch, bnodes))

        if use_gplearn:
            progs = [to_gplearn(e, funcs) for e in exprs]
            g_out = [p.execute(X) for p in progs]
            ok = sum(agree(r, g, RTOL64) for r, g in zip(refs, g_out))
            checks.append(f"{wname}: gplearn agrees with srkit on {ok}/{len(exprs)} (rtol {RTOL64})")

            def gp_fn(progs: list[Any] = progs, X: np.ndarray = X) -> None:
                for p in progs:
                    p.execute(X)

            evaluators.append(("gplearn execute", "float64", gp_fn, nodes))

        for ename, dtype, fn, nnodes in evaluators:
            m = measure(fn, target, repeats)
            work = nnodes * n * m["reps"]
            results.append({
                "workload": wname, "evaluator": ename, "dtype": dtype,
                "nodes_per_call_set": nnodes, "expressions": len(exprs) if "trees/call" not in ename
                else len(exprs) * (1 if len(exprs) > 1 else batch_copies),
                "points": n, **m,
                "node_evals_per_cpu_s": work / m["best_cpu_s"] if m["best_cpu_s"] > 0 else None,
                "node_evals_per_wall_s": work / m["best_wall_s"],
                "ns_per_node_call": m["best_wall_s"] / (m["reps"] * nnodes) * 1e9,
            })

    print("## Agreement with srkit's interpret (checked before timing)\n")
    for line in checks:
        print(f"- {line}")
    print()

    base = {r["workload"]: r["node_evals_per_cpu_s"] for r in results if r["evaluator"] == "srkit interpret, numpy path"}
    print("## Node-evaluations per second (M = 10^6; best of blocks)\n")
    print("| workload | evaluator | dtype | M node-evals/CPU s | M node-evals/wall s | ns per node (wall) "
          "| vs srkit (CPU) |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in results:
        cpu = r["node_evals_per_cpu_s"]
        rel = cpu / base[r["workload"]] if cpu and base.get(r["workload"]) else float("nan")
        r["relative_to_srkit_cpu"] = rel
        print(f"| {r['workload']} | {r['evaluator']} | {r['dtype']} | {cpu / 1e6:,.1f} | "
              f"{r['node_evals_per_wall_s'] / 1e6:,.1f} | {r['ns_per_node_call']:,.0f} | {rel:.2f}x |")
    probes = overhead_probes(target, repeats)
    print("\n## Building-block costs (wall ns per call, best of blocks)\n")
    print("| operation | ns |")
    print("|---|---:|")
    for k, v in probes.items():
        print(f"| {k} | {v:,.0f} |")
    elapsed = time.perf_counter() - start
    print(f"\n'ns per node' = wall time of one evaluation of one node over all points of the workload.")
    print(f"Total run time {elapsed:.1f} s; load average at end "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.")

    out = Path(opts.out)
    if not out.is_absolute():
        out = ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "evaluator node-evaluations per second",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "mode": "quick" if opts.quick else "full",
        "machine": info,
        "settings": {"target_block_s": target, "repeats": repeats, "threads": 1,
                     "data": "uniform [0.5, 2], 3 features, seed 0",
                     "population_seed": 1, "population_size": pop_size,
                     "operon_batch_copies": batch_copies},
        "formulas": {"a": str(e20), "c": str(e21)},
        "population_nodes": pop_nodes,
        "agreement": checks,
        "results": results,
        "building_block_ns": probes,
        "loadavg_at_end": list(os.getloadavg()),
        "elapsed_s": elapsed,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"Wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
