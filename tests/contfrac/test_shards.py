"""The sharded search on a dask LocalCluster: the same result as one local search, also
after a worker is killed mid-search and after the client itself is killed (issue 31)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from srkit.contfrac.box import CoefficientBox  # noqa: E402
from srkit.contfrac.search import SearchConfig, blind_search  # noqa: E402
from srkit.contfrac.shards import shard_blocks, sharded_search  # noqa: E402
from srkit.io import OutputExistsError  # noqa: E402

BOX = CoefficientBox(1, 2, (-2, 2), (-2, 2))  # 2976 PCFs
CFG = SearchConfig(depth=600, verify_depth=400, metrics=False, block_size=250, cap_digits=200)  # 12 blocks


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    key = lambda rs: [(r["index"], r["status"], r["relation"]) for r in rs]  # noqa: E731
    assert key(a.records) == key(b.records) and key(a.slow) == key(b.slow) and key(a.rejected) == key(b.rejected)
    assert (a.n_screened, a.n_converged, a.n_candidates) == (b.n_screened, b.n_converged, b.n_candidates)
    assert sorted(a.blocks_done) == sorted(b.blocks_done)


@pytest.fixture(scope="module")
def local():
    return blind_search(BOX, CFG)


def test_shards_cover_the_box_once() -> None:
    shards = shard_blocks(12, 5)
    assert shards == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


@pytest.mark.slow
def test_sharded_search_equals_the_local_one(local, tmp_path: Path) -> None:
    res = sharded_search(BOX, CFG, checkpoint_dir=tmp_path / "run", n_workers=2, blocks_per_shard=2)
    _same(res, local)
    assert res.complete and len(list((tmp_path / "run").glob("shard-*.jsonl"))) == 6
    with pytest.raises(OutputExistsError, match="add resume=True"):
        sharded_search(BOX, CFG, checkpoint_dir=tmp_path / "run")
    # resuming a finished run reads every shard back and searches nothing
    again = sharded_search(BOX, CFG, checkpoint_dir=tmp_path / "run", resume=True, n_workers=1)
    _same(again, local)
    with pytest.raises(ValueError, match="another box or configuration"):
        sharded_search(CoefficientBox(1, 1, (-2, 2), (-2, 2)), CFG, checkpoint_dir=tmp_path / "run", resume=True)


@pytest.mark.slow
def test_a_worker_killed_mid_search_changes_nothing(local, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(info):  # type: ignore[no-untyped-def]
            if info["shards_done"] == 1 and not killed:  # a shard is done, the others are running
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        res = sharded_search(BOX, CFG, checkpoint_dir=tmp_path / "run", scheduler=client, blocks_per_shard=1,
                             progress=kill_one)
    assert killed
    _same(res, local)


@pytest.mark.slow
def test_shard_checkpoints_survive_a_killed_client(local, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    script = textwrap.dedent(f"""
        from srkit.contfrac.box import CoefficientBox
        from srkit.contfrac.search import SearchConfig
        from srkit.contfrac.shards import sharded_search
        box = CoefficientBox(1, 2, (-2, 2), (-2, 2))
        cfg = SearchConfig(depth=600, verify_depth=400, metrics=False, block_size=250, cap_digits=200)
        sharded_search(box, cfg, checkpoint_dir={str(folder)!r}, n_workers=1, blocks_per_shard=1)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until some shards have finished batches on disk
        done = [p for p in folder.glob("shard-*.jsonl") if len(p.read_text().splitlines()) >= 2]
        if len(done) >= 3:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the client, its scheduler and its workers
    proc.wait()
    assert 3 <= len(done) < 12, "the client should be killed mid-search"
    res = sharded_search(BOX, CFG, checkpoint_dir=folder, resume=True, n_workers=2, blocks_per_shard=1)
    _same(res, local)


@pytest.mark.slow
def test_cli_local_cluster_and_its_errors(local, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from srkit.cli import main

    base = ["cf", "search", "--a-deg", "1", "--b-deg", "2", "--coef-range", "-2", "2", "--depth", "600",
            "--verify-depth", "400", "--no-metrics", "--block-size", "250", "-q"]
    out = tmp_path / "f.json"
    assert main([*base, "--local-cluster", "2", "--checkpoint-dir", str(tmp_path / "run"), "--json", str(out)]) == 0
    # the CLI's default configuration differs from CFG only in cap_digits, which moves no relation here
    saved = sorted(json.loads(out.read_text()), key=lambda r: r["index"])  # (written new ones first)
    assert [r["relation"] for r in saved] == [r["relation"] for r in local.records]
    assert main([*base, "--local-cluster", "2"]) == 2
    assert "--scheduler and --local-cluster need --checkpoint-dir" in capsys.readouterr().err
    assert main([*base, "--checkpoint-dir", str(tmp_path / "x")]) == 2
    assert "--checkpoint-dir is for a sharded run" in capsys.readouterr().err


@pytest.mark.slow
def test_a_scheduler_address_works_like_a_local_cluster(local, tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        res = sharded_search(BOX, CFG, checkpoint_dir=tmp_path / "run", scheduler=cluster.scheduler_address,
                             blocks_per_shard=3)
    _same(res, local)
