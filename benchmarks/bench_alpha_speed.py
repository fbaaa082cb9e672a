"""Speed of the alpha path on the S&P 500 train panel: each time-series operator, and
the mining fitness on random formulas (what one evaluation of a mining search costs).

    python benchmarks/bench_alpha_speed.py --out benchmarks/results/alpha/alpha_speed.json

1. Every time-series family (and cs_rank) on ``close`` over all 505 assets and the
   train dates, windows 10, 60 and 120: median of 3 calls, in ms.
2. The first ``--formulas`` random formulas of the mining grammar (windows 10, 20,
   60, 120; seed 0), each computed on the train panel and scored by the mining
   fitness (``RankICLoss(stride=2, blocks=3)`` with two pool members to avoid), as
   ``srkit.alpha.mine`` does: evaluations per second, and the sum of the finite
   losses, so that two versions of the code can be checked to agree.  (The formulas
   come from the search floor's generator since it replaced the alpha module's own:
   runs of commits before that draw other formulas and do not compare.)

To compare two commits on one machine, run this script from a checkout of each
(it imports the srkit next to it), one after the other.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srkit.alpha import Split, load_panel  # noqa: E402
from srkit.alpha.formula import factor_values, search_opset  # noqa: E402
from srkit.alpha.operators import TS_BINARY, TS_UNARY, alpha_registry  # noqa: E402
from srkit.fitness.evaluator import Evaluator  # noqa: E402
from srkit.fitness.losses import RankICLoss  # noqa: E402
from srkit.search.floor.random_formulas import random_expr  # noqa: E402

PATH = "/work/shared/data/sp500_5yr"
SPLIT = Split("2013-02-01", "2015-12-31", "2016-01-01", "2016-12-31", "2017-01-01", "2018-02-28")
WINDOWS = (10, 60, 120)


def _median_ms(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--formulas", type=int, default=300)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not Path(PATH).exists():
        sys.exit(f"{PATH} is absent; this benchmark needs the shared data (see /work/shared/data/MANIFEST.txt)")
    panel = load_panel(PATH).until(SPLIT.train_end)
    labels = SPLIT.labels(panel, "train", 5)
    close = panel["close"]
    reg = alpha_registry()
    ops = {}
    for spec in (*TS_UNARY, *TS_BINARY):
        arity = 1 if spec in TS_UNARY else 2
        for d in WINDOWS:
            op = reg.get(f"{spec.name}_{d}").numpy
            ops[f"{spec.name}({d})"] = _median_ms(lambda: op(close) if arity == 1 else op(close, panel["volume"]))
    ops["cs_rank"] = _median_ms(lambda: reg.get("cs_rank").numpy(close))

    opset = search_opset(panel.fields, windows=(10, 20, 60, 120))
    rng = np.random.default_rng(0)
    # as the alpha RandomSearcher draws them: variables only, no coefficients
    formulas = [random_expr(opset, rng, max_size=10, max_depth=6, p_coef=0.0, p_constant=0.0)
                for _ in range(args.formulas)]
    avoid = [factor_values("ts_pct(close, 20)", panel), factor_values("ts_std(volume, 60)", panel)]
    # what a mining round runs per formula: the shared Evaluator with the mining fitness
    evaluator = Evaluator(panel.dataset(labels), RankICLoss(avoid=avoid, penalty=0.5, stride=2, blocks=3))
    start = time.perf_counter()
    losses = [evaluator.loss(f) for f in formulas]
    elapsed = time.perf_counter() - start
    finite = [v for v in losses if np.isfinite(v)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "srkit"], capture_output=True, text=True, cwd=ROOT).stdout
    out = {
        "commit": commit + ("+changes" if dirty.strip() else ""), "machine": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "panel": list(close.shape),
        "operator_ms": {k: round(v, 2) for k, v in ops.items()},
        "fitness": {"formulas": len(formulas), "seconds": round(elapsed, 2),
                    "evals_per_second": round(len(formulas) / elapsed, 2),
                    "finite": len(finite), "loss_sum": float(np.sum(finite))},
    }
    print(f"panel {close.shape[0]} dates x {close.shape[1]} assets, commit {out['commit']}")
    print("| operator | ms |\n|---|---|")
    for k, v in out["operator_ms"].items():
        print(f"| {k} | {v:.1f} |")
    fit = out["fitness"]
    print(f"\nfitness: {fit['formulas']} random formulas in {fit['seconds']:.1f} s = {fit['evals_per_second']:.1f} "
          f"evals/s; {fit['finite']} finite, loss sum {fit['loss_sum']:.12f}")
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
