"""Tests of the benchmark harness: benchmarks/run.py, benchmarks/summarize.py, benchmarks/_harness.py.

The fits are tiny (srkit with an evaluation budget on Nguyen-8 and Nguyen-11, one seed), but
each runs in its own child process (a few seconds with srkit's start-up), hence ``slow``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import _harness  # noqa: E402
import run  # noqa: E402
import summarize  # noqa: E402

FAKE = Path(__file__).resolve().parent / "fake_methods.py"
TINY = [("nguyen", "Nguyen-8"), ("nguyen", "Nguyen-11")]
#: Enough for a few GP generations; both formulas are found well within it.
MAX_EVALS = 6000
#: Fields that must not depend on where or how fast a fit ran.
RESULT_FIELDS = (
    "method", "problem", "suite", "seed", "time_budget", "max_evals", "noise", "status", "expression",
    "size", "n_evals", "iterations", "stopped_by", "train_r2", "test_r2", "recovered", "recovered_exact",
    "recovered_srbench", "numeric_recovery", "check_status",
)


def tiny_tasks() -> list[_harness.Task]:
    return run.build_tasks(["srkit"], TINY, [0], 20.0, max_evals=MAX_EVALS, check_timeout=10.0, grace=20.0)


@pytest.fixture(scope="module")
def loky_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("bench") / "tiny.jsonl"
    rows = run.run(tiny_tasks(), out, backend="loky", workers=2, quiet=True)
    return out, rows


def _by_problem(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["problem"]: r for r in rows}


# -- selection and tasks (fast) -----------------------------------------------------------
def test_feynman20_is_first_twenty_with_three_or_more_variables() -> None:
    from srkit import problems

    names = run.suite_problems("feynman20", verbose=False)
    assert len(names) == 20 and names[0] == "I.6.2b"
    assert all(problems.get(n).n_variables >= 3 for n in names)
    order = problems.names("feynman")
    assert [order.index(n) for n in names] == sorted(order.index(n) for n in names)


def test_select_problems_and_tasks() -> None:
    assert run.select_problems(None, ["nguyen8", "I.6.2a"]) == [("nguyen", "Nguyen-8"), ("feynman", "I.6.2a")]
    assert run.select_problems(["nguyen-c", "constant"], None)[0] == ("nguyen-c", "Constant-1")
    assert len(run.select_problems(["nguyen-c", "constant"], None)) == 8  # each problem once
    with pytest.raises(ValueError, match="none of the suites"):
        run.select_problems(["koza"], ["Nguyen-1"])
    tasks = run.build_tasks(["srkit", "gplearn"], TINY, [0, 1], 30, max_evals=100)
    assert len(tasks) == 8 and [t.method for t in tasks[:2]] == ["srkit", "gplearn"]
    assert tasks[0].max_evals == 100 and tasks[1].max_evals is None  # evaluations: srkit only
    opts = run.build_tasks(["srkit", "gplearn", "x=m:f"], TINY[:1], [0], 30, options={"a": 1})
    assert [t.options for t in opts] == [{"a": 1}, {}, {"a": 1}]  # never to the peers
    assert (opts[2].method, opts[2].spec) == ("x", "m:f")
    rel = run.build_tasks([f"{FAKE.name}:boom"], TINY[:1], [0], 30)[0]
    assert rel.method == f"{FAKE.name}:boom" and rel.spec == f"{Path(FAKE.name).resolve()}:boom"
    assert tasks[0].deadline == 30 + 30 + 4 * 15


def test_unknown_methods_fail_early() -> None:
    with pytest.raises(ValueError, match="unknown srkit searcher"):
        run.check_methods(["srkit-nope"])
    with pytest.raises(ValueError, match="unknown method"):
        run.check_methods(["pysr"])
    run.check_methods(["srkit", "srkit-gp", f"sleepy={FAKE}:sleepy"])


def test_done_keys_count_ok_and_timeout_not_errors(tmp_path: Path) -> None:
    base = {"method": "srkit", "problem": "Nguyen-1", "suite": "nguyen", "time_budget": 30.0,
            "max_evals": None, "noise": 0.0, "options": {}}
    rows = [dict(base, seed=0, status="ok"), dict(base, seed=1, status="timeout"),
            dict(base, seed=2, status="error: ValueError: x")]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    tasks = run.build_tasks(["srkit"], [("nguyen", "Nguyen-1")], [0, 1, 2], 30.0)
    done = run.done_keys(path)
    assert [t.key() in done for t in tasks] == [True, True, False]


# -- real fits ----------------------------------------------------------------------------
@pytest.mark.slow
def test_tiny_run_writes_rows_and_recovers(loky_run: tuple[Path, list[dict[str, Any]]]) -> None:
    out, rows = loky_run
    lines = out.read_text().splitlines()
    assert len(lines) == 2
    written = [json.loads(line) for line in lines]  # valid JSON, one object per line
    assert sorted(r["problem"] for r in written) == ["Nguyen-11", "Nguyen-8"]
    for r in written:
        assert list(r)[: len(_harness.ROW_FIELDS)] == list(_harness.ROW_FIELDS)
        assert r["status"] == "ok", r["status"]
        assert r["recovered"] is True and r["recovered_exact"] is True and r["numeric_recovery"] is True
        assert r["max_evals"] == MAX_EVALS and r["n_evals"] >= 1 and r["size"] >= 2
        assert r["train_r2"] == pytest.approx(1.0) and r["test_r2"] == pytest.approx(1.0)
        assert r["wall"] > 0 and r["cpu"] > 0 and r["elapsed"] >= r["wall"]
        assert r["srkit_version"] and r["machine"] and r["host"]
        assert r["commit"] and isinstance(r["dirty"], bool)  # every raw row says which code made it
    by = _by_problem(written)
    assert by["Nguyen-8"]["expression"] == "sqrt(x1)"
    assert by["Nguyen-11"]["expression"].replace(" ", "") == "x1**x2"


@pytest.mark.slow
def test_resume_skips_finished_fits(loky_run: tuple[Path, list[dict[str, Any]]],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = loky_run
    assert run.run(tiny_tasks(), out, resume=True, quiet=True) == []
    argv = ["--methods", "srkit", "--problems", "Nguyen-8", "Nguyen-11", "--seeds", "0",
            "--time-budget", "20", "--max-evals", str(MAX_EVALS), "--check-timeout", "10", "--grace", "20",
            "--out", str(out), "--resume"]
    assert run.main(argv) == 0
    text = capsys.readouterr().out
    assert "resume: 2 of 2 fits already in" in text
    assert "| srkit | nguyen | 6000 evals | 2 | 100% (2/2) |" in text
    assert len(out.read_text().splitlines()) == 2  # nothing appended


@pytest.mark.slow
def test_hard_deadline_kills_and_records_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sleepy = _harness.Task("sleepy", "Nguyen-8", "nguyen", 0, time_budget=1.0,
                           options={"pid_file": str(pid_file)}, grace=2.0, check_timeout=0.25,
                           spec=f"{FAKE}:sleepy")
    others = run.build_tasks([f"boom={FAKE}:boom", f"truth={FAKE}:truth"], [("nguyen", "Nguyen-8")], [0], 1.0)
    rows = run.run([sleepy, *others], tmp_path / "t.jsonl", workers=3, quiet=True)
    by = {r["method"]: r for r in rows}

    slow = by["sleepy"]
    assert slow["status"] == "timeout"
    # not killed before its deadline; that it was killed (not waited for) is the status,
    # the hard-deadline note and the vanished pid below, not a wall-clock bound
    assert slow["deadline"] == 4.0 and slow["elapsed"] >= 4.0
    assert "during the fit" in slow["check_status"]["hard_deadline"]
    assert slow["recovered"] is None and slow["expression"] is None
    pid = int(pid_file.read_text())  # the fake got to run, and was killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    assert by["boom"]["status"] == "error: RuntimeError: boom"
    truth = by["truth"]  # a custom method returning a dict; size counted as sympy nodes
    assert truth["status"] == "ok" and truth["recovered"] is True and truth["n_evals"] == 1
    assert truth["size"] == 3 and truth["iterations"] is None


@pytest.mark.slow
def test_dask_local_cluster_gives_the_loky_rows(loky_run: tuple[Path, list[dict[str, Any]]],
                                                tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    _, loky_rows = loky_run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask_rows = run.run(tiny_tasks(), tmp_path / "dask.jsonl", backend="dask",
                            scheduler=cluster.scheduler_address, quiet=True)
    a, b = _by_problem(loky_rows), _by_problem(dask_rows)
    assert sorted(a) == sorted(b) == ["Nguyen-11", "Nguyen-8"]
    for name in a:
        assert {k: a[name][k] for k in RESULT_FIELDS} == {k: b[name][k] for k in RESULT_FIELDS}


# -- summarize ----------------------------------------------------------------------------
def _row(method: str, problem: str, suite: str, seed: int, status: str = "ok", budget: float = 30.0,
         rec: bool | None = False, num: bool | None = False, r2: float | None = None,
         wall: float | None = None, n_evals: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"method": method, "problem": problem, "suite": suite, "seed": seed, "time_budget": budget,
            "max_evals": None, "noise": 0.0, "options": {}, "status": status, "wall": wall,
            "n_evals": n_evals, "test_r2": r2, "recovered": rec, "recovered_exact": rec,
            "recovered_srbench": rec, "numeric_recovery": num, **extra}


HAND_ROWS = [
    _row("srkit", "Nguyen-1", "nguyen", 0, rec=True, num=True, r2=1.0, wall=10.0, n_evals=1000),
    _row("srkit", "Nguyen-1", "nguyen", 1, status="error: boom"),  # superseded by the next line
    _row("srkit", "Nguyen-1", "nguyen", 1, num=True, r2=0.99, wall=30.0, n_evals=3000),
    _row("gplearn", "Nguyen-1", "nguyen", 0, status="timeout", rec=None, num=None, elapsed=95.0),
    _row("gplearn", "Nguyen-1", "nguyen", 1, r2=0.5, wall=30.0),
    _row("gplearn", "Nguyen-1", "nguyen", 2, r2=0.7, wall=31.0),
    _row("srkit", "I.6.2b", "feynman20", 0, rec=True, num=True, r2=1.0, wall=12.0, n_evals=500),
]

EXPECTED = """\
| method | suite | budget | runs | symbolic recovery | exact (DSR) | SRBench rule | numeric recovery | median test R2 | median time (s) | median evals | timeouts/errors |
|---|---|---|---|---|---|---|---|---|---|---|---|
| srkit | nguyen | 30 s | 2 | 50% (1/2) | 50% | 50% | 100% | 0.995000 | 20.0 | 2000 | 0 |
| gplearn | nguyen | 30 s | 3 | 0% (0/3) | 0% | 0% | 0% | 0.500000 | 31.0 | n/a | 1 |
| srkit | feynman20 | 30 s | 1 | 100% (1/1) | 100% | 100% | 100% | 1.000000 | 12.0 | 500 | 0 |"""


def test_summarize_table_from_hand_written_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hand.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in HAND_ROWS) + "\n")
    rows = summarize.load_rows([path])
    assert len(rows) == 7 and len(summarize.latest(rows)) == 6
    assert summarize.summary_tables(rows) == EXPECTED
    table = summarize.summary_tables(rows, by_problem=True).split("\n\n")[1].splitlines()
    assert table[2] == "| Nguyen-1 | srkit | 30 s | 2 | 1/2 | 1/2 | 1/2 | 2/2 | 0.995000 | 20.0 | 0 |"
    assert table[3] == "| Nguyen-1 | gplearn | 30 s | 3 | 0/3 | 0/3 | 0/3 | 0/3 | 0.500000 | 31.0 | 1 |"
    assert summarize.main([str(path)]) == 0
    assert capsys.readouterr().out.strip() == EXPECTED


@pytest.mark.slow
def test_summarize_plots(tmp_path: Path) -> None:
    bars = tmp_path / "bars.png"
    summarize.plot_recovery(HAND_ROWS, bars)  # one budget: bars per method x suite
    more = HAND_ROWS + [_row("srkit", "Nguyen-1", "nguyen", 0, budget=10.0, wall=10.0),
                        _row("gplearn", "Nguyen-1", "nguyen", 0, budget=10.0, rec=True, wall=10.0)]
    assert "| srkit | nguyen | 10 s | 1 | 0% (0/1) |" in summarize.summary_tables(more)
    lines = tmp_path / "lines.png"
    summarize.plot_recovery(more, lines)  # two budgets: recovery vs budget
    for png in (bars, lines):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_units_option_passes_the_problems_units(tmp_path: Path) -> None:
    # I.12.1, F = mu*Nn: with units the law is Nn * f(mu), found at once
    tasks = run.build_tasks(["srkit"], [("feynman", "I.12.1")], [0], 20.0, options={"units": True},
                            check_timeout=10.0, grace=20.0)
    rows = run.run(tasks, tmp_path / "units.jsonl", backend="loky", workers=1, quiet=True)
    assert rows[0]["status"] == "ok" and rows[0]["options"] == {"units": True}
    assert rows[0]["recovered_exact"] is True
    assert summarize.load_rows([tmp_path / "units.jsonl"])[0]["method"] == "srkit+units"
    bad = run.build_tasks(["srkit"], [("nguyen", "Nguyen-1")], [0], 5.0, options={"units": True})
    row = run.run(bad, tmp_path / "bad.jsonl", backend="loky", workers=1, quiet=True)[0]
    assert "problem Nguyen-1 has no units" in row["status"]
