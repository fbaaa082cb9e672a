"""The srkit command: help, fit on a CSV, clear errors, problem listing."""

import json

import numpy as np
import pytest

from srkit.cli import main


def _csv(path, header="m,a,F", rows=None):
    rng = np.random.default_rng(0)
    if rows is None:
        m, a = rng.uniform(1, 3, 30), rng.uniform(-2, 2, 30)
        rows = [f"{x},{y},{x * y}" for x, y in zip(m, a)]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def test_help_is_useful(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("fit", "demo", "problems", "examples:"):
        assert word in out


def test_fit_prints_front_and_saves(tmp_path, capsys):
    out_json = tmp_path / "model.json"
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--time-budget", "20",
                 "--operators", "add,mul", "--seed", "0", "--quiet", "--output", str(out_json)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Pareto front" in out and "Chosen formula:" in out
    saved = json.loads(out_json.read_text())
    assert saved["feature_names"] == ["m", "a"]
    import srkit

    model = srkit.load(out_json)
    assert model.predict(np.array([[2.0, 3.0]]))[0] == pytest.approx(6.0)


def test_non_numeric_column_is_named(tmp_path, capsys):
    path = _csv(tmp_path / "d.csv", rows=["1,2,3", "2,abc,5"])
    assert main(["fit", path, "--target", "F", "--time-budget", "1"]) == 2
    err = capsys.readouterr().err
    assert "column 'a'" in err and "line 3" in err and "'abc'" in err


def test_unknown_target_suggests(tmp_path, capsys):
    assert main(["fit", _csv(tmp_path / "d.csv"), "--target", "f", "--time-budget", "1"]) == 2
    assert "Did you mean 'F'" in capsys.readouterr().err


def test_negative_budget_and_missing_file(tmp_path, capsys):
    assert main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--time-budget", "-1"]) == 2
    assert "time_budget must be a positive number" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "nope.csv"), "--target", "F"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_problems_list(capsys):
    assert main(["problems", "list", "--suite", "nguyen"]) == 0
    out = capsys.readouterr().out
    assert "Nguyen-1" in out and "Nguyen-12" in out and "Feynman" not in out


@pytest.mark.slow
def test_demo_recovers_newtons_law(capsys):
    import sympy

    assert main(["demo", "--seed", "0", "--time-budget", "120", "--max-evals", "150000", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "F = 6.674*m1*m2/r**2" in out
    chosen = out.split("sympy:")[1].splitlines()[0].strip()
    m1, m2, r = sympy.symbols("m1 m2 r")
    ratio = sympy.simplify(sympy.sympify(chosen, locals={"m1": m1, "m2": m2, "r": r}) / (m1 * m2 / r**2))
    assert ratio.free_symbols == set() and abs(float(ratio) - 6.674) < 0.05


def test_fit_with_units(tmp_path, capsys):
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--units", "m=kg", "a=m/s**2", "F=N",
                 "--time-budget", "20", "--seed", "0", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Chosen formula: a * m" in out or "Chosen formula: m * a" in out
    assert "units:  consistent" in out


@pytest.mark.parametrize("units, message", [
    (["m=kg", "a=m/s**2", "F=Nn"], "unknown unit 'Nn' in 'Nn'. Did you mean 'N'?"),
    (["m=kg", "F=N"], "--units lacks the unit of a; give every feature a unit ('1' for dimensionless), e.g. a=1"),
    (["m=kg", "a=m/s**2", "F=N", "mass=kg"], "--units names 'mass', which is neither the target (F) nor a feature"),
    (["m=kg", "a"], "--units needs NAME=UNIT pairs such as m=kg or F=N, got 'a'"),
])
def test_bad_units_are_one_line_errors(tmp_path, capsys, units, message):
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--units", *units, "--time-budget", "5", "--quiet"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_units_for_a_dropped_feature(tmp_path, capsys):
    code = main(["fit", _csv(tmp_path / "d.csv"), "--target", "F", "--features", "m",
                 "--units", "m=kg", "a=m/s**2", "F=N", "--time-budget", "5", "--quiet"])
    assert code == 2
    assert "--units gives a unit for 'a', a column that is not among the features (m)" in capsys.readouterr().err
