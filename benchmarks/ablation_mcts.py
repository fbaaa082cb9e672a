"""Ablation of the mcts searcher: which part of the RSRM pipeline contributes what.

Variants (``MCTSConfig`` flags, passed as ``searcher_options``; GP alone is ``srkit-gp``):

- ``full``: the whole pipeline (MCTS lanes with double Q and sub-tree discovery, seeding GP)
- ``no-terms``: no term regression (``term_regression=False``)
- ``no-double-q``: rollouts from the prior alone (``double_q=False``)
- ``no-subtree``: one lane, no forms (``subtree_discovery=False``)
- ``mcts-alone``: no GP hand-off (``gp_refine=False``)
- ``gp-alone``: the GP searcher by itself
- ``nt-no-double-q``, ``nt-no-subtree``, ``nt-mcts-alone``: the same three switches with
  term regression off too, to be read against ``no-terms`` (term regression solves most of
  the subset in its first step, so with it on the other parts have nothing left to do)

Each fit runs in a fresh process through ``benchmarks/run.py``'s harness; rows go to
``--out`` (``--resume`` skips fits already there).  The table gives, per variant, the
symbolic recovery (headline rule) per problem and in all.

    python benchmarks/ablation_mcts.py --seeds 0 1 --time-budget 60 --workers 2 \\
        --out benchmarks/results/regression/mcts/mcts_ablation_60s.jsonl --resume
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402
from summarize import latest, summary_table  # noqa: E402

#: variant -> (method, searcher options)
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "full": ("srkit-mcts", {}),
    "no-terms": ("srkit-mcts", {"term_regression": False}),
    "no-double-q": ("srkit-mcts", {"double_q": False}),
    "no-subtree": ("srkit-mcts", {"subtree_discovery": False}),
    "mcts-alone": ("srkit-mcts", {"gp_refine": False}),
    "gp-alone": ("srkit-gp", {}),
    # the same switches without term regression, which otherwise solves most of the subset
    # before the MCTS parts get to work
    "nt-no-double-q": ("srkit-mcts", {"term_regression": False, "double_q": False}),
    "nt-no-subtree": ("srkit-mcts", {"term_regression": False, "subtree_discovery": False}),
    "nt-mcts-alone": ("srkit-mcts", {"term_regression": False, "gp_refine": False}),
}

#: ten problems of the issue's suites: four that term regression solves by itself in
#: closed form (Nguyen-5, -12, Constant-1, R1), six that it does not, where the MCTS
#: lanes, double Q, the forms and GP have to do the work
PROBLEMS = (
    "Nguyen-5", "Nguyen-6", "Nguyen-7", "Nguyen-12", "Constant-1", "Constant-8",
    "Livermore-4", "Livermore-8", "Livermore-19", "R1",
)


def variant_of(row: dict[str, Any]) -> str | None:
    """The variant a row belongs to (by method and searcher options), or None."""
    opts = (row.get("options") or {}).get("searcher_options", {})
    for name, (method, options) in VARIANTS.items():
        if row.get("method") == method and opts == options:
            return name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--time-budget", type=float, default=60.0)
    ap.add_argument("--max-evals", type=int, default=None, help="evaluation budget instead of time")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/regression/mcts/mcts_ablation.jsonl")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)

    pairs = bench.select_problems(None, args.problems)
    tasks = []
    for name in args.variants:
        method, options = VARIANTS[name]
        tasks += bench.build_tasks([method], pairs, args.seeds, args.time_budget, max_evals=args.max_evals,
                                   options={"searcher_options": options} if options else {})
    # seeds x problems outermost, so that a partial run is balanced over the variants
    tasks.sort(key=lambda t: (t.seed, args.problems.index(t.problem) if t.problem in args.problems else 0))
    print(f"# mcts ablation: {len(args.variants)} variants x {len(pairs)} problems x {len(args.seeds)} seeds = "
          f"{len(tasks)} fits, {args.time_budget:g} s each; {bench.machine()}", flush=True)
    bench.run(tasks, args.out, resume=args.resume, workers=args.workers)

    wanted = {t.key() for t in tasks}
    rows = []
    for row in latest(bench.read_rows(args.out)):
        name = variant_of(row)
        if name is not None and bench.row_key(row) in wanted:
            rows.append({**row, "method": name})
    print()
    print(summary_table(rows))
    print()
    print(ablation_table(rows, args.variants, [p for _, p in pairs]))
    return 0


def ablation_table(rows: list[dict[str, Any]], variants: Sequence[str], problems: Sequence[str]) -> str:
    """Markdown: problems down, variants across, recovered/runs in each cell."""
    lines = ["| problem | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
    totals = {v: [0, 0] for v in variants}
    for p in problems:
        cells = []
        for v in variants:
            mine = [r for r in rows if r["problem"] == p and r["method"] == v]
            k = sum(bool(r.get("recovered")) for r in mine)
            totals[v][0] += k
            totals[v][1] += len(mine)
            cells.append(f"{k}/{len(mine)}")
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + " | ".join(f"**{totals[v][0]}/{totals[v][1]}**" for v in variants) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
