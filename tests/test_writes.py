"""Writes that cannot corrupt (issue 27): outputs are checked before any work, an existing
file needs --force, and a write that fails midway leaves the earlier file byte-identical.

"No work ran" is asserted by replacing the data loaders with ones that record a call,
never by timing.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

import srkit
from srkit.alpha.pool import FactorPool
from srkit.cli import main
from srkit.io import atomic_write

EARLIER = b'{"earlier": "result", "keep": [1, 2, 3]}\n'
FAST_FIT = ["--operators", "add,mul", "--max-evals", "300", "--seed", "0", "--quiet"]


def _csv(tmp_path: Path) -> str:
    rng = np.random.default_rng(0)
    m, a = rng.uniform(1, 3, 30), rng.uniform(-2, 2, 30)
    path = tmp_path / "d.csv"
    path.write_text("m,a,F\n" + "\n".join(f"{x},{y},{x * y}" for x, y in zip(m, a)) + "\n")
    return str(path)


def _earlier(path: Path) -> Path:
    path.write_bytes(EARLIER)
    return path


@pytest.fixture
def no_loading(monkeypatch):
    """Record any attempt to load data: the CSV reader and the panel loader."""
    calls: list[str] = []

    def refuse(what):
        def loader(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} ran before the output path was checked")
        return loader

    monkeypatch.setattr("srkit.core.data.read_csv", refuse("read_csv"))
    monkeypatch.setattr("srkit.alpha.load_panel", refuse("load_panel"))
    return calls


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("srkit: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _no_temp_files(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------- srkit fit / demo --output
def test_existing_output_is_refused_before_the_data_is_read(tmp_path, capsys, no_loading):
    out = _earlier(tmp_path / "model.json")
    assert main(["fit", _csv(tmp_path), "--target", "F", "--output", str(out)]) == 2
    line = _error_line(capsys)
    assert "exists" in line and "--force" in line
    assert out.read_bytes() == EARLIER and no_loading == []


def test_force_overwrites_the_output(tmp_path, capsys):
    out = _earlier(tmp_path / "model.json")
    assert main(["fit", _csv(tmp_path), "--target", "F", *FAST_FIT, "--output", str(out), "--force"]) == 0
    assert srkit.load(out).predict(np.array([[2.0, 3.0]]))[0] == pytest.approx(6.0)
    _no_temp_files(tmp_path)


@pytest.mark.parametrize("bad,words", [("missing/model.json", "does not exist"), (".", "is a folder")])
def test_bad_output_folder_is_refused_before_any_work(tmp_path, capsys, no_loading, bad, words):
    out = tmp_path / bad
    assert main(["fit", _csv(tmp_path), "--target", "F", "--output", str(out)]) == 2
    assert words in _error_line(capsys) and no_loading == []
    assert main(["demo", "--output", str(out), "--quiet"]) == 2  # demo checks before it generates data
    assert words in _error_line(capsys)


def test_unwritable_output_folder_is_refused(tmp_path, capsys, no_loading):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["fit", _csv(tmp_path), "--target", "F", "--output", str(folder / "m.json")]) == 2
        assert "not writable" in _error_line(capsys)
    finally:
        folder.chmod(0o700)


def test_a_failed_write_keeps_the_earlier_file(tmp_path, capsys, monkeypatch):
    """The disk fills up while the model is written: the earlier file stays, no temp file is left."""
    out = _earlier(tmp_path / "model.json")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    real_fit = srkit.SymbolicRegressor.fit

    def fit_then_fill_the_disk(self, *args, **kwargs):
        result = real_fit(self, *args, **kwargs)
        monkeypatch.setattr("srkit.io.os.fsync", disk_full)  # only the save, after the search
        return result

    monkeypatch.setattr(srkit.SymbolicRegressor, "fit", fit_then_fill_the_disk)
    assert main(["fit", _csv(tmp_path), "--target", "F", *FAST_FIT, "--output", str(out), "--force"]) == 2
    line = _error_line(capsys)
    assert "cannot write --output" in line and "No space left on device" in line and "unchanged" in line
    assert out.read_bytes() == EARLIER
    _no_temp_files(tmp_path)


# ---------------------------------------------------------------- srkit.io and the pool
def test_atomic_write_keeps_the_earlier_file_when_the_rename_fails(tmp_path, monkeypatch):
    out = _earlier(tmp_path / "x.json")

    def fail(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("srkit.io.os.replace", fail)
    with pytest.raises(OSError):
        atomic_write(out, "new content")
    assert out.read_bytes() == EARLIER
    _no_temp_files(tmp_path)


def _pool() -> FactorPool:
    rng = np.random.default_rng(0)
    target = rng.standard_normal((40, 8))
    pool = FactorPool(target, capacity=3)
    pool.add("close", target + rng.standard_normal((40, 8)))
    assert len(pool) == 1
    return pool


def test_pool_save_is_atomic(tmp_path, monkeypatch):
    out = _earlier(tmp_path / "pool.json")
    pool = _pool()

    def fail(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("srkit.io.os.replace", fail)
    with pytest.raises(OSError):
        pool.save(out)
    assert out.read_bytes() == EARLIER
    _no_temp_files(tmp_path)
    monkeypatch.undo()
    pool.save(out)
    assert FactorPool.load_formulas(out)[0] == ["close"]


def test_pool_that_cannot_be_serialised_leaves_the_file_alone(tmp_path, monkeypatch):
    out = _earlier(tmp_path / "pool.json")
    pool = _pool()
    monkeypatch.setattr(FactorPool, "to_dict", lambda self: {"formulas": ["close"], "weights": [object()]})
    with pytest.raises(TypeError):
        pool.save(out)
    assert out.read_bytes() == EARLIER
    _no_temp_files(tmp_path)


def test_a_bad_pool_file_is_named(tmp_path):
    bad = tmp_path / "pool.json"
    bad.write_text('{"formulas": ["close"]}')
    with pytest.raises(ValueError, match="is not a pool file"):
        FactorPool.load_formulas(bad)
    bad.write_text("not json")
    with pytest.raises(ValueError, match="pool.json is not a pool file"):
        FactorPool.load_formulas(bad)


# ---------------------------------------------------------------- srkit alpha outputs
def _prices(tmp_path: Path) -> Path:
    from srkit.alpha.synthetic import synthetic_panel, write_price_folder

    return write_price_folder(synthetic_panel(n_dates=60, n_assets=5), tmp_path / "prices")


@pytest.mark.parametrize("command", [
    ["alpha", "eval", "PRICES", "close", "--json", "OUT"],
    ["alpha", "mine", "PRICES", "--pool", "OUT"],
    ["alpha", "mine", "PRICES", "--json", "OUT"],
    ["alpha", "backtest", "PRICES", "--formula", "close", "--json", "OUT"],
    ["alpha", "backtest", "PRICES", "--formula", "close", "--plot", "OUT"],
])
def test_alpha_outputs_are_checked_before_the_panel_loads(tmp_path, capsys, no_loading, command):
    out = _earlier(tmp_path / "out.json")
    argv = [str(tmp_path / "prices") if a == "PRICES" else str(out) if a == "OUT" else a for a in command]
    assert main(argv) == 2
    assert "exists; add --force" in _error_line(capsys)
    assert out.read_bytes() == EARLIER and no_loading == []
    missing = [str(tmp_path / "no" / "x.json") if a == str(out) else a for a in argv]
    assert main(missing) == 2
    assert "does not exist" in _error_line(capsys) and no_loading == []


def test_alpha_mine_refuses_one_file_for_two_outputs(tmp_path, capsys, no_loading):
    same = str(tmp_path / "both.json")
    assert main(["alpha", "mine", str(tmp_path), "--pool", same, "--json", same]) == 2
    assert "--pool and --json both name" in _error_line(capsys) and no_loading == []


def test_alpha_backtest_pool_input_is_checked_before_the_panel_loads(tmp_path, capsys, no_loading):
    assert main(["alpha", "backtest", str(tmp_path), "--pool", str(tmp_path / "none.json")]) == 2
    assert "write a pool first" in _error_line(capsys)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["alpha", "backtest", str(tmp_path), "--pool", str(bad)]) == 2
    assert "is not a pool file" in _error_line(capsys) and no_loading == []


def test_alpha_eval_force_overwrites_atomically(tmp_path, capsys):
    prices = _prices(tmp_path)
    out = _earlier(tmp_path / "out.json")
    assert main(["alpha", "eval", str(prices), "-ts_pct(close, 5)", "--json", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["formula"] == "-ts_pct(close, 5)"
    _no_temp_files(tmp_path)


def test_alpha_backtest_plot_is_atomic(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    prices = _prices(tmp_path)
    png = _earlier(tmp_path / "curve.png")

    def fail(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("srkit.io.os.replace", fail)
    assert main(["alpha", "backtest", str(prices), "--formula", "close", "--plot", str(png), "--force"]) == 2
    assert "cannot write --plot" in _error_line(capsys)
    assert png.read_bytes() == EARLIER
    _no_temp_files(tmp_path)
    monkeypatch.undo()
    assert main(["alpha", "backtest", str(prices), "--formula", "close", "--plot", str(png), "--force"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
