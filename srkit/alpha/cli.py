"""``srkit alpha``: evaluate, mine and backtest formulaic factors from the shell.

    srkit alpha eval PRICES "FORMULA" --horizon 5 [--start D] [--end D] [--json out.json]
    srkit alpha mine PRICES --horizon 5 --searcher gp [--train A:B --valid A:B --test A:B]
                     [--rounds 10 --time-per-round 60] [--pool pool.json] [--json out.json]
    srkit alpha mine PRICES --searcher llm [--llm-base-url URL --llm-model NAME
                     --llm-api-key KEY --llm-log calls.jsonl] ...
    srkit alpha backtest PRICES (--formula F | --pool pool.json) [--strategy topk|long_short]
                     [--start D --end D] [--plot curve.png] [--json out.json]

PRICES is a folder of per-asset CSV files or one long CSV/parquet file.  The
JSON of ``eval`` and ``mine`` share their top-level keys (formula, ic, rank_ic,
icir, rank_ir, turnover, n_dates, horizon, start, end); for ``mine`` they
describe the pool's combined factor on the test period.

Every output file (``--json``, ``--pool`` of ``mine``, ``--plot``) is checked before
the panel is loaded; an existing one needs ``--force``; files are written atomically.
The panel's load report (gaps, late listings, the vwap proxy) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``alpha`` command to the ``srkit`` parser's subparsers."""
    alpha = subparsers.add_parser("alpha", help="mine and evaluate formulaic stock factors",
                                  description="Alpha factor mining on daily price panels (dates x assets).")
    sub = alpha.add_subparsers(dest="alpha_command", metavar="ACTION")

    ev = sub.add_parser("eval", help="IC, rank IC, rank IR and turnover of one formula")
    _prices(ev)
    ev.add_argument("formula", help='factor formula, e.g. "-ts_pct(close, 5)"')
    ev.add_argument("--horizon", type=int, default=5, help="forward-return horizon in days (default 5)")
    ev.add_argument("--start", help="first date scored (default: first date)")
    ev.add_argument("--end", help="last date scored (default: last date)")
    ev.add_argument("--json", help="write the metrics to this JSON file")
    _force(ev)

    mi = sub.add_parser("mine", help="mine a pool of factors with a searcher")
    _prices(mi)
    mi.add_argument("--horizon", type=int, default=5, help="forward-return horizon in days (default 5)")
    from srkit.search import SEARCHERS

    # (mcts and dsn fit one target per row, not panels; auto is gp on panels)
    mi.add_argument("--searcher", default="gp", choices=sorted({*SEARCHERS, "random"} - {"mcts", "dsn"}),
                    help="search method (default gp; random is the baseline)")
    for name in ("train", "valid", "test"):
        mi.add_argument(f"--{name}", metavar="START:END", help=f"{name} period (default: 60/20/20 by date)")
    mi.add_argument("--rounds", type=int, default=10, help="search rounds (default 10)")
    mi.add_argument("--time-per-round", type=float, default=60.0, help="seconds per round (default 60)")
    mi.add_argument("--evals-per-round", type=int, help="evaluations per round (reproducible budget)")
    mi.add_argument("--pool-size", type=int, default=10, help="pool capacity (default 10)")
    mi.add_argument("--diversity", type=float, default=0.5, help="max-correlation penalty weight (default 0.5)")
    mi.add_argument("--search-assets", type=int, default=250, help="assets the search sees (0: all)")
    mi.add_argument("--ic-blocks", type=int, default=1,
                    help="fitness = worst rank IC over this many consecutive train blocks (default 1: the mean)")
    mi.add_argument("--windows", default=None, metavar="N,N,...",
                    help="time-series windows of the search, in days (default 5,10,20,40; on S&P 500 "
                         "10,20,60,120 with --ic-blocks 3 gave the best pools, benchmarks/RESULTS.md, "
                         "\"Alpha mining\")")
    mi.add_argument("--candidates-per-round", type=int, default=10,
                    help="distinct formulas offered to the pool per round (default 10)")
    mi.add_argument("--max-scanned-per-round", type=int, default=40,
                    help="how far down a round's scored formulas the search for distinct ones goes (default 40)")
    mi.add_argument("--no-valid-check", action="store_true",
                    help="admit on train alone, without the rule that the valid rank IC keeps the train sign")
    mi.add_argument("--walk-forward", action="store_true",
                    help="mine rolling folds of train/valid/test (--train-days, --valid-days, --test-days): each "
                         "fold's choices use its train and valid dates only, each test window is scored once")
    mi.add_argument("--train-days", type=int, default=504, help="walk-forward train window (default 504, ~2 years)")
    mi.add_argument("--valid-days", type=int, default=126, help="walk-forward valid window (default 126)")
    mi.add_argument("--test-days", type=int, default=126, help="walk-forward test window and step (default 126)")
    mi.add_argument("--expanding", action="store_true", help="walk-forward: train from the first date on")
    mi.add_argument("--cost-bps", type=float, default=5.0,
                    help="walk-forward: long-short cost in basis points per unit traded (default 5)")
    mi.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    mi.add_argument("--pool", help="save the pool (formulas, weights, ICs) to this JSON file "
                                   "(for `srkit alpha backtest --pool`)")
    mi.add_argument("--json", help="write the results to this JSON file")
    _force(mi)
    mi.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    from srkit.search.llm.cli_options import add_llm_arguments  # shared with `srkit fit`

    add_llm_arguments(mi)

    bt = sub.add_parser("backtest", help="top-k/drop-n or long-short backtest of a formula or a saved pool")
    _prices(bt)
    src = bt.add_mutually_exclusive_group(required=True)
    src.add_argument("--formula", help="factor formula")
    src.add_argument("--pool", help="a pool JSON written by `srkit alpha mine --pool`")
    bt.add_argument("--strategy", default="long_short", choices=["long_short", "topk"])
    bt.add_argument("--k", type=int, default=50, help="top-k holdings (default 50)")
    bt.add_argument("--n-drop", type=int, default=5, help="names replaced per day (default 5)")
    bt.add_argument("--quantile", type=float, default=0.2, help="long-short quantile (default 0.2)")
    bt.add_argument("--cost", type=float, default=None,
                    help="cost per unit traded, as a fraction (default 0.0015, i.e. 15 bps)")
    bt.add_argument("--cost-bps", type=float, default=None, help="the same in basis points (e.g. 5)")
    bt.add_argument("--start")
    bt.add_argument("--end")
    bt.add_argument("--plot", help="save the cumulative-return curve as PNG (needs matplotlib)")
    bt.add_argument("--json", help="write the metrics to this JSON file")
    _force(bt)


def _prices(p: argparse.ArgumentParser) -> None:
    p.add_argument("prices", help="folder of per-asset CSVs or one long CSV/parquet file")
    p.add_argument("--groups", metavar="COLUMN|CSV",
                   help="per-asset groups (sector, industry) for group_demean(x, group) and group_rank(x, group): "
                        "a text column of the data, or a CSV file of asset,group")


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _period(text: str | None, flag: str) -> tuple[Any, Any]:
    if text is None:
        return None, None
    if ":" not in text:
        raise ValueError(f"--{flag} must be START:END (e.g. 2013-02-01:2015-12-31), got {text!r}")
    a, b = text.split(":", 1)
    return a or None, b or None


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _write(out: dict[str, Any], path: str | None) -> None:
    """Print ``out`` as JSON, or write it atomically to ``path`` (an earlier file survives a crash)."""
    from srkit.cli import writing
    from srkit.io import atomic_write

    text = json.dumps(_clean(out), indent=2, default=str)
    if path:
        with writing(path, "--json"):
            atomic_write(path, text + "\n")
    print(text if not path else f"wrote {path}")


def _print_report(panel: Any) -> None:
    """Tell the user what the loader found (gaps, late listings, vwap proxy), on stderr so
    that stdout stays the JSON result."""
    text = panel.report_text()
    if text:
        print(text, file=sys.stderr)


def _check_args(args: argparse.Namespace) -> None:
    """Everything that can be checked before the panel is loaded: output paths, inputs, extras."""
    from srkit.cli import check_outputs
    from srkit.search.llm.cli_options import check_llm_arguments

    command = args.alpha_command
    if command == "mine":
        check_outputs(args, ["--pool", "--json"], append=["--llm-log"])
        for name in ("train", "valid", "test"):
            _period(getattr(args, name), name)
        if args.windows:
            _windows(args.windows)
        check_llm_arguments(args)
    elif command == "backtest":
        check_outputs(args, ["--plot", "--json"])
        if args.pool is not None:
            _check_pool_input(args.pool)
        if args.plot:
            from srkit._optional import require

            require("matplotlib", "--plot", "notebooks")
    else:
        check_outputs(args, ["--json"])


def _check_pool_input(path: str) -> None:
    """``backtest --pool`` reads a pool: say at once when it is missing or not a pool."""
    from pathlib import Path

    from srkit.alpha.pool import FactorPool

    if not Path(path).is_file():
        raise ValueError(f"--pool: {path!r} is not a file; write a pool first with "
                         f"`srkit alpha mine PRICES --pool {path}`")
    FactorPool._read(path)  # not JSON, or not a pool: said before the panel is loaded


def run(args: argparse.Namespace) -> int:
    """Run an ``srkit alpha`` command; returns the exit status."""
    from srkit.alpha import load_panel

    if not getattr(args, "alpha_command", None):
        print("usage: srkit alpha {eval,mine,backtest} ... (see srkit alpha -h)", file=sys.stderr)
        return 2
    _check_args(args)
    panel = load_panel(args.prices, groups=args.groups)
    _print_report(panel)
    if args.alpha_command == "eval":
        return _eval(args, panel)
    if args.alpha_command == "mine":
        return _mine(args, panel)
    return _backtest(args, panel)


def _eval(args: argparse.Namespace, panel: Any) -> int:
    from srkit.alpha import evaluate

    out = evaluate(args.formula, panel, horizon=args.horizon, start=args.start, end=args.end)
    if not out.get("n_dates"):
        # every metric is nan: say why rather than print a JSON of nulls with status 0
        raise ValueError(_why_unscored(args, panel, out))
    _write(out, args.json)
    return 0


def _why_unscored(args: argparse.Namespace, panel: Any, out: dict[str, Any]) -> str:
    """Why no date could be scored: a factor that is never finite, one with no spread
    across assets, or a period without forward returns."""
    import numpy as np

    from srkit.alpha.formula import factor_values

    formula = out.get("formula", args.formula)
    values = factor_values(args.formula, panel)
    mask = panel.date_mask(args.start, args.end)
    first, last = panel.dates[0].date(), panel.dates[-1].date()
    if not mask.any():
        return (f"no date of the panel ({first} to {last}) lies between --start {args.start or first} and "
                f"--end {args.end or last}; choose dates inside it")
    if not np.isfinite(values[mask]).any():
        return (f"the factor {formula} is never finite from {out.get('start')} to {out.get('end')} "
                "(a division by zero, or the log of a negative number?); nothing to score")
    if not any(np.unique(row[np.isfinite(row)]).size > 1 for row in values[mask]):
        return (f"the factor {formula} has the same value for every asset on every date; "
                "a factor must rank assets (use fields such as close or volume)")
    return (f"no date between {out.get('start')} and {out.get('end')} has both factor values and "
            f"{args.horizon}-day forward returns; widen --start/--end or lower --horizon")


def _mine(args: argparse.Namespace, panel: Any) -> int:
    from srkit.alpha import Split
    from srkit.alpha.mine import MiningConfig, mine
    from srkit.search.llm.cli_options import llm_settings

    periods = [_period(getattr(args, n), n) for n in ("train", "valid", "test")]
    if args.walk_forward and any(p != (None, None) for p in periods):
        raise ValueError("--walk-forward makes its own periods; drop --train/--valid/--test and set "
                         "--train-days, --valid-days, --test-days")
    if all(p == (None, None) for p in periods):
        split = Split.by_fraction(panel)
    else:
        split = Split(*periods[0], *periods[1], *periods[2])
    cfg = MiningConfig(horizon=args.horizon, pool_size=args.pool_size, rounds=args.rounds,
                       time_per_round=None if args.evals_per_round else args.time_per_round,
                       evals_per_round=args.evals_per_round, diversity=args.diversity,
                       search_assets=args.search_assets or None, ic_blocks=args.ic_blocks,
                       candidates_per_round=args.candidates_per_round,
                       max_scanned_per_round=args.max_scanned_per_round, valid_check=not args.no_valid_check,
                       **({"windows": _windows(args.windows)} if args.windows else {}))
    progress = None if args.quiet else (lambda info: print(
        f"round {info['round']}: {info['n_evals']} evals, pool {info['pool_size']}, "
        f"train IC {info['pool_train_ic']:.4f}, +{len(info['admitted'])}", file=sys.stderr))
    if args.walk_forward:
        return _walk_forward(args, panel, cfg)
    result = mine(panel, split, searcher=args.searcher, config=cfg, random_state=args.seed, progress=progress,
                  llm=llm_settings(args))
    if args.pool:
        from srkit.cli import writing

        with writing(args.pool, "--pool"):
            result.pool.save(args.pool)
        print(f"saved the pool ({len(result.pool)} formulas) to {args.pool}", file=sys.stderr)
    out: dict[str, Any] = {"formula": "pool of " + str(len(result.pool)), "ic": None, "rank_ic": None,
                           "icir": None, "rank_ir": None, "turnover": None, "n_dates": 0,
                           "horizon": args.horizon, "start": split.test_start, "end": split.test_end}
    if len(result.pool):
        from srkit.alpha.formula import factor_values
        from srkit.alpha.metrics import factor_metrics, forward_returns, period_labels

        combined = result.pool.combined([factor_values(f, panel) for f in result.pool.formulas])
        mask = panel.date_mask(split.test_start, split.test_end)
        out.update(factor_metrics(combined, period_labels(forward_returns(panel, args.horizon), mask, args.horizon), mask,
                                    args.horizon))
    out.update(result.to_dict())
    _write(out, args.json)
    return 0


def _walk_forward(args: argparse.Namespace, panel: Any, cfg: Any) -> int:
    from srkit.alpha.walk_forward import walk_forward
    from srkit.search.llm.cli_options import llm_settings

    if args.pool:
        raise ValueError("--walk-forward mines one pool per fold; their formulas are in --json (drop --pool)")
    progress = None if args.quiet else (lambda info: print(
        f"fold {info['fold']}/{info['of']}: test {info['split']['test_start']}..{info['split']['test_end']}, "
        f"{len(info['formulas'])} factors, test rank IC {info['test'].get('rank_ic', float('nan')):.4f}, "
        f"net return {info['test'].get('net_return', float('nan')):.3f}", file=sys.stderr))
    res = walk_forward(panel, train_days=args.train_days, valid_days=args.valid_days, test_days=args.test_days,
                       expanding=args.expanding, searcher=args.searcher, config=cfg, random_state=args.seed,
                       cost_bps=args.cost_bps, progress=progress, llm=llm_settings(args))
    if not args.quiet:
        print(res.table().to_string(index=False), file=sys.stderr)
    _write(res.to_dict(), args.json)
    return 0


def _windows(text: str) -> tuple[int, ...]:
    """``"10,20,60"`` -> ``(10, 20, 60)``; a clear error for anything else."""
    try:
        windows = tuple(int(w) for w in text.split(","))
    except ValueError:
        windows = ()
    from srkit.alpha.operators import WINDOWS

    if not windows or any(w not in WINDOWS for w in windows):
        raise ValueError("--windows needs positive whole numbers of days separated by commas, each one of "
                         f"{','.join(map(str, WINDOWS))}, e.g. 10,20,60; got {text!r}")
    return windows


def _backtest(args: argparse.Namespace, panel: Any) -> int:
    from srkit.alpha.backtest import backtest
    from srkit.alpha.formula import factor_values
    from srkit.alpha.pool import FactorPool

    scores = factor_values(args.formula, panel) if args.formula else FactorPool.combined_from_file(args.pool, panel)
    if args.cost is not None and args.cost_bps is not None:
        raise ValueError("give --cost (a fraction) or --cost-bps (basis points), not both")
    cost = args.cost_bps / 1e4 if args.cost_bps is not None else (0.0015 if args.cost is None else args.cost)
    res = backtest(scores, panel, strategy=args.strategy, k=args.k, n_drop=args.n_drop,
                   quantile=args.quantile, cost=cost, start=args.start, end=args.end)
    if args.plot:
        from srkit.cli import writing

        with writing(args.plot, "--plot"):
            res.plot(args.plot, title=args.formula or f"pool {args.pool}")
        print(f"saved the plot to {args.plot}", file=sys.stderr)
    _write({"strategy": res.strategy, **res.params, **res.metrics}, args.json)
    return 0
