"""Walk-forward alpha mining on real US stock data: the mined pool against random formulas
at equal evaluations and against the hand-written factors, each test window scored once.

    python benchmarks/bench_alpha_walk_forward.py --data sp500 --evals-per-round 4000 --rounds 10
    python benchmarks/bench_alpha_walk_forward.py --data stocknet --evals-per-round 4000 --rounds 10

Folds: 504 train days, 126 valid, 126 test, stepping by the test window (four folds on
each data set's five years). In every fold:

1. GP mining (srkit.alpha.walk_forward with searcher "gp") on the fold's train and valid
   dates, an evaluation budget per round so that
2. random formulas (searcher "random") get exactly the same evaluations, and
3. the hand-written factors the data's fields allow (srkit.alpha.baselines.baselines_for),
   combined with their train-period IC signs (chosen on train only),

are scored once on the test window: rank IC and its Newey-West t, long-short (top/bottom
20%) net annual return and Sharpe after --cost-bps, turnover. Pooled over folds: the mean
fold rank IC with its t across folds, and the t across days. Rows (one per method and
fold, plus pooled) go to benchmarks/results/alpha/walk_forward_<data>.jsonl with the git
commit; the table is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _harness import git_state, machine  # noqa: E402

from srkit.alpha import load_panel  # noqa: E402
from srkit.alpha.baselines import baselines_for  # noqa: E402
from srkit.alpha.formula import factor_values  # noqa: E402
from srkit.alpha.metrics import factor_metrics, forward_returns, period_labels  # noqa: E402
from srkit.alpha.mine import MiningConfig  # noqa: E402
from srkit.alpha.pool import combine  # noqa: E402
from srkit.alpha.walk_forward import FoldResult, make_folds, pool_folds, score_test, walk_forward  # noqa: E402

DATA = {"sp500": ROOT.parent / "shared" / "data" / "sp500_5yr",
        "stocknet": ROOT.parent / "shared" / "data" / "stocknet_88"}


def classic_folds(panel, folds, horizon: int, cost_bps: float) -> list[FoldResult]:  # type: ignore[no-untyped-def]
    """The hand-written factors per fold: signed by their train IC, scored once on test."""
    formulas = list(baselines_for(panel.fields).values())
    out = []
    for split in folds:
        known = panel.until(split.test_end)
        train = known.date_mask(split.train_start, split.train_end)
        labels = period_labels(forward_returns(known, horizon), train, horizon)
        values = [factor_values(f, known) for f in formulas]
        signs = [float(np.sign(ic)) if np.isfinite(ic) else 0.0
                 for ic in (factor_metrics(v, labels, train)["ic"] for v in values)]
        test, daily = score_test(combine(values, signs), known, split, horizon=horizon, cost_bps=cost_bps)
        out.append(FoldResult(split, formulas, signs, test, daily))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=sorted(DATA), default="sp500")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--evals-per-round", type=int, default=4000)
    ap.add_argument("--horizon", type=int, default=5)
    ap.add_argument("--train-days", type=int, default=504)
    ap.add_argument("--valid-days", type=int, default=126)
    ap.add_argument("--test-days", type=int, default=126)
    ap.add_argument("--cost-bps", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--search-assets", type=int, default=200)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    panel = load_panel(DATA[args.data])
    cfg = MiningConfig(horizon=args.horizon, rounds=args.rounds, time_per_round=None,
                       evals_per_round=args.evals_per_round, search_assets=args.search_assets or None)
    kw = dict(train_days=args.train_days, valid_days=args.valid_days, test_days=args.test_days, config=cfg,
              random_state=args.seed, cost_bps=args.cost_bps)
    folds = make_folds(panel.dates, train_days=args.train_days, valid_days=args.valid_days,
                       test_days=args.test_days)
    commit, dirty = git_state()
    out = Path(args.out or ROOT / "benchmarks" / "results" / "alpha" / f"walk_forward_{args.data}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"# {args.data}: {panel.shape[2]} assets x {panel.shape[1]} dates, {len(folds)} folds; "
          f"{args.rounds} rounds x {args.evals_per_round} evaluations per fold; {machine()}; commit {commit}"
          f"{' (dirty)' if dirty else ''}", flush=True)
    results = {}
    for method in ("gp", "random"):
        start = time.perf_counter()
        progress = lambda info, m=method: print(  # noqa: E731
            f"{m} fold {info['fold']}/{info['of']}: test rank IC {info['test'].get('rank_ic', float('nan')):.4f}, "
            f"{info['n_evals']} evals, {info['wall_time']} s", flush=True)
        res = walk_forward(panel, searcher=method, progress=progress, **kw)
        results[method] = (res.folds, res.pooled, time.perf_counter() - start)
    classic = classic_folds(panel, folds, args.horizon, args.cost_bps)
    results["classic"] = (classic, pool_folds(classic, args.horizon), 0.0)
    rows = []
    for method, (fold_results, pooled, wall) in results.items():
        for i, f in enumerate(fold_results):
            rows.append({"data": args.data, "method": method, "fold": i + 1, **f.to_dict()["split"], **f.test,
                         "n_evals": f.n_evals, "wall_time": round(f.wall_time, 1), "factors": len(f.formulas)})
        rows.append({"data": args.data, "method": method, "fold": "pooled", **pooled, "wall_time": round(wall, 1)})
    with out.open("a") as fh:
        for row in rows:
            fh.write(json.dumps({**row, "commit": commit, "dirty": dirty, "machine": machine(),
                                 "date": time.strftime("%Y-%m-%d"), "config": vars(args)}, default=str) + "\n")
    keys = ("rank_ic", "rank_ic_t", "net_return", "sharpe", "turnover")
    print("\n| method | fold | test | " + " | ".join(keys) + " |\n|" + "---|" * (3 + len(keys)))
    for r in rows:
        test = f"{r.get('test_start', '')}..{r.get('test_end', '')}" if r["fold"] != "pooled" else (
            f"t folds {r.get('rank_ic_t_folds', float('nan')):.2f}, t days {r.get('rank_ic_t_days', float('nan')):.2f}, "
            f"positive folds {r.get('positive_folds', float('nan')):.2f}")
        print(f"| {r['method']} | {r['fold']} | {test} | "
              + " | ".join(f"{r.get(k, float('nan')):.4f}" for k in keys) + " |")
    print(f"\nrows appended to {out}")


if __name__ == "__main__":
    main()
