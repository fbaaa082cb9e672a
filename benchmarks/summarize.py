"""Summarize benchmark JSONL files (from ``benchmarks/run.py``) as markdown tables and a plot.

Per method x suite x budget: runs, symbolic recovery rate (the headline rule, with counts),
exact (DSR) and SRBench rule rates, numeric recovery rate (test R^2 > 0.999999), median test
R^2, median fit time and median evaluations (srkit), and how many fits timed out or failed.
A fit that timed out or failed counts as not recovered, and its R^2 as the worst.  When a
file holds several rows for the same fit (a rerun, or an error retried by ``--resume``),
the last one counts.  ``--by-problem`` adds a method x problem table.  ``--plot PNG`` draws
the recovery rate against the budget per method (one panel per suite) when the rows hold
several budgets, else a bar chart of recovery per method x suite.

    python benchmarks/summarize.py benchmarks/results/regression/run.jsonl --plot benchmarks/results/regression/recovery.png
    python benchmarks/summarize.py a.jsonl b.jsonl --by-problem
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import row_key  # noqa: E402

#: (row field, column title) of the recovery rules, headline first.
RULES: tuple[tuple[str, str], ...] = (
    ("recovered", "symbolic recovery"),
    ("recovered_exact", "exact (DSR)"),
    ("recovered_srbench", "SRBench rule"),
    ("numeric_recovery", "numeric recovery"),
)


def load_rows(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """All rows of the JSONL files, in order (blank or broken lines are skipped with a note)."""
    rows = []
    for path in paths:
        for i, line in enumerate(Path(path).read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                print(f"# {path}:{i}: not JSON, skipped", file=sys.stderr)
                continue
            if isinstance(row, dict) and "method" in row and "problem" in row:
                if (row.get("options") or {}).get("units"):  # run.py --units: shown as its own method
                    row = {**row, "method": f"{row['method']}+units"}
                rows.append(row)
    return rows


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return row_key(row)
    except (KeyError, TypeError, ValueError):
        return (id(row),)


def latest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per fit (method, problem, seed, budget, noise, options): the last one."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        out[_key(row)] = row
    return list(out.values())


_SUITE_CACHE: dict[str, str] = {}


def suite_of(row: dict[str, Any]) -> str:
    """The row's suite; for old rows without one, the problem's own suite."""
    if row.get("suite"):
        return str(row["suite"])
    name = str(row["problem"])
    if name not in _SUITE_CACHE:
        try:
            from srkit import problems

            _SUITE_CACHE[name] = problems.get(name).suite
        except Exception:
            _SUITE_CACHE[name] = "?"
    return _SUITE_CACHE[name]


def budget_of(row: dict[str, Any]) -> tuple[str, float]:
    """(unit, amount): ``("evals", max_evals)`` for an evaluation budget, else ``("s", time)``."""
    if row.get("max_evals") is not None:
        return ("evals", float(row["max_evals"]))
    return ("s", float(row.get("time_budget") or 0.0))


def budget_label(row: dict[str, Any]) -> str:
    """``"30 s"``, ``"2000 evals"``; ``", noise 0.01"`` appended for noisy data."""
    unit, amount = budget_of(row)
    label = f"{amount:g} {unit}"
    if row.get("noise"):
        label += f", noise {float(row['noise']):g}"
    return label


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def _r2(row: dict[str, Any]) -> float:
    v = row.get("test_r2")
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else -math.inf


def _time(row: dict[str, Any]) -> float | None:
    v = row.get("wall") if row.get("wall") is not None else row.get("elapsed")
    return float(v) if isinstance(v, (int, float)) else None


def _fmt(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else "n/a"


def _stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    counts = {field: sum(row.get(field) is True for row in rows) for field, _ in RULES}
    times = [t for t in (_time(r) for r in rows) if t is not None]
    evals = [float(r["n_evals"]) for r in rows if isinstance(r.get("n_evals"), (int, float))]
    failed = sum(r.get("status", "ok") != "ok" for r in rows)  # rows of older scripts have none
    return {"n": n, "counts": counts, "r2": _median([_r2(r) for r in rows]),
            "time": _median(times), "evals": _median(evals), "failed": failed}


def _rate(k: int, n: int, with_counts: bool) -> str:
    pct = f"{100 * k / n:.0f}%" if n else "n/a"
    return f"{pct} ({k}/{n})" if with_counts else pct


def _groups(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


def summary_table(rows: list[dict[str, Any]]) -> str:
    """Markdown: one line per method x suite x budget."""
    suites = list(dict.fromkeys(suite_of(r) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    groups = _groups(rows, lambda r: (r["method"], suite_of(r), budget_of(r), budget_label(r)))
    keys = sorted(groups, key=lambda k: (suites.index(k[1]), methods.index(k[0]), k[2], k[3]))
    head = ["method", "suite", "budget", "runs"] + [t for _, t in RULES] + [
        "median test R2", "median time (s)", "median evals", "timeouts/errors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in keys:
        s = _stats(groups[k])
        cells = [k[0], k[1], k[3], str(s["n"])]
        cells += [_rate(s["counts"][f], s["n"], i == 0) for i, (f, _) in enumerate(RULES)]
        cells += [_fmt(s["r2"], ".6f"), _fmt(s["time"], ".1f"), _fmt(s["evals"], ".0f"), str(s["failed"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def problem_table(rows: list[dict[str, Any]]) -> str:
    """Markdown: one line per method x problem x budget, with counts per rule."""
    problems = list(dict.fromkeys((suite_of(r), r["problem"]) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    groups = _groups(rows, lambda r: (r["method"], (suite_of(r), r["problem"]), budget_of(r), budget_label(r)))
    keys = sorted(groups, key=lambda k: (problems.index(k[1]), methods.index(k[0]), k[2], k[3]))
    head = ["problem", "method", "budget", "runs"] + [t for _, t in RULES] + [
        "median test R2", "median time (s)", "timeouts/errors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in keys:
        s = _stats(groups[k])
        n = s["n"]
        cells = [k[1][1], k[0], k[3], str(n)] + [f"{s['counts'][f]}/{n}" for f, _ in RULES]
        cells += [_fmt(s["r2"], ".6f"), _fmt(s["time"], ".1f"), str(s["failed"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_tables(rows: list[dict[str, Any]], by_problem: bool = False) -> str:
    """The summary table (and the per-problem table) of the latest row per fit."""
    rows = latest(rows)
    if not rows:
        return "(no rows)"
    text = summary_table(rows)
    if by_problem:
        text += "\n\n" + problem_table(rows)
    return text


def plot_recovery(rows: list[dict[str, Any]], path: str | Path) -> None:
    """PNG: recovery rate vs budget per method and suite, or bars when there is one budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = latest(rows)
    suites = list(dict.fromkeys(suite_of(r) for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    budgets = sorted({budget_of(r) for r in rows})
    rate: dict[tuple[Any, ...], float] = {}
    for k, grp in _groups(rows, lambda r: (r["method"], suite_of(r), budget_of(r))).items():
        rate[k] = 100.0 * sum(r.get("recovered") is True for r in grp) / len(grp)
    if len(budgets) > 1:
        fig, axes = plt.subplots(1, len(suites), figsize=(4.5 * len(suites), 3.6), squeeze=False)
        numeric = len({u for u, _ in budgets}) == 1
        for ax, suite in zip(axes[0], suites):
            for m in methods:
                pts = [(b, rate[(m, suite, b)]) for b in budgets if (m, suite, b) in rate]
                xs = [b[1] if numeric else budgets.index(b) for b, _ in pts]
                ax.plot(xs, [v for _, v in pts], marker="o", label=m)
            if numeric:
                ax.set_xlabel("evaluations" if budgets[0][0] == "evals" else "time budget (s)")
                if budgets[-1][1] >= 10 * max(budgets[0][1], 1e-12):
                    ax.set_xscale("log")
            else:
                ax.set_xticks(range(len(budgets)), [f"{a:g} {u}" for u, a in budgets])
                ax.set_xlabel("budget")
            ax.set_title(suite)
            ax.set_ylim(-2, 102)
            ax.set_ylabel("symbolic recovery (%)")
            ax.grid(alpha=0.3)
        axes[0][-1].legend(fontsize=8, loc="best")
    else:
        fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(suites) * max(1, len(methods)) / 2 + 2), 3.6))
        width = 0.8 / max(1, len(methods))
        for i, m in enumerate(methods):
            xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(suites))]
            ys = [rate.get((m, s, budgets[0]), 0.0) for s in suites]
            bars = ax.bar(xs, ys, width, label=m)
            ax.bar_label(bars, fmt="%.0f%%", fontsize=7)
        ax.set_xticks(range(len(suites)), suites)
        ax.set_ylabel("symbolic recovery (%)")
        ax.set_ylim(0, 108)
        ax.set_title(f"budget {budgets[0][1]:g} {budgets[0][0]}")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="JSONL files from benchmarks/run.py")
    ap.add_argument("--by-problem", action="store_true", help="also print a method x problem table")
    ap.add_argument("--plot", default=None, help="write the recovery plot (PNG) here")
    args = ap.parse_args(argv)
    rows = load_rows(args.files)
    print(summary_tables(rows, by_problem=args.by_problem))
    if args.plot and rows:
        plot_recovery(rows, args.plot)
        print(f"\nplot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
