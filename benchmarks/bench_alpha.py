"""Mined factor pool vs hand-written factors vs random formulas, on real US stock data.

    python benchmarks/bench_alpha.py --data sp500 --round-seconds 60 --rounds 10 --seeds 0 1
    python benchmarks/bench_alpha.py --data stocknet --round-seconds 30 --rounds 10 --seeds 0 1

1. Mine a pool of 10 factors with GP (srkit.alpha.mine, rank-IC fitness with a
   diversity penalty, train period only); record its evaluations.
2. Mine a pool the same way from random formulas, with the same number of
   evaluations per round (srkit.alpha.random_search.RandomSearcher).
3. The hand-written set (srkit.alpha.baselines): every factor, its best single
   factor on test and the train-signed equal-weight composite.

Reported on the test period: IC, rank IC, rank IR, long-short IR (top/bottom
20%, daily rebalance, gross and net of 0.15% per unit traded) and turnover.
Writes benchmarks/results/alpha/alpha_<data>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srkit.alpha import Split, load_panel  # noqa: E402
from srkit.alpha.backtest import backtest  # noqa: E402
from srkit.alpha.baselines import baselines_for  # noqa: E402
from srkit.alpha.formula import factor_values  # noqa: E402
from srkit.alpha.metrics import factor_metrics, forward_returns, period_labels  # noqa: E402
from srkit.alpha.mine import MiningConfig, mine  # noqa: E402
from srkit.alpha.pool import combine  # noqa: E402
from srkit.alpha.random_search import RandomSearcher  # noqa: E402

DATA = {
    "sp500": ("/work/shared/data/sp500_5yr",
              Split("2013-02-01", "2015-12-31", "2016-01-01", "2016-12-31", "2017-01-01", "2018-02-28")),
    "stocknet": ("/work/shared/data/stocknet_88",
                 Split("2012-09-01", "2015-06-30", "2015-07-01", "2016-06-30", "2016-07-01", "2017-09-30")),
}


def test_row(name, values, panel, split, horizon):
    mask = panel.date_mask(split.test_start, split.test_end)
    labels = period_labels(forward_returns(panel, horizon), mask, horizon)
    m = factor_metrics(values, labels, mask, horizon)
    ls_gross = backtest(values, panel, strategy="long_short", cost=0.0, start=split.test_start, end=split.test_end)
    ls_net = backtest(values, panel, strategy="long_short", cost=0.0015, start=split.test_start, end=split.test_end)
    return {"set": name, "test_ic": m["ic"], "test_rank_ic": m["rank_ic"], "test_rank_ir": m["rank_ir"],
            "test_rank_ic_t": m["rank_ic_t"],
            "ls_ir_gross": ls_gross.metrics["ir"], "ls_ir_net": ls_net.metrics["ir"],
            "ls_annual_return_gross": ls_gross.metrics["annual_return"], "turnover": m["turnover"]}


def train_signed_composite(formulas, panel, split, horizon):
    train = panel.date_mask(split.train_start, split.train_end)
    labels = period_labels(forward_returns(panel, horizon), train, horizon)
    values = [factor_values(f, panel) for f in formulas]
    ics = [factor_metrics(v, labels, train)["ic"] for v in values]
    # z-scored raw values, as in the reference figure for this composite (0.007)
    return combine(values, [np.sign(ic) if np.isfinite(ic) else 0.0 for ic in ics])


def mine_seed(args: argparse.Namespace, seed: int) -> dict:
    """GP mining, then random formulas at GP's evaluations per round, for one seed;
    the test rows of both pools and their mining records."""
    path, split = DATA[args.data]
    panel = load_panel(path)
    h = args.horizon
    tag = f"[seed {seed}]"
    log = lambda name: lambda info: print(  # noqa: E731
        f"{tag} {name} round {info['round']}: {info['n_evals']} evals, pool {info['pool_size']}, "
        f"train IC {info['pool_train_ic']:.4f}, offered {info['offered']} (scanned {info['scanned']}), "
        f"failed valid {info['failed_valid']}, "
        f"{info['elapsed']:.0f} s", flush=True)
    common = dict(horizon=h, rounds=args.rounds, search_assets=args.search_assets or None,
                  windows=tuple(int(w) for w in args.windows.split(",")), ic_blocks=args.ic_blocks,
                  candidates_per_round=args.candidates_per_round,
                  max_scanned_per_round=max(args.max_scanned_per_round, args.candidates_per_round),
                  diversity=args.diversity,
                  valid_check=not args.no_valid_check)
    gp_cfg = MiningConfig(**common, time_per_round=args.round_seconds)
    gp = mine(panel, split, searcher="gp", config=gp_cfg, random_state=seed, progress=log("gp"))
    per_round = max(1, math.ceil(gp.n_evals / args.rounds))
    rnd_cfg = MiningConfig(**common, time_per_round=None, evals_per_round=per_round)
    rnd = mine(panel, split, searcher=RandomSearcher(), config=rnd_cfg, random_state=seed, progress=log("random"))
    rows = []
    for name, res in (("mined pool (gp)", gp), ("random formulas pool", rnd)):
        values = res.pool.combined([factor_values(f, panel) for f in res.pool.formulas])
        row = test_row(f"{name}, {len(res.pool)} factors, seed {seed}", values, panel, split, h)
        row.update(kind=name, seed=seed, n_evals=res.n_evals, wall_time_s=round(res.wall_time, 1))
        rows.append(row)
    return {"seed": seed, "mining": {k: list(v) if isinstance(v, tuple) else v for k, v in common.items()},
            "rows": rows, "gp": gp.to_dict(), "random": rnd.to_dict(), "gp_table": gp.table.to_dict(orient="records")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=sorted(DATA), default="sp500")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--round-seconds", type=float, default=60.0)
    ap.add_argument("--horizon", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0],
                    help="one GP and one random mining per seed, the seeds run side by side (one process each)")
    ap.add_argument("--search-assets", type=int, default=200, help="assets the search sees (0: all)")
    ap.add_argument("--windows", default="5,10,20,40", help="time-series windows of the search")
    ap.add_argument("--ic-blocks", type=int, default=1,
                    help="fitness = worst rank IC over this many consecutive train blocks (1: the mean)")
    ap.add_argument("--candidates-per-round", type=int, default=MiningConfig.candidates_per_round,
                    help="best distinct formulas of each round offered to the pool")
    ap.add_argument("--max-scanned-per-round", type=int, default=MiningConfig.max_scanned_per_round,
                    help="how far down each round's scored formulas the search for distinct candidates goes "
                         "(= --candidates-per-round: only the best few, near-copies skipped)")
    ap.add_argument("--diversity", type=float, default=MiningConfig.diversity,
                    help="weight of the max-|rank corr|-with-the-pool penalty in the fitness")
    ap.add_argument("--no-valid-check", action="store_true",
                    help="admit candidates on train alone (no validation-sign rule, MiningConfig.valid_check)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    path, split = DATA[args.data]
    if not Path(path).exists():
        sys.exit(f"{path} is absent; this benchmark needs the shared data (see /work/shared/data/MANIFEST.txt)")
    panel = load_panel(path)
    h = args.horizon
    out = {"data": args.data, "panel": {k: v for k, v in panel.report.items() if k != "late_listings"},
           "n_late_listings": len(panel.report.get("late_listings", {})), "split": vars(split),
           "horizon": h, "seeds": args.seeds, "machine": platform.processor() or platform.machine(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "args": vars(args)}
    print(f"mining {args.rounds} x {args.round_seconds:g} s (gp), then random at equal evaluations; "
          f"seeds {args.seeds}", flush=True)
    from joblib import Parallel, delayed

    runs = Parallel(n_jobs=len(args.seeds))(delayed(mine_seed)(args, s) for s in args.seeds)
    rows = [r for run in runs for r in run["rows"]]
    if len(runs) > 1:  # the mean over seeds of each pool kind
        for kind in ("mined pool (gp)", "random formulas pool"):
            mine_rows = [r for r in rows if r["kind"] == kind]
            mean = {k: float(np.mean([r[k] for r in mine_rows])) for k in mine_rows[0]
                    if isinstance(mine_rows[0][k], (int, float)) and k != "seed"}
            rows.append({**mean, "set": f"{kind}, mean of {len(mine_rows)} seeds", "kind": kind})
    classic = baselines_for(panel.fields)  # the ones this data's fields allow
    hand = {name: factor_values(f, panel) for name, f in classic.items()}
    hand_rows = [test_row(name, v, panel, split, h) for name, v in hand.items()]
    best = max(hand_rows, key=lambda r: abs(r["test_rank_ic"]) if np.isfinite(r["test_rank_ic"]) else -1)
    rows.append({**best, "set": f"hand-written best single on test ({best['set']}, |rank IC|)"})
    composite = train_signed_composite(list(classic.values()), panel, split, h)
    rows.append(test_row(f"hand-written train-signed composite, {len(hand)} factors", composite, panel, split, h))
    out.update(rows=rows, runs=runs, handwritten=hand_rows)

    stem = args.out or str(ROOT / "benchmarks" / "results" / "alpha" / f"alpha_{args.data}")
    Path(stem).parent.mkdir(parents=True, exist_ok=True)
    Path(stem + ".json").write_text(json.dumps(out, indent=2, default=lambda o: None if o != o else str(o)))
    lines = ["| set | test IC | test rank IC | rank IC t (HAC) | test rank IR | LS IR gross | LS IR net | turnover | evals |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        evals = f"{r['n_evals']:,.0f}" if "n_evals" in r else ""
        lines.append(f"| {r['set']} | {r['test_ic']:.4f} | {r['test_rank_ic']:.4f} | {r['test_rank_ic_t']:.2f} | "
                     f"{r['test_rank_ir']:.3f} | "
                     f"{r['ls_ir_gross']:.2f} | {r['ls_ir_net']:.2f} | {r['turnover']:.3f} | {evals} |")
    for run in runs:
        lines += ["", f"Mined pool, seed {run['seed']} (train / valid / test rank IC per factor):", "",
                  "| formula | weight | train rank IC | valid rank IC | test rank IC | test turnover |",
                  "|---|---|---|---|---|---|"]
        for rec in run["gp_table"]:
            lines.append(f"| `{rec['formula']}` | {rec['weight']:.4f} | {rec['train_rank_ic']:.4f} | "
                         f"{rec['valid_rank_ic']:.4f} | {rec['test_rank_ic']:.4f} | {rec['test_turnover']:.3f} |")
    Path(stem + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    for run in runs:
        print(f"seed {run['seed']}: mining wall time gp {run['gp']['wall_time']:.0f} s ({run['gp']['n_evals']} evals), "
              f"random {run['random']['wall_time']:.0f} s ({run['random']['n_evals']} evals)")


if __name__ == "__main__":
    main()
