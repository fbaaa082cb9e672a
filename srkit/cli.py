"""The ``srkit`` command.

    srkit fit data.csv --target y [--searcher gp] [--time-budget 60] [--output result.json]
    srkit demo [--time-budget 20]
    srkit problems list [--suite nguyen]
    srkit cf eval|identify|search|cluster ...   (continued fractions; see srkit cf --help)
    srkit alpha eval|mine|backtest PRICES ...   (alpha factors; see srkit alpha --help)

Errors a user can fix (a bad file, a bad option, a missing extra) print one line,
``srkit: error: <what is wrong and the fix>``, and exit with status 2; ``srkit
--debug ...`` (or ``SRKIT_DEBUG=1``) shows the traceback instead.  Ctrl-C outside a
search exits with 130; anything unexpected is reported as a bug with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any, Iterator, Sequence

__all__ = ["main", "build_parser", "error_message"]

#: Exit status of an error the user can fix (argparse uses the same for bad options).
EXIT_USAGE = 2
#: Exit status of an unexpected error (a bug in srkit).
EXIT_BUG = 1
#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

_EPILOG = """examples:
  srkit demo                                   fit a physics law from generated noisy data
  srkit fit data.csv --target y                fit y from every other column (60 s)
  srkit fit data.csv --target F --features m,a --operators add,mul,div --time-budget 30
  srkit fit data.csv --target y --output model.json   save the front and the chosen model
  srkit fit data.csv --target F --units m=kg a=m/s**2 F=N   search with physical units
  srkit problems list --suite nguyen           list benchmark problems
  srkit --debug fit data.csv --target y        show the full traceback of an error
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reads a value starting with a minus sign as a value, not an unknown option.

    Formulas often start with one: ``srkit cf eval "..." "-n**6"`` or
    ``srkit alpha backtest PRICES --formula "-ts_pct(close,5)"``.  Plain argparse takes
    these for options and fails with "expected one argument".  A single-dash word
    that is not one of the command's options (nor one with its value attached, such
    as ``-ofile.json``) is a value here.  Subcommand parsers inherit this class.
    """

    def _parse_optional(self, arg_string: str) -> Any:
        if (len(arg_string) > 1 and arg_string[0] == "-" and arg_string[1] != "-"
                and not any(arg_string.startswith(opt) for opt in self._option_string_actions
                            if not opt.startswith("--"))):
            return None
        return super()._parse_optional(arg_string)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="srkit",
        description="Symbolic regression: find the formula behind your data.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from srkit import __version__

    parser.add_argument("--version", action="version", version=f"srkit {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error (also: environment variable SRKIT_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = sub.add_parser("fit", help="find a formula for one column of a CSV file",
                         description="Find a formula for TARGET from the other columns of a CSV file "
                                     "(header row required); prints the Pareto front and the chosen formula.")
    fit.add_argument("csv", help="CSV file with a header row")
    fit.add_argument("--target", "-t", required=True, help="column to explain (y)")
    fit.add_argument("--features", help="comma-separated feature columns (default: all others)")
    fit.add_argument("--units", nargs="+", metavar="NAME=UNIT",
                     help="physical units of every feature and of the target, e.g. --units m=kg a=m/s**2 F=N "
                          "('1' for dimensionless): the search then uses dimensional analysis and keeps to "
                          "consistent formulas")
    fit.add_argument("--dimensionless-constants-only", action="store_true",
                     help="with --units: fitted constants must be pure numbers (by default they may carry units)")
    _add_search_options(fit)
    _add_output_options(fit)

    demo = sub.add_parser("demo", help="fit a physics law from generated noisy data (no files needed)")
    _add_search_options(demo, default_budget=20.0, default_seed=0)  # every user sees the same demo
    _add_output_options(demo)

    problems = sub.add_parser("problems", help="benchmark problem library")
    psub = problems.add_subparsers(dest="problems_command", metavar="ACTION")
    plist = psub.add_parser("list", help="list problems")
    plist.add_argument("--suite", help="only this suite (e.g. nguyen, feynman)")

    from srkit.alpha.cli import register as register_alpha  # srkit alpha ... (factor mining)
    from srkit.contfrac.cli import register as register_cf  # srkit cf ... (continued fractions)

    register_cf(sub)
    register_alpha(sub)
    return parser


def _add_search_options(p: argparse.ArgumentParser, default_budget: float = 60.0,
                        default_seed: int | None = None) -> None:
    from srkit.core.pareto import SELECTIONS
    from srkit.search import SEARCHERS

    p.add_argument("--searcher", default="auto", choices=sorted(SEARCHERS),
                   help="search method (default auto: closed form, then mcts, dsn and gp as one portfolio)")
    p.add_argument("--time-budget", type=float, default=default_budget,
                   help=f"seconds of search (default {default_budget:g})")
    p.add_argument("--max-evals", type=int, help="evaluation budget")
    p.add_argument("--operators", help="comma-separated operator names (default: add,sub,mul,div,sin,cos,exp,log,sqrt,pow)")
    p.add_argument("--loss", default="mse", help="mse, nmse, rmse, mae or r2 (default mse)")
    p.add_argument("--max-size", type=int, default=30, help="largest formula in nodes (default 30)")
    p.add_argument("--search-rows", type=int, default=10_000,
                   help="search on this many rows drawn at random when the data has more, then refit the "
                        "front on all rows (default 10000; 0: always all rows)")
    p.add_argument("--selection", default="mdl", choices=list(SELECTIONS),
                   help="model selection on the Pareto front: mdl (shortest description; does not "
                        "chase noise), or PySR's best, accuracy, score (default mdl)")
    p.add_argument("--seed", type=int, default=default_seed,
                   help="random seed (same seed + eval budget: same result)"
                        + (f"; default {default_seed}" if default_seed is not None else ""))
    p.add_argument("--n-jobs", type=int, default=1, help="parallel workers for coefficient fitting")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    from srkit.search.llm.cli_options import add_llm_arguments  # shared with `srkit alpha mine`

    add_llm_arguments(p)

    p.add_argument("--searcher-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a searcher setting, repeatable (e.g. --searcher dsn --searcher-option "
                        "'depths=(1, 2)' --searcher-option refine=False); see the searcher's config class")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", "-o", help="write the fitted model (front + choice) to this JSON file; "
                                          "when nothing was found, the state of the search")
    p.add_argument("--force", action="store_true", help="overwrite an existing --output file")


def check_outputs(args: argparse.Namespace, flags: Sequence[str], append: Sequence[str] = ()) -> None:
    """Check every output path of a command before any work (loading data, searching).

    ``flags`` are options that (over)write a file: an existing one needs ``--force``.
    ``append`` are options that append to a file (logs): only their folder is checked.
    Two options naming the same file are refused, since the second write would
    replace the first.
    """
    from srkit.io import check_output_path

    seen: dict[str, str] = {}
    for flag in (*flags, *append):
        path = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if path is None:
            continue
        check_output_path(path, force=bool(getattr(args, "force", False)) or flag in append, flag=flag)
        key = os.path.realpath(path)
        if key in seen:
            raise ValueError(f"{seen[key]} and {flag} both name {path!r}; give each its own file")
        seen[key] = flag


@contextlib.contextmanager
def writing(path: str, flag: str) -> Iterator[None]:
    """Name the flag and the file when writing an output fails (a full disk, a lost mount).

    Writes are atomic, so an earlier file at ``path`` is unchanged; the message says so.
    """
    try:
        yield
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise OSError(f"cannot write {flag} {path!r}: {why}; an earlier file there is unchanged") from exc


def write_json(path: str, record: Any) -> None:
    """Write ``record`` as indented JSON, atomically (an earlier file survives a crash mid-write)."""
    from srkit.io import atomic_write

    atomic_write(path, json.dumps(record, indent=2, allow_nan=True) + "\n")


def _regressor(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from srkit import SymbolicRegressor
    from srkit.search.llm.cli_options import llm_settings

    operators = [o.strip() for o in args.operators.split(",") if o.strip()] if args.operators else None
    searcher = args.searcher
    if getattr(args, "searcher_option", None):
        from srkit.search import make_searcher

        searcher = make_searcher(args.searcher, **_searcher_options(args.searcher_option))
    return SymbolicRegressor(
        searcher=searcher, operators=operators, time_budget=args.time_budget,
        max_evals=args.max_evals, loss=args.loss, max_size=args.max_size, search_rows=args.search_rows or None,
        model_selection=args.selection, random_state=args.seed, n_jobs=args.n_jobs,
        verbose=0 if args.quiet else 1, llm=llm_settings(args),
        dimensionless_constants_only=bool(getattr(args, "dimensionless_constants_only", False)),
    )


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
    chosen = next(r for r in rows if r["selected"])
    if "dimensionally_consistent" in chosen:
        carried = ", ".join(f"{c['value']:.6g} [{c['unit']}]" for c in chosen["constant_units"])
        out.write(f"  units:  {'consistent' if chosen['dimensionally_consistent'] else 'NOT consistent: ' + chosen.get('dimension_error', '')}"
                  f"{'; constants with units: ' + carried if carried else ''}\n")
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


def _units_option(items: Sequence[str] | None, target: str, features: Sequence[str],
                  columns: Sequence[str] = ()) -> tuple[dict[str, str] | None, str | None]:
    """``--units m=kg F=N`` -> (X_units by feature, y_units).

    >>> _units_option(["m=kg", "a=m/s**2", "F=N"], "F", ["m", "a"])
    ({'m': 'kg', 'a': 'm/s**2'}, 'N')
    """
    if not items:
        return None, None
    from srkit.core.operators import suggest

    x_units: dict[str, str] = {}
    y_units: str | None = None
    for item in items:
        name, sep, unit = item.partition("=")
        name, unit = name.strip(), unit.strip()
        if not sep or not name or not unit:
            raise ValueError(f"--units needs NAME=UNIT pairs such as m=kg or F=N, got {item!r}")
        if name == target:
            y_units = unit
        elif name in features:
            x_units[name] = unit
        elif name in columns:
            raise ValueError(f"--units gives a unit for {name!r}, a column that is not among the features "
                             f"({', '.join(features)}); add it to --features or drop its unit")
        else:
            raise ValueError(f"--units names {name!r}, which is neither the target ({target}) nor a feature "
                             f"({', '.join(features)}).{suggest(name, [*features, target])}")
    missing = [f for f in features if f not in x_units]
    if missing:
        raise ValueError(f"--units lacks the unit of {', '.join(missing)}; give every feature a unit "
                         "('1' for dimensionless), e.g. " + " ".join(f"{m}=1" for m in missing[:3]))
    return x_units, y_units


def _fit_and_report(args: argparse.Namespace, X: Any, y: Any, names: Sequence[str],
                    X_units: Any = None, y_units: Any = None) -> int:
    """Fit, print the front and save ``--output``; the shared end of ``fit`` and ``demo``.

    A search that ends (Ctrl-C, a fault, the budget) with no finite formula is one
    line on stderr and status 2, and ``--output`` still records the search's state.
    A search interrupted after it found formulas reports them as usual (status 0).
    """
    from srkit.estimator import NoFormulaError

    model = _regressor(args)
    try:
        model.fit(X, y, feature_names=list(names), X_units=X_units, y_units=y_units)
    except NoFormulaError as exc:
        print(f"srkit: error: {exc}", file=sys.stderr)
        if args.output:
            with writing(args.output, "--output"):
                write_json(args.output, exc.to_dict())
            print(f"srkit: saved the state of the search to {args.output}", file=sys.stderr)
        return EXIT_USAGE
    _print_result(model)
    if args.output:
        with writing(args.output, "--output"):
            model.save(args.output)
        print(f"\nSaved to {args.output}")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from srkit.core.data import read_csv

    # a bad --output is reported now, not after a search of many minutes
    check_outputs(args, ["--output"], append=["--llm-log"])
    features = [f.strip() for f in args.features.split(",")] if args.features else None
    data = read_csv(args.csv, args.target, features)
    columns = _header(args.csv) if args.units else []
    X_units, y_units = _units_option(args.units, args.target, data.feature_names, columns)
    return _fit_and_report(args, data.X, data.y, data.feature_names, X_units, y_units)


def _header(path: str) -> list[str]:
    """The column names of a CSV file (to tell a dropped feature from a misspelt one)."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [c.strip() for c in next(csv.reader(fh), [])]


def _cmd_demo(args: argparse.Namespace) -> int:
    from srkit.examples import gravity_data

    check_outputs(args, ["--output"], append=["--llm-log"])
    X, y, names, truth = gravity_data()
    if not args.operators:  # the notebook's set: without pow, noise cannot bend r**2 into r**2.004
        args.operators = "add,sub,mul,div,sqrt,exp,log"
    print(f"Demo: {len(y)} noisy samples of {truth}  (variables {', '.join(names)}; 1% noise; "
          f"operators {args.operators})")
    return _fit_and_report(args, X, y, names)


def _cmd_problems(args: argparse.Namespace) -> int:
    from srkit import problems

    if args.problems_command != "list":
        print("usage: srkit problems list [--suite NAME]", file=sys.stderr)
        return 2
    chosen = problems.suite(args.suite) if args.suite else [problems.get(n) for n in problems.names()]
    print(problems.format_table(chosen))
    return 0


# pip names of optional modules whose import error carries no install hint of its own
_PIP_NAMES = {"sklearn": "scikit-learn", "matplotlib": "matplotlib", "pyarrow": "pyarrow",
              "dask": "'dask[distributed]'", "distributed": "'dask[distributed]'", "pandas": "pandas"}


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input or a missing extra, not a bug in srkit."""
    # srkit's own RuntimeErrors: an LLM endpoint that fails, a search that found nothing
    from srkit.estimator import NoFormulaError
    from srkit.search.llm.client import LLMError

    return (ValueError, TypeError, OSError, KeyError, ImportError, MemoryError, LLMError, NoFormulaError)


def error_message(exc: BaseException) -> tuple[str, int]:
    """The one line srkit prints for ``exc``, and the exit status.

    Examples
    --------
    >>> error_message(ValueError("--time-budget must be positive"))
    ('srkit: error: --time-budget must be positive', 2)
    >>> error_message(FileNotFoundError(2, "No such file or directory", "data.csv"))
    ("srkit: error: cannot open 'data.csv': No such file or directory; check the path", 2)
    >>> error_message(KeyboardInterrupt())
    ('srkit: interrupted', 130)
    """
    if isinstance(exc, KeyboardInterrupt):
        return "srkit: interrupted", EXIT_INTERRUPTED
    if not isinstance(exc, _expected_errors()):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return (f"srkit: error: unexpected {type(exc).__name__}{': ' + text if text else ''}. "
                "This is a bug in srkit: run again with --debug for the traceback and report it", EXIT_BUG)
    return f"srkit: error: {_one_line(exc, _describe(exc))}", EXIT_USAGE


def _one_line(exc: BaseException, text: str) -> str:
    """A message on one line: a parse error's snippet-and-caret lines are dropped (its first
    line already says "at position N"); any other line break becomes a space."""
    from srkit.core.parse import ParseError

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if isinstance(exc, ParseError):
        return lines[0] if lines else text
    return " ".join(lines) or text


def _describe(exc: BaseException) -> str:
    """What went wrong and the fix, for an expected error."""
    if isinstance(exc, MemoryError):
        return "out of memory; use fewer rows or a smaller --max-size, or free memory and retry"
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        if isinstance(key, str) and " " in key:  # a KeyError that carries a sentence
            return key
        return (f"{key!r} was not found in the input (a missing key or name); check the file or option "
                "that names it (run again with --debug if the input looks right)")
    if isinstance(exc, ImportError):
        text = str(exc)
        if "pip install" in text:
            return text
        name = (exc.name or "").split(".")[0]
        pip = _PIP_NAMES.get(name, name)
        return f"{text}; install it with: pip install {pip}" if pip else text
    if isinstance(exc, OSError) and getattr(exc, "filename", None) and exc.strerror:
        fix = {FileNotFoundError: "check the path", PermissionError: "check its permissions or choose another path",
               IsADirectoryError: "give a file, not a folder", NotADirectoryError: "check the path"}
        hint = next((h for kind, h in fix.items() if isinstance(exc, kind)), "")
        return f"cannot open {exc.filename!r}: {exc.strerror}{'; ' + hint if hint else ''}"
    text = str(exc).strip()
    return text or type(exc).__name__


def _debug_requested(args: argparse.Namespace | None) -> bool:
    env = os.environ.get("SRKIT_DEBUG", "").strip().lower()
    return bool(getattr(args, "debug", False)) or env not in ("", "0", "false", "no")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``srkit`` command; returns the exit status."""
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        from srkit.alpha.cli import run as _cmd_alpha

        handlers = {"fit": _cmd_fit, "demo": _cmd_demo, "problems": _cmd_problems, "cf": lambda a: a.func(a),
                    "alpha": _cmd_alpha}
        return int(handlers[args.command](args))
    except (SystemExit, GeneratorExit):  # argparse's own usage errors and --help
        raise
    except BrokenPipeError:  # `srkit ... | head`: the reader left; nothing to report
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 141
    except BaseException as exc:
        if _debug_requested(args):
            raise
        line, status = error_message(exc)
        print(line, file=sys.stderr)
        return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
