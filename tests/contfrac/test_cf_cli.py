"""`srkit cf eval|identify|search|cluster`."""

import json

import pytest

from srkit.cli import main


def test_cf_eval(capsys):
    assert main(["cf", "eval", "2*n+1", "n**2", "--depth", "300", "--identify"]) == 0
    out = capsys.readouterr().out
    assert "1.27323954473516268615" in out and "identified: 4/pi" in out


def test_cf_eval_coefficient_lists_and_metrics(capsys):
    assert main(["cf", "eval", "[1]", "[1]", "--metrics"]) == 0
    out = capsys.readouterr().out
    assert "1.6180339887" in out and "fr_delta" in out


def test_cf_identify(capsys):
    assert main(["cf", "identify", "0.73575888234288464319104754"]) == 0
    assert "= 2/e" in capsys.readouterr().out
    assert main(["cf", "identify", "0.12345678901234567890123456789", "--constants", "pi,e"]) == 1


def test_cf_search_json_has_the_public_keys(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["cf", "search", "--a-deg", "1", "--b-deg", "1", "--coef-range", "-2", "2", "--depth", "400",
                 "--verify-depth", "300", "--no-metrics", "--quiet", "--json", str(out)]) == 0
    recs = json.loads(out.read_text())
    assert recs and all({"a", "b", "limit", "constant", "relation", "digits", "delta"} <= set(r) for r in recs)
    assert any(r["relation"] == "1/(e - 1)" and r["a"] == [0, 1] and r["b"] == [0, 1] for r in recs)
    assert "verified formulas" in capsys.readouterr().out


@pytest.mark.slow
def test_cf_cluster(tmp_path, capsys):
    src = tmp_path / "in.json"
    assert main(["cf", "search", "--a-deg", "1", "--b-deg", "1", "--coef-range", "-3", "3", "--depth", "400",
                 "--verify-depth", "300", "--quiet", "--json", str(src)]) == 0
    png, csv_out = tmp_path / "planes.png", tmp_path / "clusters.csv"
    assert main(["cf", "cluster", str(src), "--sample", "60", "--a-deg", "1", "--b-deg", "1",
                 "--coef-range", "-3", "3", "--plot", str(png), "--output", str(csv_out)]) == 0
    assert png.stat().st_size > 10_000 and len(csv_out.read_text().splitlines()) > 60
    assert "clusters" in capsys.readouterr().out


@pytest.mark.parametrize("argv,msg", [
    (["cf", "search", "--a-deg", "1", "--b-deg", "1"], "coef-range"),
    (["cf", "eval", "n/2", "1"], "not an integer"),
    (["cf", "identify", "3.14"], "needs at least"),
])
def test_cf_bad_input_is_one_clear_line(argv, msg, capsys):
    assert main(argv) == 2
    assert msg in capsys.readouterr().err
