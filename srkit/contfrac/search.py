"""Blind search over a coefficient box: screen -> match -> verify -> report.

1. **screen** every PCF of the box in float64 (``screen_box``, parallel over blocks);
2. **match** the converged, non-terminating values against a :class:`MoebiusTable`
   of the constant basis (sorted-array meet in the middle);
3. **verify** each candidate exactly at two depths (:func:`verify_pcf`): false
   positives are rejected, slowly converging formulas kept apart as ``"slow"``;
4. **report** verified formulas with limit, relation, digits, delta and the
   blind-delta metrics, as records, CSV or JSON.

Blocks are processed in order and each finished batch is appended to an
optional JSON-lines checkpoint, so an interrupted or out-of-budget run returns
(and has saved) everything found so far, and ``resume=True`` skips finished blocks.

The checkpoint is append-only: its header is written atomically, each batch is one
line, flushed and synced.  An existing checkpoint is never truncated silently: it
needs ``resume=True`` (continue it) or ``force=True`` (start over).  A last line cut
short by a crash is skipped on resume (with a :class:`CheckpointWarning`) and its
blocks are searched again.  JSON and CSV results are written atomically.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

import numpy as np

from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.identification import MoebiusTable, Relation, verify_pcf
from srkit.contfrac.pcf import PCF
from srkit.contfrac.screen import EIGEN_CLASSES, screen_box
from srkit.io import OutputExistsError, atomic_open, atomic_write

__all__ = ["SearchConfig", "SearchProgress", "CFSearchResult", "blind_search", "ProgressLine", "RECORD_KEYS",
           "CheckpointWarning"]

logger = logging.getLogger(__name__)

RECORD_KEYS = ("a", "b", "limit", "constant", "relation", "digits", "delta")


@dataclass(frozen=True)
class SearchConfig:
    """Settings of :func:`blind_search`.

    depth: float64 screen depth; rtol: screen convergence and match tolerance
    (relative); max_coef: coefficient height of the Moebius table; constants:
    basis names (None = all); verify_depth: first exact depth (the second is
    twice that); cap_digits: most digits compared in verification; metrics:
    compute the blind-delta metrics of verified PCFs; block_size: PCFs per block.
    """

    depth: int = 1000
    rtol: float = 1e-10
    max_coef: int = 8
    constants: tuple[str, ...] | None = None
    verify_depth: int = 1000
    cap_digits: int = 500
    metrics: bool = True
    block_size: int = 65536

    def __post_init__(self) -> None:
        if self.depth < 16 or self.verify_depth < 16:
            raise ValueError("depth and verify_depth must be at least 16")
        if not 0 < self.rtol < 1e-4:
            raise ValueError(f"rtol must be in (0, 1e-4), got {self.rtol}: looser keys drown the search in false matches")
        if self.block_size < 1:
            raise ValueError("block_size must be positive")


class CheckpointWarning(UserWarning):
    """A checkpoint line could not be read on resume (e.g. cut short by a crash); its blocks are redone."""


@dataclass
class SearchProgress:
    """What a progress callback sees after each batch of blocks."""

    blocks_done: int
    blocks_total: int
    n_screened: int
    n_converged: int
    n_candidates: int
    n_verified: int
    n_slow: int
    n_rejected: int
    elapsed: float


@dataclass
class CFSearchResult:
    """Verified formulas (``records``), slow ones, rejected false positives, and run statistics."""

    box: CoefficientBox
    config: SearchConfig
    records: list[dict[str, Any]] = field(default_factory=list)
    slow: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    blocks_done: list[int] = field(default_factory=list)
    n_screened: int = 0
    n_converged: int = 0
    n_candidates: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    stopped_by: str = ""

    @property
    def complete(self) -> bool:
        return len(self.blocks_done) == -(-len(self.box) // self.config.block_size)

    def tagged(self) -> list[dict[str, Any]]:
        """The verified records with ``known`` (a catalogue formula, :mod:`srkit.contfrac.catalog`)
        set, the new ones first."""
        from srkit.contfrac.catalog import tag_known

        return tag_known(self.records)

    def summary(self) -> str:
        classes = len({r["canonical"] for r in self.records})
        new_classes = len({r["canonical"] for r in self.tagged() if not r["known"]})
        consts = sorted({r["constant"] for r in self.records})
        return (f"{len(self.records)} verified formulas ({classes} classes up to sign, shift and deflation, "
                f"{new_classes} not in the catalogue of published ones) "
                f"for {len(consts)} constants; {len(self.slow)} slow, {len(self.rejected)} false positives rejected; "
                f"{self.n_screened} PCFs screened, {self.n_converged} converged, {self.n_candidates} candidates"
                + (f"; stopped by {self.stopped_by}" if self.stopped_by else ""))

    def to_json(self, path: str | Path) -> None:
        """One record per verified formula (keys include ``a, b, limit, constant, relation, digits, delta``
        and ``known``), the new ones first.

        Written atomically: an interrupted write leaves any earlier file intact.
        """
        atomic_write(path, json.dumps(self.tagged(), indent=1, default=_jsonable))

    def to_csv(self, path: str | Path) -> None:
        """Verified formulas as CSV; metrics flattened into ``m_<name>`` columns (written atomically)."""
        import csv

        rows = [_flat(r) for r in self.tagged()]
        keys = list(dict.fromkeys(k for r in rows for k in r)) or list(RECORD_KEYS)
        with atomic_open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return str(x)


def _flat(r: dict[str, Any]) -> dict[str, Any]:
    out = {k: (json.dumps(v) if isinstance(v, list) else v) for k, v in r.items() if k != "metrics"}
    for k, v in (r.get("metrics") or {}).items():
        out[f"m_{k}"] = v
    return out


class ProgressLine:
    """Print one progress line per batch (a callback for :func:`blind_search`)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, p: SearchProgress) -> bool | None:
        self.stream.write(
            f"blocks {p.blocks_done}/{p.blocks_total} | {p.elapsed:7.1f}s | screened {p.n_screened} | "
            f"converged {p.n_converged} | candidates {p.n_candidates} | verified {p.n_verified} | "
            f"slow {p.n_slow} | rejected {p.n_rejected}\n")
        self.stream.flush()
        return None


def _verify_group(state: tuple[SearchConfig], groups: Sequence[Any]) -> list[dict[str, Any]]:
    """Verify the candidate relations of each PCF (simplest first); one outcome dict per PCF."""
    (config,) = state
    out = []
    for index, (a, b), rels in [(g[0], g[1], g[2]) for g in groups]:
        pcf = PCF(a, b)
        tried = []
        best: Relation | None = None
        for rd in rels:
            rel = verify_pcf(pcf, Relation(rd["constant"], tuple(rd["coefficients"]), symbol=rd["symbol"]),
                             config.verify_depth, cap_digits=config.cap_digits)
            tried.append(rel)
            if rel.status == "verified":
                best = rel
                break
        if best is None:
            slow = [r for r in tried if r.status == "slow"]
            best = slow[0] if slow else tried[0]
        out.append(_record(index, pcf, best, tried, config))
    return out


def _record(index: int, pcf: PCF, rel: Relation, tried: list[Relation], config: SearchConfig) -> dict[str, Any]:
    import mpmath

    rec: dict[str, Any] = {
        "a": list(pcf.a), "b": list(pcf.b), "index": int(index), "status": rel.status,
        "constant": rel.constant, "relation": rel.formula(), "coefficients": list(rel.coefficients),
    }
    if rel.status == "rejected":
        rec["reason"] = rel.details.get("reason", "")
        rec["tried"] = [r.formula() for r in tried]
        return rec
    lim = pcf.limit(config.verify_depth)
    rec["limit"] = mpmath.nstr(lim, int(min(50, max(15, rel.digits))))
    rec["digits"] = round(float(rel.digits), 2)
    rec["delta"] = round(float(pcf.delta(config.verify_depth)), 6)
    rec["checked_digits"] = [round(float(x), 1) for x in rel.details.get("agreement", [])]
    rec["recheck_depth"] = 2 * config.verify_depth
    rec["eig_class"] = pcf.eigenvalue_class()
    rec["canonical"] = repr(pcf.canonical())
    if rel.status == "slow":
        rec["reason"] = rel.details.get("reason", "")
    if config.metrics:
        m = pcf.metrics()
        rec["metrics"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                          for k, v in m.to_dict().items()}
    return rec


_ENTRY_KEYS = ("blocks", "n_screened", "n_converged", "n_candidates", "records")


def _read_checkpoint(path: Path, header: dict[str, Any], result: CFSearchResult) -> bool:
    """Load the finished batches of ``path`` into ``result``; False if the file is empty.

    A line that cannot be read (the last one, cut short by a crash mid-append) is skipped
    with a :class:`CheckpointWarning` and the file is rewritten without it, so that the
    batches appended next start on a clean line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"checkpoint {path} is not a text file written by srkit cf search; "
                         "start over with --force (force=True) or choose another --checkpoint path") from None
    lines = text.split("\n")
    if not text.strip():
        return False
    try:
        first = json.loads(lines[0])
    except json.JSONDecodeError:
        first = None
    if not isinstance(first, dict) or "header" not in first:
        raise ValueError(f"checkpoint {path} does not start with a srkit cf search header; start over with --force "
                         "(force=True) or choose another --checkpoint path")
    if first["header"] != header:
        raise ValueError(f"checkpoint {path} was written for another box or configuration; "
                         "delete it, use another path, or start over with --force (force=True)")
    good, skipped = [lines[0]], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not all(k in entry for k in _ENTRY_KEYS):
                raise ValueError("not a batch entry")
            blocks = [int(b) for b in entry["blocks"]]
            recs = list(entry["records"])
            if not all(isinstance(r, dict) for r in recs):
                raise ValueError("a record is not an object")
            counts = (int(entry["n_screened"]), int(entry["n_converged"]), int(entry["n_candidates"]))
        except (ValueError, TypeError):  # json.JSONDecodeError is a ValueError
            skipped.append(number)
            continue
        good.append(line)
        result.blocks_done.extend(blocks)
        result.n_screened += counts[0]
        result.n_converged += counts[1]
        result.n_candidates += counts[2]
        for rec in recs:
            {"verified": result.records, "slow": result.slow}.get(rec.get("status"), result.rejected).append(rec)
    if skipped:
        last = len([ln for ln in lines if ln.strip()])
        why = ("it was cut short by an interrupted write" if skipped == [last] else "they cannot be read")
        warnings.warn(f"checkpoint {path}: skipped line(s) {', '.join(map(str, skipped))} ({why}); "
                      "their blocks will be searched again", CheckpointWarning, stacklevel=3)
        atomic_write(path, "\n".join(good) + "\n")
    return True


def _append_line(path: Path, line: str) -> None:
    """Append one JSON line and push it to disk: a crash can cut only this line, never an earlier one."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def blind_search(
    box: CoefficientBox,
    config: SearchConfig | None = None,
    *,
    n_jobs: int = 1,
    time_budget: float | None = None,
    max_blocks: int | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    callbacks: Sequence[Callable[[SearchProgress], bool | None]] = (),
    backend: str = "loky",
    blocks: Sequence[int] | None = None,
) -> CFSearchResult:
    """Find every PCF of ``box`` whose limit is a verified Moebius image of a basis constant.

    Parameters
    ----------
    box : the coefficient box (see :class:`CoefficientBox`).
    config : :class:`SearchConfig` (defaults: depth 1000, table height 6, all constants).
    n_jobs : parallel workers for the screen (threads) and the verification (``backend``);
        results do not depend on it.
    time_budget : seconds; the run stops after the batch in which it ran out.
    max_blocks : stop after this many blocks (of ``config.block_size`` PCFs).
    checkpoint, resume, force : JSON-lines file appended after each batch; with ``resume``
        finished blocks are skipped and their records reloaded.  An existing checkpoint
        needs ``resume=True`` (continue it) or ``force=True`` (start over); otherwise
        :class:`srkit.io.OutputExistsError` is raised before any work.
    callbacks : called with a :class:`SearchProgress` after each batch; returning True stops the run.
    blocks : search only these blocks (a shard of a distributed search, :mod:`srkit.contfrac.shards`).

    Examples
    --------
    >>> res = blind_search(CoefficientBox(1, 1, (-2, 2), (-2, 2)), SearchConfig(metrics=False))
    >>> sorted({r["relation"] for r in res.records})[:3]  # doctest: +SKIP
    """
    config = config or SearchConfig()
    t0 = time.perf_counter()
    result = CFSearchResult(box, config)
    header = {"box": box.to_dict(), "config": {k: (list(v) if isinstance(v, tuple) else v)
                                               for k, v in asdict(config).items()}}
    path = Path(checkpoint) if checkpoint else None
    if path is not None:
        if resume and force:
            raise ValueError("resume continues the checkpoint and force starts it over: give one of them")
        if path.is_dir():
            raise ValueError(f"checkpoint {str(path)!r} is a folder; give a file name such as {str(path / 'run.jsonl')!r}")
        if path.exists() and not (resume or force):
            raise OutputExistsError(
                f"checkpoint {str(path)!r} exists; add --resume (resume=True) to continue it, or --force "
                "(force=True) to start it over, or choose another --checkpoint path")
        if not (resume and path.exists() and _read_checkpoint(path, header, result)):
            # a new (or forced) checkpoint: the header replaces any earlier file in one atomic step
            atomic_write(path, json.dumps({"header": header}) + "\n")
    n_blocks = -(-len(box) // config.block_size)
    done = set(result.blocks_done)
    wanted = range(n_blocks) if blocks is None else sorted({int(k) for k in blocks})
    if blocks is not None and any(not 0 <= k < n_blocks for k in wanted):
        raise ValueError(f"blocks must lie in [0, {n_blocks}) for a box of {len(box)} PCFs in blocks of "
                         f"{config.block_size}")
    todo = [k for k in wanted if k not in done]
    if max_blocks is not None:
        todo = todo[:max_blocks]
    table_t = time.perf_counter()
    table = MoebiusTable(config.constants, config.max_coef)
    timings = {"table": time.perf_counter() - table_t, "screen": 0.0, "match": 0.0, "verify": 0.0}
    batch = max(2, 2 * (n_jobs if n_jobs > 0 else 2))
    # the screen kernel releases the GIL, so threads parallelise it without starting processes
    screen_backend = "threading" if backend in ("loky", "multiprocessing", "threading") else backend
    try:
        for start in range(0, len(todo), batch):
            blocks = todo[start:start + batch]
            t = time.perf_counter()
            scr = screen_box(box, config.depth, rtol=config.rtol, n_jobs=n_jobs, block_size=config.block_size,
                             blocks=blocks, backend=screen_backend)
            timings["screen"] += time.perf_counter() - t
            t = time.perf_counter()
            index = np.concatenate([np.arange(k * config.block_size, min((k + 1) * config.block_size, len(box)))
                                    for k in blocks])
            ok = scr.converged & ~scr.terminates & (np.abs(scr.value) < 1e6)
            qi, ti = table.match(scr.value[ok], config.rtol)
            cand_index = index[ok][qi]
            groups: dict[int, list[dict[str, Any]]] = {}
            for g, j in zip(cand_index.tolist(), ti.tolist()):
                rel = table.relation(j)
                groups.setdefault(g, []).append({"constant": rel.constant, "coefficients": list(rel.coefficients),
                                                 "symbol": rel.symbol, "h": sum(map(abs, rel.coefficients))})
            items = []
            for g, rels in sorted(groups.items()):
                A, B = box.coefficients(np.array([g]))
                rels.sort(key=lambda r: r["h"])
                items.append((g, (A[0].tolist(), B[0].tolist()), rels))
            timings["match"] += time.perf_counter() - t
            t = time.perf_counter()
            from srkit.fitness.parallel import parallel_map

            outcomes = parallel_map(_verify_group, items, state=(config,), n_jobs=n_jobs, backend=backend, min_chunk=2)
            timings["verify"] += time.perf_counter() - t
            for rec in outcomes:
                {"verified": result.records, "slow": result.slow}.get(rec["status"], result.rejected).append(rec)
            n_conv = int(ok.sum())
            result.blocks_done.extend(blocks)
            result.n_screened += len(scr)
            result.n_converged += n_conv
            result.n_candidates += len(items)
            if path is not None:
                _append_line(path, json.dumps({"blocks": blocks, "n_screened": len(scr), "n_converged": n_conv,
                                               "n_candidates": len(items), "records": outcomes}, default=_jsonable))
            prog = SearchProgress(len(result.blocks_done), n_blocks, result.n_screened, result.n_converged,
                                  result.n_candidates, len(result.records), len(result.slow), len(result.rejected),
                                  time.perf_counter() - t0)
            if any(cb(prog) for cb in callbacks):
                result.stopped_by = "callback"
                break
            if time_budget is not None and time.perf_counter() - t0 >= time_budget and start + batch < len(todo):
                result.stopped_by = "time_budget"
                break
    except KeyboardInterrupt:
        result.stopped_by = "interrupt"
        logger.warning("search interrupted; returning the %d formulas verified so far", len(result.records))
    timings["total"] = time.perf_counter() - t0
    result.timings = timings
    for lst in (result.records, result.slow, result.rejected):
        lst.sort(key=lambda r: r["index"])
    return result


def eig_class_name(code: int) -> str:
    """Name of an eigenvalue class code of the screen."""
    return EIGEN_CLASSES[int(code)]
