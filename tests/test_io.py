"""srkit.io: atomic writes and output paths checked before work."""

from __future__ import annotations

import os
import stat

import pytest

from srkit.io import OutputExistsError, atomic_open, atomic_write, check_output_path


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old")
    atomic_write(path, '{"new": 1}')
    assert path.read_text() == '{"new": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    atomic_write(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"


def test_a_failure_mid_write_keeps_the_earlier_file_intact(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text("earlier content")
    with pytest.raises(RuntimeError, match="disk full"), atomic_open(path) as fh:
        fh.write("half of the new cont")
        raise RuntimeError("disk full")
    assert path.read_text() == "earlier content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.json"]  # the temporary file is gone


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("a")
    os.chmod(path, 0o640)
    atomic_write(path, "b")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_check_output_path_refuses_what_cannot_or_should_not_be_written(tmp_path):
    check_output_path(tmp_path / "new.json")  # a new file in an existing folder: fine
    check_output_path(None)
    existing = tmp_path / "old.json"
    existing.write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        check_output_path(existing)
    check_output_path(existing, force=True)
    with pytest.raises(ValueError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "x.json", flag="--json")
    with pytest.raises(ValueError, match="is a folder"):
        check_output_path(tmp_path)
    assert existing.read_text() == "keep me"
