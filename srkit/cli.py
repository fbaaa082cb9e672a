"""The ``srkit`` command.

    srkit fit data.csv --target y [--searcher gp] [--time-budget 60] [--output result.json]
    srkit demo [--time-budget 20]
    srkit problems list [--suite nguyen]
    srkit cf eval|identify|search|cluster ...   (continued fractions; see srkit cf --help)
    srkit alpha eval|mine|backtest PRICES ...   (alpha factors; see srkit alpha --help)
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["main", "build_parser"]

_EPILOG = """examples:
  srkit demo                                   fit a physics law from generated noisy data
  srkit fit data.csv --target y                fit y from every other column (60 s)
  srkit fit data.csv --target F --features m,a --operators add,mul,div --time-budget 30
  srkit fit data.csv --target y --output model.json   save the front and the chosen model
  srkit problems list --suite nguyen           list benchmark problems
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srkit",
        description="Symbolic regression: find the formula behind your data.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from srkit import __version__

    parser.add_argument("--version", action="version", version=f"srkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = sub.add_parser("fit", help="find a formula for one column of a CSV file",
                         description="Find a formula for TARGET from the other columns of a CSV file "
                                     "(header row required); prints the Pareto front and the chosen formula.")
    fit.add_argument("csv", help="CSV file with a header row")
    fit.add_argument("--target", "-t", required=True, help="column to explain (y)")
    fit.add_argument("--features", help="comma-separated feature columns (default: all others)")
    _add_search_options(fit)
    fit.add_argument("--output", "-o", help="write the fitted model (front + choice) to this JSON file")

    demo = sub.add_parser("demo", help="fit a physics law from generated noisy data (no files needed)")
    _add_search_options(demo, default_budget=20.0)

    problems = sub.add_parser("problems", help="benchmark problem library")
    psub = problems.add_subparsers(dest="problems_command", metavar="ACTION")
    plist = psub.add_parser("list", help="list problems")
    plist.add_argument("--suite", help="only this suite (e.g. nguyen, feynman)")

    from srkit.alpha.cli import register as register_alpha  # srkit alpha ... (factor mining)
    from srkit.contfrac.cli import register as register_cf  # srkit cf ... (continued fractions)

    register_cf(sub)
    register_alpha(sub)
    return parser


def _add_search_options(p: argparse.ArgumentParser, default_budget: float = 60.0) -> None:
    from srkit.search import SEARCHERS

    p.add_argument("--searcher", default="gp", choices=sorted(SEARCHERS), help="search method (default gp)")
    p.add_argument("--time-budget", type=float, default=default_budget,
                   help=f"seconds of search (default {default_budget:g})")
    p.add_argument("--max-evals", type=int, help="evaluation budget")
    p.add_argument("--operators", help="comma-separated operator names (default: add,sub,mul,div,sin,cos,exp,log,sqrt,pow)")
    p.add_argument("--loss", default="mse", help="mse, nmse, rmse, mae or r2 (default mse)")
    p.add_argument("--max-size", type=int, default=30, help="largest formula in nodes (default 30)")
    p.add_argument("--selection", default="best", choices=["best", "accuracy", "score"],
                   help="model selection on the Pareto front (default best)")
    p.add_argument("--seed", type=int, help="random seed (same seed + eval budget: same result)")
    p.add_argument("--n-jobs", type=int, default=1, help="parallel workers for coefficient fitting")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    add_llm_arguments(p)

    p.add_argument("--searcher-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a searcher setting, repeatable (e.g. --searcher dsn --searcher-option "
                        "'depths=(1, 2)' --searcher-option refine=False); see the searcher's config class")


def _regressor(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from srkit import SymbolicRegressor

    operators = [o.strip() for o in args.operators.split(",") if o.strip()] if args.operators else None
    searcher = args.searcher
    if getattr(args, "searcher_option", None):
        from srkit.search import make_searcher

        searcher = make_searcher(args.searcher, **_searcher_options(args.searcher_option))
    return SymbolicRegressor(
        searcher=searcher, operators=operators, time_budget=args.time_budget,
        max_evals=args.max_evals, loss=args.loss, max_size=args.max_size,
        model_selection=args.selection, random_state=args.seed, n_jobs=args.n_jobs,
        verbose=0 if args.quiet else 1, llm=_llm_settings(args),
    )


def add_llm_arguments(p: argparse.ArgumentParser) -> None:
    """The --llm-* options (``srkit fit`` and ``srkit alpha mine``); read back with :func:`_llm_settings`."""
    llm = p.add_argument_group("llm searcher (--searcher llm; any OpenAI-compatible server)")
    llm.add_argument("--llm-base-url", help="e.g. http://localhost:11434/v1 (Ollama); default $OPENAI_BASE_URL")
    llm.add_argument("--llm-model", help="model name as the server knows it, e.g. llama3.1")
    llm.add_argument("--llm-api-key", help="API key (default $OPENAI_API_KEY; local servers need none)")
    llm.add_argument("--llm-log", help="append every prompt and reply to this JSONL file")


def _llm_settings(args: argparse.Namespace) -> dict[str, str] | None:
    """The llm searcher's settings from --llm-* (None for other searchers)."""
    given = {k: v for k, v in (("base_url", args.llm_base_url), ("model", args.llm_model),
                               ("api_key", args.llm_api_key), ("log_path", args.llm_log)) if v is not None}
    if args.searcher != "llm":
        if given:
            raise ValueError("the --llm-* options need --searcher llm")
        return None
    from srkit.search.llm import endpoint_configured

    if not args.llm_model and not endpoint_configured(args.llm_base_url):
        print("srkit: no LLM endpoint configured (--llm-base-url or OPENAI_BASE_URL): formulas come from the "
              "grammar-random proposer, the random baseline", file=sys.stderr)
    return given


def _searcher_options(items: Sequence[str]) -> dict[str, object]:
    """``["depths=(1, 2)", "refine=False"]`` -> ``{"depths": (1, 2), "refine": False}``."""
    import ast

    options: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--searcher-option needs KEY=VALUE, got {item!r}")
        try:
            options[key.strip().replace("-", "_")] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            options[key.strip().replace("-", "_")] = text.strip()  # a plain string such as cpu
    return options


def _print_result(model, out=None) -> None:  # type: ignore[no-untyped-def]
    out = out or sys.stdout
    rows = model.pareto_front_
    width = max(len("equation"), *(len(_short(r["equation"])) for r in rows))
    out.write(f"\nPareto front ({len(rows)} formulas; * = chosen)\n")
    out.write(f"  {'complexity':>10}  {'loss':>11}  {'score':>8}  {'equation':<{width}}\n")
    for r in rows:
        mark = "*" if r["selected"] else " "
        out.write(f"{mark} {r['complexity']:>10g}  {r['loss']:>11.4e}  {r['score']:>8.3f}  {_short(r['equation'])}\n")
    out.write(f"\nChosen formula: {model.best_.expr.format(6)}\n")
    out.write(f"  sympy:  {model.sympy(precision=6)}\n")
    out.write(f"  latex:  {model.latex()}\n")
    res = model.result_
    out.write(f"  search: {res.searcher}, {res.n_evals} evaluations, {res.iterations} iterations, "
              f"{res.wall_time:.1f} s, stopped by {res.stopped_by or 'budget'}\n")


def _short(equation: str) -> str:
    from srkit.core.parse import parse  # re-print with 6 significant digits for the table

    try:
        return parse(equation).format(6)
    except ValueError:
        return equation


def _cmd_fit(args: argparse.Namespace) -> int:
    from srkit.core.data import read_csv

    features = [f.strip() for f in args.features.split(",")] if args.features else None
    data = read_csv(args.csv, args.target, features)
    model = _regressor(args)
    model.fit(data.X, data.y, feature_names=data.feature_names)
    _print_result(model)
    if args.output:
        model.save(args.output)
        print(f"\nSaved to {args.output}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from srkit.examples import gravity_data

    X, y, names, truth = gravity_data()
    if not args.operators:  # the notebook's set: without pow, noise cannot bend r**2 into r**2.004
        args.operators = "add,sub,mul,div,sqrt,exp,log"
    print(f"Demo: {len(y)} noisy samples of {truth}  (variables {', '.join(names)}; 1% noise; "
          f"operators {args.operators})")
    model = _regressor(args)
    model.fit(X, y, feature_names=names)
    _print_result(model)
    return 0


def _cmd_problems(args: argparse.Namespace) -> int:
    from srkit import problems

    if args.problems_command != "list":
        print("usage: srkit problems list [--suite NAME]", file=sys.stderr)
        return 2
    chosen = problems.suite(args.suite) if args.suite else [problems.get(n) for n in problems.names()]
    print(problems.format_table(chosen))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``srkit`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from srkit.alpha.cli import run as _cmd_alpha

    handlers = {"fit": _cmd_fit, "demo": _cmd_demo, "problems": _cmd_problems, "cf": lambda a: a.func(a),
                "alpha": _cmd_alpha}
    try:
        return handlers[args.command](args)
    except (ValueError, TypeError, OSError) as exc:  # bad input: one clear line, no traceback
        print(f"srkit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
