"""Which period's rank IC of a pool member says anything about its test rank IC?  Reads
result files of ``bench_alpha.py``, scores every member of every saved pool (GP and
random) on train, validation and test, each signed by its train rank IC (so a member
that keeps its train direction scores positive), and reports the correlation across
members of train and validation rank IC (and validation t) with test rank IC, and the
mean test rank IC of the members above rising validation-t and train-IC thresholds.

    python benchmarks/alpha_members.py benchmarks/results/alpha/alpha_sp500_w120.json [more.json ...]

Several files (same data and horizon) are read as one list of seeds.  Writes
``<first file>_members.md`` next to the first input and prints it.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_alpha import DATA  # noqa: E402

from srkit.alpha import load_panel  # noqa: E402
from srkit.alpha.formula import factor_values  # noqa: E402
from srkit.alpha.metrics import factor_metrics, forward_returns, period_labels  # noqa: E402

PERIODS = ("train", "valid", "test")


def member_rows(results: list[dict], panel, split, horizon: int) -> list[dict]:
    """One row per (seed, pool kind, member): its rank IC per period, signed by train."""
    labels = forward_returns(panel, horizon)
    masks = {p: panel.date_mask(*split.period(p)) for p in PERIODS}
    period = {p: period_labels(labels, m, horizon) for p, m in masks.items()}
    rows = []
    for res in results:
        for run in res["runs"]:
            for kind in ("gp", "random"):
                for formula in run[kind]["pool"]["formulas"]:
                    v = factor_values(formula, panel)
                    m = {p: factor_metrics(v, period[p], masks[p], horizon) for p in PERIODS}
                    sign = float(np.sign(m["train"]["rank_ic"])) or 1.0
                    rows.append({"seed": run["seed"], "kind": kind, "formula": formula,
                                 **{f"{p}_rank_ic": sign * m[p]["rank_ic"] for p in PERIODS},
                                 "valid_rank_ic_t": sign * m["valid"]["rank_ic_t"],
                                 "test_turnover": m["test"]["turnover"]})
    return rows


def report(rows: list[dict]) -> list[str]:
    col = lambda k: np.array([r[k] for r in rows], dtype=float)  # noqa: E731
    test = col("test_rank_ic")
    lines = [f"{len(rows)} pool members (GP and random pools, every seed), rank IC signed by train.", "",
             "| predictor | correlation with test rank IC |", "|---|---|"]
    for key in ("train_rank_ic", "valid_rank_ic", "valid_rank_ic_t", "test_turnover"):
        lines.append(f"| {key} | {np.corrcoef(col(key), test)[0, 1]:+.3f} |")
    lines += ["", "| members with | n | mean test rank IC |", "|---|---|---|"]
    for key, cuts in (("valid_rank_ic_t", (0.0, 1.0, 1.5, 2.0)), ("train_rank_ic", (0.005, 0.01, 0.015, 0.02))):
        for cut in cuts:
            sel = col(key) >= cut
            mean = f"{test[sel].mean():.4f}" if sel.any() else "n/a"
            lines.append(f"| {key} >= {cut:g} | {int(sel.sum())} | {mean} |")
    lines += ["", "| seed | kind | formula | train | valid (t) | test |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['seed']} | {r['kind']} | `{r['formula']}` | {r['train_rank_ic']:.4f} | "
                     f"{r['valid_rank_ic']:.4f} ({r['valid_rank_ic_t']:.2f}) | {r['test_rank_ic']:.4f} |")
    return lines


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if argv else 2)
    missing = [f for f in argv if not Path(f).exists()]
    if missing:
        sys.exit(f"no such result file: {', '.join(missing)} (write one with benchmarks/bench_alpha.py)")
    results = [json.loads(Path(f).read_text()) for f in argv]
    data, horizon = results[0]["data"], results[0]["horizon"]
    path, split = DATA[data]
    if not Path(path).exists():
        sys.exit(f"{path} is absent; this needs the shared data (see /work/shared/data/MANIFEST.txt)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan dates at the edges of periods
        rows = member_rows(results, load_panel(path), split, horizon)
    lines = report(rows)
    Path(argv[0]).with_name(Path(argv[0]).stem + "_members.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
