"""The llm searcher with the local model of the ``llm`` extra against the grammar-random proposer.

    python benchmarks/bench_llm_local.py speed --calls 16
    python benchmarks/bench_llm_local.py alpha --data sp500 --evals-per-round 3000 --rounds 3

``speed``: a real llm search on Nguyen-1 with the bundled SmolLM2-135M-Instruct
(llama.cpp in-process), ``max_concurrency`` 1 and 4, the same number of model calls
each: calls per second, completion tokens per second, total time, parse rate.

``alpha``: one alpha split (train/valid/test of ``bench_alpha.py``), the llm
searcher mining a pool with the local model and with the grammar-random proposer at
the same evaluations per round; the pools' test rank IC.

The recovery comparison on Nguyen-1..12 runs through ``benchmarks/run.py`` (equal
evaluations; see RESULTS.md).  Every row records the git commit.  Writes
benchmarks/results/llm/local_<mode>.jsonl.
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

from srkit.core import as_dataset, default_registry  # noqa: E402
from srkit.fitness import Evaluator  # noqa: E402
from srkit.problems import get  # noqa: E402
from srkit.search.base import Budget, Problem  # noqa: E402
from srkit.search.llm import LLMConfig, LLMSearcher, LocalModelClient  # noqa: E402
from srkit.search.llm.gbnf import formula_gbnf  # noqa: E402
from srkit.search.llm.client import CallLog  # noqa: E402


def speed(args: argparse.Namespace) -> list[dict]:
    X, y = get("Nguyen-1").sample("train", random_state=0)
    data = as_dataset(X, y, feature_names=["x"])
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "cos", "exp", "log"], ["x"])
    commit, dirty = git_state()
    rows = []
    for concurrency in args.concurrency:
        log = CallLog(None)
        # the same calls for each concurrency: a call budget, and no early stop on an exact fit
        config = LLMConfig(max_concurrency=concurrency, patience_after_exact=10**6)
        client = LocalModelClient(max_concurrency=concurrency, max_calls=args.calls, max_tokens=args.max_tokens,
                                  log=log, formula_grammar=formula_gbnf(ops, 2 * config.tree.n_per_call))
        searcher = LLMSearcher(config, client=client)
        problem = Problem(data, ops, Evaluator(data))
        started = time.perf_counter()
        result = searcher.search(problem, budget=Budget(time=args.time_limit), rng=np.random.default_rng(2))
        wall = time.perf_counter() - started
        calls = [r for r in log.records if r["reply"] is not None]
        tokens = sum(r["usage"].get("completion_tokens", 0) for r in calls)
        engine = searcher.engine
        row = {"mode": "speed", "problem": "Nguyen-1", "max_concurrency": concurrency, "model": client.model,
               "calls": len(calls), "wall": round(wall, 2), "calls_per_s": round(len(calls) / wall, 3),
               "completion_tokens": tokens, "completion_tokens_per_s": round(tokens / wall, 1),
               "parsed_share": round(1 - engine.n_parse_failures / max(engine.n_calls, 1), 3),
               "n_evals": result.n_evals, "best": result.best.expr.format(4) if result.best else None,
               "commit": commit, "dirty": dirty, "machine": machine(),
               "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def alpha(args: argparse.Namespace) -> list[dict]:
    from bench_alpha import DATA, test_row
    from srkit.alpha import load_panel
    from srkit.alpha.formula import factor_values
    from srkit.alpha.mine import MiningConfig, mine
    from srkit.alpha.pool import combine

    folder, split = DATA[args.data]
    panel = load_panel(folder)
    commit, dirty = git_state()
    rows = []
    for proposer in ("local", "random"):
        cfg = MiningConfig(rounds=args.rounds, time_per_round=args.round_seconds,
                           evals_per_round=args.evals_per_round, search_assets=args.search_assets)
        started = time.perf_counter()
        res = mine(panel, split, searcher="llm", config=cfg, random_state=args.seed,
                   llm={"proposer": proposer, "max_tokens": args.max_tokens})
        wall = time.perf_counter() - started
        values = [factor_values(f, panel) for f in res.pool.formulas]
        composite = combine(values, res.pool.weights) if values else None
        test = test_row(f"llm-{proposer}", composite, panel, split, cfg.horizon) if composite is not None else {}
        row = {"mode": "alpha", "data": args.data, "proposer": proposer, "seed": args.seed,
               "model": res.rounds[0].get("proposer") if res.rounds else None,
               "rounds": args.rounds, "evals_per_round": args.evals_per_round, "n_evals": res.n_evals,
               "llm_calls": sum(r.get("llm_calls", 0) for r in res.rounds), "pool": len(res.pool),
               "wall": round(wall, 1), **{k: v for k, v in test.items() if k != "set"},
               "commit": commit, "dirty": dirty, "machine": machine(),
               "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--calls", type=int, default=16)
    s.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    s.add_argument("--max-tokens", type=int, default=512)
    s.add_argument("--time-limit", type=float, default=600.0)
    a = sub.add_parser("alpha")
    a.add_argument("--data", default="sp500")
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--evals-per-round", type=int, default=3000)
    a.add_argument("--round-seconds", type=float, default=None)
    a.add_argument("--search-assets", type=int, default=200)
    a.add_argument("--max-tokens", type=int, default=512)
    a.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows = speed(args) if args.mode == "speed" else alpha(args)
    out = Path(args.out or ROOT / "benchmarks" / "results" / "llm" / f"local_{args.mode}.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
