"""The blind search in shards on a dask cluster, each shard with its own checkpoint.

A box of tens of millions of PCFs is more than one machine wants to search in one go.
:func:`sharded_search` cuts its blocks into shards of consecutive blocks, runs each
shard as one dask task (:func:`~srkit.contfrac.search.blind_search` on those blocks,
appending to ``<checkpoint_dir>/shard-NNNNN.jsonl`` after every batch), and merges the
results as the shards finish.  Nothing is lost when something dies:

* a worker that dies mid-shard: dask runs the task again elsewhere, and the new run
  resumes from the shard's checkpoint (its finished batches are read back, not redone);
* the client that dies (or is stopped): run the same call again with ``resume=True``;
  finished shards are read back from their files, the others resume where they were.

The merged result is the one a single :func:`~srkit.contfrac.search.blind_search` of the
whole box gives (every PCF lies in exactly one block; records are sorted by index), so
classes, deduplication up to sign flips, shifts and deflation, and the outputs work as
for a local search.  Without dask installed, the plain search still works.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.search import CFSearchResult, SearchConfig, blind_search

__all__ = ["sharded_search", "shard_blocks"]

_MANIFEST = "search.json"


def shard_blocks(n_blocks: int, blocks_per_shard: int) -> list[list[int]]:
    """Consecutive blocks grouped into shards.

    >>> shard_blocks(5, 2)
    [[0, 1], [2, 3], [4]]
    """
    if blocks_per_shard < 1:
        raise ValueError(f"blocks_per_shard must be >= 1, got {blocks_per_shard}")
    return [list(range(k, min(k + blocks_per_shard, n_blocks))) for k in range(0, n_blocks, blocks_per_shard)]


def _run_shard(box: CoefficientBox, config: SearchConfig, blocks: list[int], path: str) -> CFSearchResult:
    """One shard (in a dask worker): resumes its own checkpoint when it has one."""
    import warnings

    from srkit.contfrac.search import CheckpointWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CheckpointWarning)  # a line cut by a killed worker is redone, as said
        return blind_search(box, config, n_jobs=1, checkpoint=path, resume=True, blocks=blocks)


def sharded_search(
    box: CoefficientBox,
    config: SearchConfig | None = None,
    *,
    checkpoint_dir: str | Path,
    scheduler: str | Any | None = None,
    n_workers: int = 2,
    blocks_per_shard: int = 4,
    resume: bool = False,
    force: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
    retries: int = 3,
    blocks: list[int] | None = None,
) -> CFSearchResult:
    """Search ``box`` in shards on a dask cluster; see the module docs.

    Parameters
    ----------
    checkpoint_dir : a folder for the shard checkpoints and the run's manifest.
    scheduler : a ``distributed.Client``, a scheduler address (``"tcp://host:8786"``), or
        None for a ``LocalCluster`` of ``n_workers`` processes on this machine.
    blocks_per_shard : blocks of ``config.block_size`` PCFs per shard (one dask task).
    resume, force : an existing ``checkpoint_dir`` needs one of them: continue its shards,
        or delete them and start over.
    progress : called with ``{"shards_done", "shards", "verified", "elapsed"}`` as shards finish.
    retries : times dask may rerun a shard whose worker died.
    blocks : search only these blocks (e.g. every 100th, to time a 1% sample of a space).

    Examples
    --------
    >>> import tempfile
    >>> box = CoefficientBox(1, 1, (-2, 2), (-2, 2))
    >>> res = sharded_search(box, SearchConfig(metrics=False, block_size=200), n_workers=1,
    ...                      checkpoint_dir=tempfile.mkdtemp() + "/run")  # doctest: +SKIP
    """
    from srkit._optional import require

    require("distributed", "a distributed continued-fraction search", "dask")
    from distributed import Client, LocalCluster, as_completed

    config = config or SearchConfig()
    folder = Path(checkpoint_dir)
    manifest = {"box": box.to_dict(), "config": {k: (list(v) if isinstance(v, tuple) else v)
                                                 for k, v in config.__dict__.items()},
                "blocks_per_shard": blocks_per_shard, "blocks": None if blocks is None else sorted(blocks)}
    blocks_per_shard = _prepare(folder, manifest, resume, force)
    n_blocks = -(-len(box) // config.block_size)
    wanted = list(range(n_blocks)) if blocks is None else sorted(set(blocks))
    shards = [[wanted[i] for i in shard] for shard in shard_blocks(len(wanted), blocks_per_shard)]
    own_cluster = None
    if scheduler is None:
        own_cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(own_cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    else:
        client = scheduler
    start = time.perf_counter()
    total = CFSearchResult(box, config)
    try:
        futures = [client.submit(_run_shard, box, config, blocks, str(folder / f"shard-{k:05d}.jsonl"),
                                 key=f"cf-shard-{k}-{folder.name}-{id(total)}", retries=retries, pure=False)
                   for k, blocks in enumerate(shards)]
        for done, future in enumerate(as_completed(futures), start=1):
            _merge(total, future.result())
            if progress is not None:
                progress({"shards_done": done, "shards": len(shards), "verified": len(total.records),
                          "elapsed": round(time.perf_counter() - start, 1)})
    except KeyboardInterrupt:
        total.stopped_by = "interrupt"
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
        elif isinstance(scheduler, str):
            client.close()
    for lst in (total.records, total.slow, total.rejected):
        lst.sort(key=lambda r: r["index"])
    total.blocks_done.sort()
    total.timings = {"total": time.perf_counter() - start}
    return total


def _prepare(folder: Path, manifest: dict[str, Any], resume: bool, force: bool) -> int:
    """Check or start ``folder``; returns the shard size to use (a resumed run keeps its own)."""
    if resume and force:
        raise ValueError("resume continues the shards and force starts them over: give one of them")
    path = folder / _MANIFEST
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_dir {str(folder)!r} is a file; give a folder")
    if path.exists():
        if force:
            shutil.rmtree(folder)
        elif not resume:
            from srkit.io import OutputExistsError

            raise OutputExistsError(f"{str(folder)!r} holds a sharded search; add resume=True (--resume) to "
                                    "continue it or force=True (--force) to start it over")
        else:
            saved = json.loads(path.read_text())
            mine = json.loads(json.dumps(manifest))
            if (saved.get("box"), saved.get("config"), saved.get("blocks")) != (
                    mine["box"], mine["config"], mine["blocks"]):
                raise ValueError(f"{str(folder)!r} holds a search of another box or configuration; choose another "
                                 "folder or start over with force=True (--force)")
            return int(saved["blocks_per_shard"])  # the shard files are cut this way
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        from srkit.io import atomic_write

        atomic_write(path, json.dumps(manifest, indent=1))
    return int(manifest["blocks_per_shard"])


def _merge(total: CFSearchResult, part: CFSearchResult) -> None:
    total.records.extend(part.records)
    total.slow.extend(part.slow)
    total.rejected.extend(part.rejected)
    total.blocks_done.extend(part.blocks_done)
    total.n_screened += part.n_screened
    total.n_converged += part.n_converged
    total.n_candidates += part.n_candidates
    if part.stopped_by and not total.stopped_by:
        total.stopped_by = part.stopped_by
