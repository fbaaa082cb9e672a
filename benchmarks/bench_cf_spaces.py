"""Continued-fraction spaces beyond the paper's, searched in shards on a dask LocalCluster.

    # time a 1% sample first (every 100th block), then decide on the whole space
    python benchmarks/bench_cf_spaces.py --space d22 --sample 0.01
    python benchmarks/bench_cf_spaces.py --space d22 --checkpoint-dir /tmp/cf_d22   # resumable

Spaces: ``d22`` is a and b of degree 2 with coefficients in [-10, 10] (85.8 million PCFs, ~49x
the paper's degree-2 space in [-5, 5]); ``d13`` is a of degree 1 in [-10, 10] with b of
degree 3 in [-3, 3] (a cheaper first widening); ``d36`` is the Apery shape, a cubic a(n)
in [-3, 3] and a sextic b(n) in [-1, 1] (5.25 million PCFs). Every verified relation is checked again at
four times the verification depth; relations not in srkit.contfrac.catalog are "new" and go
to benchmarks/results/contfrac/new_relations_<space>.csv. One summary row (PCFs per second,
wall time, verified by constant, new vs known, slow, rejected false positives, extrapolated
time of the whole space for a sample) is appended to
benchmarks/results/contfrac/spaces.jsonl with the git commit.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _harness import git_state, machine  # noqa: E402

from srkit.contfrac import PCF  # noqa: E402
from srkit.contfrac.box import CoefficientBox  # noqa: E402
from srkit.contfrac.identification import Relation, verify_pcf  # noqa: E402
from srkit.contfrac.search import SearchConfig  # noqa: E402
from srkit.contfrac.shards import sharded_search  # noqa: E402

SPACES = {
    "d22": CoefficientBox(2, 2, (-10, 10), (-10, 10)),
    "d13": CoefficientBox(1, 3, (-10, 10), (-3, 3)),
    # the Apery shape: cubic a(n), sextic b(n) (b = -n**6 and its relatives lie in [-1, 1])
    "d36": CoefficientBox(3, 6, (-3, 3), (-1, 1)),
}


def recheck(records: list[dict], depth: int) -> list[dict]:
    """Each verified record checked again at ``depth`` (and twice it); returns the failures."""
    failed = []
    for r in records:
        rel = Relation(r["constant"], tuple(r["coefficients"]))
        again = verify_pcf(PCF(r["a"], r["b"]), rel, depth)
        if not again.verified:
            failed.append({**r, "recheck_status": again.status, "recheck_reason": again.details.get("reason", "")})
    return failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--space", choices=sorted(SPACES), default="d22")
    ap.add_argument("--sample", type=float, default=None, help="search this share of the blocks (e.g. 0.01)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--block-size", type=int, default=65536)
    ap.add_argument("--blocks-per-shard", type=int, default=2)
    ap.add_argument("--checkpoint-dir", default=None, help="shard checkpoints (default: a temporary folder)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--recheck-factor", type=int, default=4, help="recheck depth = this x the verification depth")
    args = ap.parse_args()
    box = SPACES[args.space]
    config = SearchConfig(metrics=False, block_size=args.block_size)
    n_blocks = -(-len(box) // config.block_size)
    blocks = None
    if args.sample:
        step = max(1, round(1 / args.sample))
        blocks = list(range(0, n_blocks, step))
    folder = Path(args.checkpoint_dir or tempfile.mkdtemp(prefix=f"cf_{args.space}_"))
    commit, dirty = git_state()
    print(f"# {args.space}: {len(box)} PCFs in {n_blocks} blocks; searching "
          f"{len(blocks) if blocks else n_blocks} blocks on {args.workers} workers; {machine()}; commit {commit}",
          flush=True)
    start = time.perf_counter()
    res = sharded_search(box, config, checkpoint_dir=folder, n_workers=args.workers,
                         blocks_per_shard=args.blocks_per_shard, resume=args.resume, blocks=blocks,
                         progress=lambda p: print(f"shards {p['shards_done']}/{p['shards']} {p['elapsed']}s "
                                                  f"verified {p['verified']}", flush=True))
    wall = time.perf_counter() - start
    tagged = res.tagged()
    failed = recheck(res.records, args.recheck_factor * config.verify_depth)
    new = [r for r in tagged if not r["known"]]
    out_dir = ROOT / "benchmarks" / "results" / "contfrac"
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"new_relations_{args.space}{'_sample' if blocks else ''}.csv"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["a", "b", "constant", "relation", "digits", "delta", "canonical"])
        w.writeheader()
        for r in new:
            w.writerow({k: (json.dumps(r[k]) if isinstance(r[k], list) else r[k]) for k in w.fieldnames})
    share = (len(blocks) / n_blocks) if blocks else 1.0
    row = {
        "space": args.space, "n_pcfs": len(box), "sample": share, "n_screened": res.n_screened,
        "wall_s": round(wall, 1), "pcfs_per_s": round(res.n_screened / wall, 1),
        "extrapolated_whole_space_s": round(wall / share, 1),
        "verified": len(res.records), "classes": len({r["canonical"] for r in res.records}),
        "new_classes": len({r["canonical"] for r in new}), "known": len(res.records) - len(new),
        "by_constant": dict(collections.Counter(r["constant"] for r in res.records)),
        "slow": len(res.slow), "rejected": len(res.rejected), "recheck_failed": len(failed),
        "recheck_depth": args.recheck_factor * config.verify_depth, "workers": args.workers,
        "commit": commit, "dirty": dirty, "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    with (out_dir / "spaces.jsonl").open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row, indent=1))
    print(f"new relations: {csv_path}")


if __name__ == "__main__":
    main()
