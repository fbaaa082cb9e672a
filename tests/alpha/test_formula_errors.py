"""Alpha formula errors in the DSL's own words (issue 27): the exact inputs a new user tried.

An unknown operator used to print all ~420 internal windowed names (7 KB),
``ts_mean(close)`` suggested internal names such as ``ts_mean_9``, and a window of 0
was refused with a message about a "negative shift".
"""

from __future__ import annotations

import re

import pytest

from srkit.alpha import parse_factor
from srkit.alpha.formula import search_opset
from srkit.alpha.synthetic import synthetic_panel
from srkit.cli import main
from srkit.core.parse import ParseError

FIELDS = ["open", "high", "low", "close", "volume", "vwap"]
INTERNAL = re.compile(r"\b[a-z_]+_\d+\b")  # ts_mean_9, Mean_5: names a user never writes


def _error(text: str) -> str:
    with pytest.raises(ParseError) as exc:
        parse_factor(text, FIELDS)
    return str(exc.value)


def test_unknown_operator_is_short_and_suggests_user_facing_names():
    msg = _error("ts_meen(close, 5)")
    assert len(msg) < 600, msg  # was ~5 KB: every windowed operator
    assert "Did you mean 'ts_mean'" in msg
    assert not INTERNAL.search(msg.split("Did you mean")[1]), msg
    assert "srkit.alpha.operators" in msg


def test_unknown_operator_without_a_close_name():
    msg = _error("foo(close)")
    assert "unknown operator 'foo'" in msg and len(msg) < 600
    assert not INTERNAL.search(msg)


def test_cross_sectional_typo_suggests_cs_rank():
    msg = _error("cs_rnk(close)")
    assert "'cs_rank'" in msg and not INTERNAL.search(msg)


def test_missing_window_shows_the_call_with_a_window():
    msg = _error("ts_mean(close)")
    assert "ts_mean needs a window: ts_mean(close, 5)" in msg
    assert "ts_mean_9" not in msg and not INTERNAL.search(msg)


@pytest.mark.parametrize("text,got", [("ts_mean(close, 0)", "got 0"), ("ts_delay(close, 0)", "got 0"),
                                      ("Mean($close, 0d)", "got 0"), ("ts_mean(close, 0.5)", "got 0.5")])
def test_window_zero_states_the_rule(text, got):
    msg = _error(text)
    assert "windows are whole numbers of days >= 1" in msg and got in msg
    assert "negative shift" not in msg


def test_negative_window_states_the_rule_and_why():
    msg = _error("Ref($close, -2)")
    assert "windows are whole numbers of days >= 1; got -2" in msg and "future" in msg


def test_window_below_the_family_minimum_and_unknown_window():
    assert "ts_mean needs a window of at least 2 days; got 1" in _error("ts_mean(close, 1)")
    msg = _error("ts_mean(close, 11)")
    assert "no window of 11 days" in msg and "available windows: 2, 3" in msg


def test_non_numeric_window():
    assert "the window of ts_mean must be a whole number of days" in _error("ts_mean(close, volume)")


def test_argument_count_errors_name_the_family_not_the_internal_operator():
    msg = _error("ts_corr(close, 5)")
    assert "ts_corr takes two inputs and a window" in msg and "ts_corr_5" not in msg
    msg = _error("ts_mean(close, 5, 3)")
    assert "ts_mean takes one input and a window" in msg and "ts_mean_3" not in msg
    assert "ts_rank(close, 5)" in _error("rank(close, 5)")  # rank is cross-sectional: no window


def test_valid_dialects_still_parse():
    assert str(parse_factor("decay_linear(close, 9.7)", FIELDS)) == "ts_decay_linear(close, 9)"
    assert str(parse_factor("Mean($close, 10d)", FIELDS)) == "ts_mean(close, 10)"


def test_search_opset_refuses_misspelled_families_and_windows():
    with pytest.raises(ValueError, match="Did you mean 'ts_mean'"):
        search_opset(["close"], ["add", "ts_meen"], [5])
    with pytest.raises(ValueError, match="windows must be whole numbers of days"):
        search_opset(["close"], ["ts_mean"], [0])
    with pytest.raises(ValueError) as exc:
        search_opset(["close"], ["add", "foo"], [5])
    assert len(str(exc.value)) < 600


@pytest.fixture
def prices(tmp_path):
    """A folder of per-ticker CSVs; one ticker listed late (for the load report)."""
    from srkit.alpha.synthetic import write_price_folder

    return write_price_folder(synthetic_panel(n_dates=80, n_assets=6), tmp_path / "prices", late={2: 10})


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("srkit: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_cli_eval_of_close_over_zero_is_an_error(prices, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["alpha", "eval", str(prices), "close / 0", "--json", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "never finite" in line and "division by zero" in line
    assert not out.exists()  # no JSON of nulls


def test_cli_eval_of_a_constant_factor_is_an_error(prices, capsys):
    assert main(["alpha", "eval", str(prices), "1 + 0 * close"]) == 2
    assert "same value for every asset" in _one_error_line(capsys.readouterr().err)


def test_cli_eval_prints_the_load_report(prices, capsys):
    assert main(["alpha", "eval", str(prices), "-ts_pct(close, 5)"]) == 0
    captured = capsys.readouterr()
    assert "late listings" in captured.err and "S002" in captured.err and "vwap" in captured.err
    assert '"rank_ic"' in captured.out and "late listings" not in captured.out  # stdout stays JSON


@pytest.mark.parametrize("formula,words", [("ts_mean(close)", "ts_mean needs a window"),
                                           ("ts_mean(close, 0)", "windows are whole numbers of days >= 1"),
                                           ("ts_meen(close, 5)", "Did you mean 'ts_mean'")])
def test_cli_formula_errors_are_one_line(prices, capsys, formula, words):
    assert main(["alpha", "eval", str(prices), formula]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert words in line and len(line) < 600


def test_cli_formula_starting_with_a_minus_is_a_value(prices, capsys):
    assert main(["alpha", "eval", str(prices), "-ts_pct(close,5)"]) == 0  # no space: argparse took it for an option
    assert '"rank_ic"' in capsys.readouterr().out
