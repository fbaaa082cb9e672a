"""Re-judge stored benchmark rows with the current recovery rules (no fit is rerun).

    python benchmarks/tools/recheck.py benchmarks/results/run_a/run_a_60s.jsonl --out rechecked.jsonl

The rules of srkit.problems.recovery change rarely, and when they do, rows written before
the change hold the old verdicts.  This recomputes ``recovered``, ``recovered_exact``,
``recovered_srbench``, ``numeric_recovery``, ``test_r2`` and ``check_status`` of every row
with status ok, on the same test sample the harness used (``problem.sample("test",
random_state=seed)``), and records ``rechecked`` (date, commit, the verdicts that changed).
Fits, timings, expressions and the commit that made them are kept as they were.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _harness import git_state  # noqa: E402

from srkit import problems  # noqa: E402
from srkit.problems.recovery import check_recovery  # noqa: E402

RULES = ("recovered", "recovered_exact", "recovered_srbench", "numeric_recovery", "test_r2", "check_status")


def recheck(row: dict, timeout: float) -> dict:
    """``row`` with its verdicts recomputed by the current rules (unchanged unless status ok)."""
    if row.get("status") != "ok" or not row.get("expression"):
        return row
    problem = problems.get(row["problem"])
    X_test, y_test = problem.sample("test", random_state=row["seed"])
    new = check_recovery(row["expression"], problem, X_test, y_test, timeout=timeout).to_dict()
    changed = {k: [row.get(k), new[k]] for k in RULES[:4] if row.get(k) != new[k]}
    commit, dirty = git_state()
    return {**row, **new, "rechecked": {"date": time.strftime("%Y-%m-%d"), "commit": commit, "dirty": dirty,
                                        "changed": changed}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", required=True, help="JSONL file for the rechecked rows (never the input)")
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds per rule (as run.py's --check-timeout)")
    args = ap.parse_args()
    out = Path(args.out)
    if any(out.resolve() == Path(f).resolve() for f in args.files):
        raise SystemExit("--out must be a new file: the input rows stay as they were written")
    n = flips = 0
    with out.open("w") as fh:
        for path in args.files:
            for line in Path(path).read_text().splitlines():
                if not line.strip():
                    continue
                row = recheck(json.loads(line), args.timeout)
                n += 1
                changed = row.get("rechecked", {}).get("changed", {})
                if changed:
                    flips += 1
                    print(f"{row['method']:8s} {row['problem']:10s} noise {row['noise']}: {changed}", flush=True)
                fh.write(json.dumps(row, allow_nan=False) + "\n")
    print(f"{n} rows rechecked, {flips} with a changed verdict; written to {out}")


if __name__ == "__main__":
    main()
