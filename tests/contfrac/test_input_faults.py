"""Fault injection for continued-fraction input (issue 27): the exact inputs a new user tried.

Huge polynomials are refused before any expansion, numeric failures are one clear line,
existing checkpoints and outputs are never overwritten without --resume/--force, output
paths are checked before the search runs, and a checkpoint cut mid-line still resumes.
"""

from __future__ import annotations

import json
import math
import sys

import pytest
import sympy

from srkit.cli import main
from srkit.contfrac import PCF
from srkit.contfrac.box import CoefficientBox
from srkit.contfrac.pcf import UndefinedConvergentError
from srkit.contfrac.polynomials import MAX_DEGREE, MAX_DIGITS, PolynomialSizeError, as_poly
from srkit.contfrac.search import CheckpointWarning, SearchConfig, blind_search
from srkit.io import OutputExistsError

SEARCH = ["cf", "search", "--a-deg", "1", "--b-deg", "1", "--coef-range", "-2", "2", "--depth", "300",
          "--verify-depth", "200", "--no-metrics", "--quiet", "--block-size", "100"]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("srkit: error: ")
    return lines[0]


# ------------------------------------------------------------------ bounded polynomials
def test_tower_of_powers_is_refused_before_it_is_computed(capsys):
    with pytest.raises(PolynomialSizeError, match=f"limit of {MAX_DIGITS}") as info:
        PCF("10**10**10", "n")
    assert "10**10000000000" in str(info.value) and "a(n)" in str(info.value)
    assert main(["cf", "eval", "10**10**10", "n"]) == 2
    assert f"above the limit of {MAX_DIGITS}" in _one_error_line(capsys)


def test_huge_degree_is_refused_before_it_is_expanded(capsys):
    with pytest.raises(PolynomialSizeError, match=r"\(n \+ 1\)\*\*100000 has degree 100000, above the limit of 64"):
        PCF("(n+1)**100000", "n")
    assert main(["cf", "eval", "(n+1)**100000", "n"]) == 2
    assert f"degree at most {MAX_DEGREE}" in _one_error_line(capsys)


@pytest.mark.parametrize("a", [
    sympy.Pow(sympy.Symbol("n") + 1, 100000),                     # sympy input is sized node by node too
    sympy.Pow(10, 10**10, evaluate=False),
    [1] * (MAX_DEGREE + 2),                                        # a coefficient list of degree 65
    [10**(MAX_DIGITS + 1)],
])
def test_other_input_forms_are_bounded_too(a):
    with pytest.raises(PolynomialSizeError, match="limit"):
        as_poly(a, "a(n)")


def test_the_limits_themselves_are_allowed_and_exact():
    p = as_poly(f"(n+1)**{MAX_DEGREE}")
    assert len(p) == MAX_DEGREE + 1 and p[32] == math.comb(64, 32)
    assert as_poly("(2*n+1)*(3*n**2+3*n+1) - 2**100") == (1 - 2**100, 5, 9, 6)
    assert as_poly("(n**2+n)/2*2") == (0, 1, 1) and as_poly("1**(10**300)*n") == (0, 1)


def test_a_literal_float64_cannot_hold_is_refused_not_rounded():
    with pytest.raises(ValueError, match="2\\*\\*53 or more"):
        as_poly("12345678901234567891*n")
    assert as_poly("(10**19 + 1)*n") == (0, 10**19 + 1)  # the exact way to write it


# ------------------------------------------------------------------ numeric failures
@pytest.mark.parametrize("argv", [["cf", "eval", "--", "1", "-1"], ["cf", "eval", "1", "-1"]])
def test_a_cycling_fraction_is_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert "PCF('1', '-1') does not converge at depth 1000" in line and "--depth" in line


def test_digits_are_never_nan():
    d = PCF("1", "-1").digits(1000)  # convergents cycle 1, 0, pole: they never agree
    assert not math.isnan(d) and d <= 0


def test_zero_denominator_names_the_depth(capsys):
    with pytest.raises(UndefinedConvergentError, match=r"q\(1\) = 0, so the convergent x\(1\) .* undefined"):
        PCF("n-1", "1").limit(1)
    assert main(["cf", "eval", "n-1", "1", "--depth", "1"]) == 2
    assert "q(1) = 0" in _one_error_line(capsys)
    assert PCF("n-1", "1").digits(2) > 0  # the next convergent is defined


def test_zero_over_zero_after_the_fraction_stopped():
    pcf = PCF("n-5", "(n-5)*(n-6)")  # b(5) = a(5) = b(6) = 0: every convergent from depth 6 on is 0/0
    assert pcf.limit(4) == -8 and pcf.digits(4) == math.inf
    with pytest.raises(UndefinedConvergentError, match=r"b\(5\) = 0, so the fraction stops at depth 4"):
        pcf.limit(1000)
    m = pcf.metrics()  # undefined convergents are left out, nothing raises
    assert math.isnan(m.limit) and m.eig_ratio > 0


# ------------------------------------------------------------------ the README example
def test_readme_apery_example_runs_as_written(capsys):
    assert main(["cf", "eval", "34*n**3+51*n**2+27*n+5", "-n**6", "--identify"]) == 0
    out = capsys.readouterr().out
    assert "PCF('34*n**3 + 51*n**2 + 27*n + 5', '-n**6')" in out and "identified: 6/zeta(3)" in out


@pytest.mark.parametrize("b,shown", [("-n", "-n"), ("-1", "-1"), ("-2*n-1", "-2*n - 1")])
def test_negative_polynomials_are_positionals(b, shown, capsys):
    assert main(["cf", "eval", "2*n+3", b, "--depth", "200"]) == 0
    assert f"PCF('2*n + 3', '{shown}')" in capsys.readouterr().out


def test_options_still_parse_next_to_negative_polynomials(capsys):
    with pytest.raises(SystemExit) as info:
        main(["cf", "eval", "1", "-1", "-h"])
    assert info.value.code == 0 and "--identify" in capsys.readouterr().out


# ------------------------------------------------------------------ checkpoints and outputs
def test_checkpoint_without_resume_is_refused_and_kept_byte_identical(tmp_path, capsys):
    ck = tmp_path / "run.jsonl"
    assert main(SEARCH + ["--checkpoint", str(ck), "--max-blocks", "2"]) == 0
    before = ck.read_bytes()
    assert len(before.splitlines()) == 2  # header + one batch
    capsys.readouterr()
    assert main(SEARCH + ["--checkpoint", str(ck)]) == 2
    line = _one_error_line(capsys)
    assert "exists; add --resume to continue it or --force to start it over" in line
    assert ck.read_bytes() == before
    with pytest.raises(OutputExistsError, match="resume=True"):
        blind_search(CoefficientBox(1, 1, (-2, 2), (-2, 2)), SearchConfig(depth=300, verify_depth=200), checkpoint=ck)
    assert ck.read_bytes() == before
    assert main(SEARCH + ["--checkpoint", str(ck), "--resume"]) == 0  # continue it
    assert len(ck.read_bytes()) > len(before) and ck.read_bytes().startswith(before)


def test_force_starts_the_checkpoint_over(tmp_path):
    ck = tmp_path / "run.jsonl"
    ck.write_text("an earlier file\n")
    assert main(SEARCH + ["--checkpoint", str(ck), "--force", "--max-blocks", "1"]) == 0
    lines = ck.read_text().splitlines()
    assert "header" in json.loads(lines[0]) and len(lines) == 2


def test_existing_json_needs_force(tmp_path, capsys):
    out = tmp_path / "out.json"
    out.write_text("[]")
    assert main(SEARCH + ["--json", str(out)]) == 2
    assert "'" + str(out) + "' exists; add --force" in _one_error_line(capsys)
    assert out.read_text() == "[]"
    assert main(SEARCH + ["--json", str(out), "--force"]) == 0
    recs = json.loads(out.read_text())
    assert any(r["relation"] == "1/(e - 1)" and r["a"] == [0, 1] and r["b"] == [0, 1] for r in recs)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left behind


@pytest.mark.parametrize("flag", ["--json", "--csv", "--checkpoint"])
def test_a_bad_output_folder_is_found_before_the_search_runs(flag, tmp_path, monkeypatch, capsys):
    def no_search(*args, **kwargs):
        raise AssertionError("the search ran before the output path was checked")

    monkeypatch.setattr("srkit.contfrac.search.blind_search", no_search)
    assert main(SEARCH + [flag, str(tmp_path / "missing" / "out.txt")]) == 2
    assert "does not exist; create it first" in _one_error_line(capsys)


def test_a_checkpoint_cut_mid_line_resumes(tmp_path):
    box, cfg = CoefficientBox(1, 1, (-2, 2), (-2, 2)), SearchConfig(depth=300, verify_depth=200, metrics=False,
                                                                      block_size=100)
    full = blind_search(box, cfg)
    ck = tmp_path / "run.jsonl"
    blind_search(box, cfg, checkpoint=ck, max_blocks=4)
    text = ck.read_text()
    assert len(text.splitlines()) == 3
    ck.write_text(text[:-40])  # a crash in the middle of the last append
    with pytest.warns(CheckpointWarning, match="skipped line.* 3 .*cut short"):
        res = blind_search(box, cfg, checkpoint=ck, resume=True)
    assert res.complete and [r["index"] for r in res.records] == [r["index"] for r in full.records]
    assert all(json.loads(line) for line in ck.read_text().splitlines())  # appended after a clean line


def test_cluster_plot_without_matplotlib_is_one_line_before_the_work(tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"a": [1, 2], "b": [0, 0, 1], "constant": "pi"}]))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError

    def no_metrics(*args, **kwargs):
        raise AssertionError("metrics were computed before the missing package was reported")

    monkeypatch.setattr("srkit.contfrac.cluster.metrics_table", no_metrics)
    assert main(["cf", "cluster", str(src), "--plot", str(tmp_path / "p.png")]) == 2
    assert _one_error_line(capsys) == "srkit: error: --plot needs matplotlib: pip install matplotlib"


def test_cluster_refuses_an_existing_output_and_a_bad_input_file(tmp_path, capsys):
    src, out = tmp_path / "in.json", tmp_path / "out.csv"
    src.write_text(json.dumps([{"a": [1, 2], "b": [0, 0, 1], "constant": "pi"}]))
    out.write_text("keep")
    assert main(["cf", "cluster", str(src), "--output", str(out)]) == 2
    assert "exists; add --force" in _one_error_line(capsys) and out.read_text() == "keep"
    src.write_text(json.dumps([{"a": 1}]))
    assert main(["cf", "cluster", str(src)]) == 2
    assert f"{src}: formula 0 lacks the coefficient lists" in _one_error_line(capsys)
