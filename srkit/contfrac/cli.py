"""``srkit cf``: evaluate, identify, search and cluster polynomial continued fractions.

    srkit cf eval "2*n+1" "n**2" [--depth 1000] [--metrics] [--identify]
    srkit cf identify 1.2732395447351626861510701069801148962756771659236515899813387524711743810738
    srkit cf search --a-deg 1 --b-deg 2 --coef-range -5 5 --json out.json
    srkit cf cluster out.json --sample 2000 --plot clusters.png

Polynomials may start with a minus sign (``"-n**6"``), and are limited in degree and
coefficient size (see ``srkit.contfrac.polynomials``).  Existing output files need
``--force``; an existing ``--checkpoint`` needs ``--resume`` or ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


_EPILOG = """examples:
  srkit cf eval "2*n+1" "n**2"                      4/pi: limit, digits, delta at depth 1000
  srkit cf eval "34*n**3+51*n**2+27*n+5" "-n**6" --identify --metrics
  srkit cf identify 0.73575888234288464319104754  find (a + b*c)/(g + d*c) for a known constant c
  srkit cf search --a-deg 1 --b-deg 2 --coef-range -5 5 --json out.json
  srkit cf search --a-deg 2 --b-deg 2 --coef-range -5 5 --n-jobs 2 --checkpoint run.jsonl --resume
  srkit cf cluster out.json --sample 1000 --a-deg 2 --b-deg 2 --coef-range -5 5 --plot planes.png
"""


def register(subparsers: Any) -> None:
    """Add the ``cf`` command and its actions to the ``srkit`` parser."""
    cf = subparsers.add_parser("cf", help="polynomial continued fractions: eval, identify, search, cluster",
                               description="Formulas for mathematical constants from polynomial continued fractions "
                                           "a(0) + b(1)/(a(1) + b(2)/(a(2) + ...)).",
                               epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    # the action parsers inherit srkit.cli's parser class, which reads "-n**6" or "-1" as a
    # polynomial, not as an unknown option (the README's Apery example)
    sub = cf.add_subparsers(dest="cf_command", metavar="ACTION")
    cf.set_defaults(func=lambda args: (cf.print_help(), 0)[1])

    ev = sub.add_parser("eval", help="limit, digits and delta of one PCF")
    ev.add_argument("a", help='a(n), partial denominators from n=0, e.g. "2*n+1" or "[1, 2]"')
    ev.add_argument("b", help='b(n), partial numerators from n=1, e.g. "n**2" or "[0, 0, 1]"')
    ev.add_argument("--depth", type=int, default=1000, help="number of terms (default 1000)")
    ev.add_argument("--show-digits", type=int, default=60, help="digits of the limit to print (default 60)")
    ev.add_argument("--metrics", action="store_true", help="also print the blind-delta convergence metrics")
    ev.add_argument("--identify", action="store_true", help="also look for a Moebius relation with a known constant")
    ev.set_defaults(func=_cmd_eval)

    idf = sub.add_parser("identify", help="find value = (a + b*c)/(g + d*c) for a basis constant c")
    idf.add_argument("value", help="the number, with as many correct digits as you have")
    idf.add_argument("--constants", help="comma-separated basis names (default: all; see srkit.contfrac.constants)")
    idf.add_argument("--digits", type=float, help="correct digits of VALUE (default: the digits given)")
    idf.add_argument("--pairs", action="store_true",
                     help="also try two constants: VALUE = (a0 + a1*c1 + a2*c2 + a3*c1*c2)/d (slower: every pair)")
    idf.set_defaults(func=_cmd_identify)

    se = sub.add_parser("search", help="blind search of a coefficient box against the constant basis")
    se.add_argument("--a-deg", type=int, required=True, help="degree of a(n)")
    se.add_argument("--b-deg", type=int, required=True, help="degree of b(n)")
    se.add_argument("--coef-range", type=int, nargs=2, metavar=("LOW", "HIGH"), help="coefficient range of a and b")
    se.add_argument("--a-range", type=int, nargs=2, metavar=("LOW", "HIGH"), help="coefficient range of a(n)")
    se.add_argument("--b-range", type=int, nargs=2, metavar=("LOW", "HIGH"), help="coefficient range of b(n)")
    se.add_argument("--depth", type=int, default=1000, help="float64 screen depth (default 1000)")
    se.add_argument("--verify-depth", type=int, default=1000, help="exact check depth; re-checked at twice it (default 1000)")
    se.add_argument("--max-coef", type=int, default=8, help="largest |coefficient| of the Moebius relations (default 8)")
    se.add_argument("--constants", help="comma-separated basis names (default: all)")
    se.add_argument("--json", help="write verified formulas to this JSON file")
    se.add_argument("--csv", help="write verified formulas to this CSV file")
    se.add_argument("--checkpoint", help="append progress to this JSON-lines file (for --resume)")
    se.add_argument("--resume", action="store_true", help="continue an existing --checkpoint: skip its finished blocks")
    se.add_argument("--force", action="store_true",
                    help="overwrite existing --json/--csv files and start an existing --checkpoint over")
    se.add_argument("--time-budget", type=float, help="stop after this many seconds (results so far are kept)")
    se.add_argument("--max-blocks", type=int, help="stop after this many blocks of PCFs")
    se.add_argument("--block-size", type=int, default=65536, help="PCFs per block (default 65536)")
    se.add_argument("--n-jobs", type=int, default=1, help="parallel workers (results do not depend on it)")
    se.add_argument("--scheduler", metavar="ADDRESS",
                    help="run in shards on this dask scheduler (tcp://host:8786); needs --checkpoint-dir")
    se.add_argument("--local-cluster", type=int, metavar="N",
                    help="run in shards on a dask LocalCluster of N worker processes; needs --checkpoint-dir")
    se.add_argument("--checkpoint-dir", help="folder of the shard checkpoints of a --scheduler/--local-cluster "
                                             "run (with --resume: continue it after a crash)")
    se.add_argument("--blocks-per-shard", type=int, default=4, help="blocks per dask task (default 4)")
    se.add_argument("--no-metrics", action="store_true", help="skip the blind-delta metrics of verified formulas")
    se.add_argument("--show", type=int, default=40, help="formulas to print (default 40; all are saved)")
    se.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    se.set_defaults(func=_cmd_search)

    cl = sub.add_parser("cluster", help="cluster PCFs by convergence metrics; label clusters from known formulas")
    cl.add_argument("input", help="JSON from `srkit cf search` (its verified formulas are the anchors)")
    cl.add_argument("--sample", type=int, default=0, help="add this many random convergent PCFs of the box (unlabelled)")
    cl.add_argument("--a-deg", type=int, default=2)
    cl.add_argument("--b-deg", type=int, default=2)
    cl.add_argument("--coef-range", type=int, nargs=2, default=[-5, 5], metavar=("LOW", "HIGH"))
    cl.add_argument("--seed", type=int, default=0, help="random seed of the sample")
    cl.add_argument("--min-cluster-size", type=int, default=5)
    cl.add_argument("--identify-unlabelled", action="store_true",
                    help="name clusters without anchors by identifying 4 members each (PSLQ; slower)")
    cl.add_argument("--plot", help="save scatter plots of the metric planes to this PNG")
    cl.add_argument("--output", help="write one CSV row per PCF with its cluster and label")
    cl.add_argument("--force", action="store_true", help="overwrite existing --plot/--output files")
    cl.add_argument("--n-jobs", type=int, default=1)
    cl.set_defaults(func=_cmd_cluster)


def _poly_arg(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        import json

        try:
            return json.loads(text)
        except ValueError:
            raise ValueError(f"cannot read {text!r} as a coefficient list; write e.g. [1, 2]") from None
    return text


def _cmd_eval(args: argparse.Namespace) -> int:
    import mpmath

    from srkit.contfrac import PCF
    from srkit.contfrac.identification import identify

    pcf = PCF(_poly_arg(args.a), _poly_arg(args.b))
    depth = args.depth
    value = pcf.limit(depth)  # q(depth) = 0: UndefinedConvergentError, a ValueError with the fix
    digits = pcf.digits(depth)
    if not digits >= 1:  # also NaN: never print a number that has not converged
        agree = f"agree on only {digits:.1f} digits" if digits > 0 else "differ already in the first digit"
        raise ValueError(
            f"{pcf!r} does not converge at depth {depth}: x({depth}) = {mpmath.nstr(value, 8)} and deeper "
            f"convergents {agree}; the fraction diverges "
            f"(e.g. its convergents cycle) or converges too slowly: try --depth {10 * depth} or other a(n), b(n)")
    print(pcf)
    print(f"limit (depth {depth}): {mpmath.nstr(value, max(1, min(args.show_digits, int(min(digits, 1e9)))))}")
    print(f"digits: {digits:.1f}   delta: {pcf.delta(depth):.6f}   eigenvalues: {pcf.eigenvalue_class()}")
    k = pcf.terminates(depth)
    if k is not None:
        print(f"note: b({k}) = 0, so the fraction stops there and its value is rational")
    if args.metrics:
        for name, v in pcf.metrics().to_dict().items():
            print(f"  {name:16s} {v}")
    if args.identify:
        rel = identify(value)
        print(f"identified: {rel} ({rel.digits:.0f} digits)" if rel else "identified: no relation with the basis")
    return 0


def _cmd_identify(args: argparse.Namespace) -> int:
    from srkit.contfrac.identification import identify

    consts = [c.strip() for c in args.constants.split(",")] if args.constants else None
    rel = identify(args.value, consts, digits=args.digits, pairs=args.pairs)
    if rel is None:
        tried = " or (a0 + a1*c1 + a2*c2 + a3*c1*c2)/d" if args.pairs else ""
        print(f"no verified relation (value = (a + b*c)/(g + d*c){tried}) with the basis constants")
        return 1
    print(f"{args.value} = {rel}")
    if rel.constant2 is not None:
        print(f"  constants {rel.constant}, {rel.constant2}, coefficients (d, a0, a1, a2, a3) = {rel.coefficients}, "
              f"agreement {rel.digits:.1f} digits")
    else:
        print(f"  constant {rel.constant}, coefficients (alpha, beta, gamma, delta) = {rel.coefficients}, "
              f"agreement {rel.digits:.1f} digits")
    return 0


def _need(module: str, message: str) -> None:
    """Import ``module`` now, before any work, or stop with one line saying how to install it."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise ValueError(message) from None


def _cmd_search(args: argparse.Namespace) -> int:
    from srkit.contfrac.box import CoefficientBox
    import warnings

    from srkit.contfrac.search import CheckpointWarning, ProgressLine, SearchConfig, blind_search
    from srkit.io import check_output_path

    a_range = args.a_range or args.coef_range
    b_range = args.b_range or args.coef_range
    if a_range is None or b_range is None:
        raise ValueError("give --coef-range LOW HIGH (or --a-range and --b-range)")
    box = CoefficientBox(args.a_deg, args.b_deg, tuple(a_range), tuple(b_range))
    consts = tuple(c.strip() for c in args.constants.split(",")) if args.constants else None
    config = SearchConfig(depth=args.depth, verify_depth=args.verify_depth, max_coef=args.max_coef,
                          constants=consts, metrics=not args.no_metrics, block_size=args.block_size)
    # every output is checked before the search runs, not after it
    if args.resume and not (args.checkpoint or args.checkpoint_dir):
        raise ValueError("--resume needs --checkpoint FILE (or --checkpoint-dir DIR for a sharded run)")
    if args.resume and args.force:
        raise ValueError("--resume continues the checkpoint and --force starts it over: give one of them")
    check_output_path(args.json, force=args.force, flag="--json")
    check_output_path(args.csv, force=args.force, flag="--csv")
    if args.json and args.csv and args.json == args.csv:
        raise ValueError("--json and --csv name the same file; give two paths")
    if args.checkpoint:
        check_output_path(args.checkpoint, force=True, flag="--checkpoint")  # the folder; blind_search checks the file
        from pathlib import Path

        if Path(args.checkpoint).exists() and not (args.resume or args.force):
            from srkit.io import OutputExistsError

            raise OutputExistsError(f"--checkpoint: {args.checkpoint!r} exists; add --resume to continue it or "
                                    "--force to start it over (or choose another --checkpoint path)")
    sharded = args.scheduler is not None or args.local_cluster is not None
    if sharded and not args.checkpoint_dir:
        raise ValueError("--scheduler and --local-cluster need --checkpoint-dir DIR (one checkpoint per shard)")
    if not sharded and args.checkpoint_dir:
        raise ValueError("--checkpoint-dir is for a sharded run: add --scheduler ADDRESS or --local-cluster N "
                         "(a local search uses --checkpoint FILE)")
    if sharded and args.checkpoint:
        raise ValueError("a sharded run keeps its checkpoints in --checkpoint-dir; drop --checkpoint")
    if sharded:
        _need("distributed", "--scheduler/--local-cluster need dask: pip install 'srkit[dask]'")
    print(f"searching {len(box)} PCFs: deg a = {args.a_deg} in {list(a_range)}, deg b = {args.b_deg} in {list(b_range)}",
          file=sys.stderr)
    if sharded:
        from srkit.contfrac.shards import sharded_search

        progress = None if args.quiet else (lambda p: print(
            f"shards {p['shards_done']}/{p['shards']} | {p['elapsed']:7.1f}s | verified {p['verified']}",
            file=sys.stderr))
        res = sharded_search(box, config, checkpoint_dir=args.checkpoint_dir, scheduler=args.scheduler,
                             n_workers=args.local_cluster or 2, blocks_per_shard=args.blocks_per_shard,
                             resume=args.resume, force=args.force, progress=progress)
        return _report_search(args, res)
    with warnings.catch_warnings():
        # a skipped checkpoint line is news for the user: one plain line, not Python's warning format
        warnings.simplefilter("always", CheckpointWarning)
        warnings.showwarning = lambda message, *_a, **_k: print(f"srkit: warning: {message}", file=sys.stderr)
        res = blind_search(box, config, n_jobs=args.n_jobs, time_budget=args.time_budget,
                           max_blocks=args.max_blocks, checkpoint=args.checkpoint, resume=args.resume,
                           force=args.force, callbacks=() if args.quiet else (ProgressLine(),))
    return _report_search(args, res)


def _report_search(args: argparse.Namespace, res: Any) -> int:
    """Print the verified formulas and the summary; write --json and --csv."""
    rows = res.tagged()[: args.show]  # the ones not in the catalogue of published formulas first
    if rows:
        print(f"{'a(n)':>18} {'b(n)':>18} {'relation':>34} {'digits':>8} {'delta':>9}  known")
    for r in rows:
        print(f"{str(r['a']):>18} {str(r['b']):>18} {r['relation']:>34} {r['digits']:8.1f} {r['delta']:9.4f}  "
              f"{'yes' if r['known'] else 'NEW'}")
    if len(res.records) > len(rows):
        print(f"... {len(res.records) - len(rows)} more")
    print(res.summary())
    if args.json:
        res.to_json(args.json)
        print(f"saved {len(res.records)} formulas to {args.json}")
    if args.csv:
        res.to_csv(args.csv)
        print(f"saved {len(res.records)} formulas to {args.csv}")
    return 0


def _read_formulas(path: str) -> list[dict[str, Any]]:
    """The records of a ``srkit cf search --json`` file, checked, with the file named in every error."""
    import json

    hint = "give the file written by `srkit cf search --json`"
    try:
        with open(path, encoding="utf-8") as fh:
            records = json.load(fh)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file; {hint}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); {hint}") from None
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a JSON list of formulas; {hint}")
    for i, r in enumerate(records):
        if not (isinstance(r, dict) and isinstance(r.get("a"), list) and isinstance(r.get("b"), list)):
            raise ValueError(f"{path}: formula {i} lacks the coefficient lists 'a' and 'b'; {hint}")
        if r.get("metrics") is not None and not isinstance(r["metrics"], dict):
            raise ValueError(f"{path}: formula {i} has 'metrics' that is not an object; {hint}")
    return records


def _cmd_cluster(args: argparse.Namespace) -> int:
    from srkit.contfrac.box import CoefficientBox
    from srkit.contfrac.cluster import cluster_metrics, metrics_table, sample_pcfs
    from srkit.io import check_output_path

    # outputs and optional dependencies first: a missing folder or package is found before the work
    check_output_path(args.plot, force=args.force, flag="--plot")
    check_output_path(args.output, force=args.force, flag="--output")
    if args.plot and args.output and args.plot == args.output:
        raise ValueError("--plot and --output name the same file; give two paths")
    if args.plot:
        _need("matplotlib", "--plot needs matplotlib: pip install matplotlib")
    _need("sklearn.cluster", "clustering needs scikit-learn: pip install scikit-learn (or pip install 'srkit[contfrac]')")
    records = _read_formulas(args.input)
    points = []
    need = [(r["a"], r["b"]) for r in records if not r.get("metrics")]
    computed = {(tuple(m["a"]), tuple(m["b"])): m for m in metrics_table(need, n_jobs=args.n_jobs)} if need else {}
    for r in records:
        m = r.get("metrics") or computed[(tuple(r["a"]), tuple(r["b"]))]
        points.append({**m, "a": r["a"], "b": r["b"], "constant": r.get("constant")})
    if args.sample:
        box = CoefficientBox(args.a_deg, args.b_deg, tuple(args.coef_range), tuple(args.coef_range))
        known = {(tuple(p["a"]), tuple(p["b"])) for p in points}
        extra = [s for s in sample_pcfs(box, args.sample, args.seed) if (tuple(s[0]), tuple(s[1])) not in known]
        points += [{**m, "constant": None} for m in metrics_table(extra, n_jobs=args.n_jobs)]
    res = cluster_metrics(points, min_cluster_size=args.min_cluster_size)
    if args.identify_unlabelled:
        from srkit.contfrac.cluster import label_by_pslq

        label_by_pslq(res)
    print(res.summary())
    for cid, c in sorted(res.clusters.items(), key=lambda kv: -kv[1]["size"])[:30]:
        how = " (PSLQ)" if c.get("labelled_by") == "pslq" else ""
        print(f"  cluster {cid:4d}  {c['size']:6d} PCFs  plane {c['plane']:16s} label {c['label'] or '-'}{how}")
    if args.plot:
        res.plot(args.plot)
        print(f"saved {args.plot}")
    if args.output:
        import csv

        from srkit.io import atomic_open

        with atomic_open(args.output, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["a", "b", "constant", "cluster", "label", "plane", "fr_delta", "c", "d", "conv_c", "conv_d"])
            for p, cid, lab, pl in zip(res.points, res.cluster, res.label, res.plane):
                w.writerow([p["a"], p["b"], p.get("constant"), int(cid), lab, pl,
                            p.get("fr_delta"), p.get("c"), p.get("d"), p.get("conv_c"), p.get("conv_d")])
        print(f"saved {args.output}")
    return 0
