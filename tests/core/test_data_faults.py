"""Fault injection for the CSV loader and the dataset checks (issue 27, "Bad input").

Each test feeds the exact kind of file a new user met and asserts the message names
the file, the column and the line (header = line 1) with a fix a shell user can act
on -- and that nothing silently wrong comes back.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from srkit.core.data import (
    DataError,
    DataWarning,
    as_dataset,
    check_fittable,
    read_csv,
    read_table,
    sniff_separator,
)


# tiny tables are the point here; the few-rows warning has its own test
pytestmark = pytest.mark.filterwarnings("ignore::srkit.core.data.DataWarning")


def _write(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def _rows(n: int = 12) -> list[str]:
    """n rows of x, y, z, target = x + 2 y - z (a non-constant target)."""
    return [f"{i},{i % 3},{i % 5},{i + 2 * (i % 3) - (i % 5)}" for i in range(1, n + 1)]


def _error(path: str, target: str = "target", features: list[str] | None = None) -> str:
    with pytest.raises(DataError) as info:
        read_csv(path, target, features)
    message = str(info.value)
    assert "np." not in message and "Traceback" not in message  # a shell user gets words, not Python
    return message


# -- separators ----------------------------------------------------------------------------------
def test_semicolon_csv_loads_with_the_right_values(tmp_path: Path) -> None:
    """The issue's file: before, the whole header read as one column 'x;y;z;target'."""
    path = _write(tmp_path, "x;y;z;target\n1;2;3;6\n2;3;4;9\n4;5;1;10\n")
    data = read_csv(path, "target")
    assert data.feature_names == ("x", "y", "z")
    assert data.X.tolist() == [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [4.0, 5.0, 1.0]]
    assert data.y.tolist() == [6.0, 9.0, 10.0]


@pytest.mark.parametrize(("sep", "text"), [
    (",", "a,b,t\n1,2,3\n4,5,6\n"),
    (";", "a;b;t\n1;2;3\n4;5;6\n"),
    ("\t", "a\tb\tt\n1\t2\t3\n4\t5\t6\n"),
    ("|", "a|b|t\n1|2|3\n4|5|6\n"),
    (None, "a  b t\n 1 2   3\n4 5 6\n"),
])
def test_every_separator_reads_the_same_table(tmp_path: Path, sep: str | None, text: str) -> None:
    assert sniff_separator(text) == sep
    data = read_csv(_write(tmp_path, text), "t")
    assert data.feature_names == ("a", "b")
    assert data.X.tolist() == [[1.0, 2.0], [4.0, 5.0]] and data.y.tolist() == [3.0, 6.0]


def test_sniffer_edge_cases() -> None:
    # decimal commas in a semicolon file: the comma does not split the header, so ';' wins
    assert sniff_separator("x;y\n1,5;2,5\n") == ";"
    # a trailing separator on the data rows is not a different width
    assert sniff_separator("a,b\n1,2,\n3,4,\n") == ","
    # quoted fields with commas inside
    assert sniff_separator('name,v\n"a, b",1\n"c, d",2\n') == ","
    # one column: nothing splits it
    assert sniff_separator("y\n1\n2\n") == ","
    assert sniff_separator("") == ","


def test_quotes_bom_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, '\ufeff"a","b","t"\n\n"1","2","3"\n\n4,5,7\n')
    table = read_table(path)
    assert table.header == ["a", "b", "t"] and table.lines == [3, 5]  # blank lines keep the numbering
    data = read_csv(path, "t")
    assert data.X.tolist() == [[1.0, 2.0], [4.0, 5.0]] and data.y.tolist() == [3.0, 7.0]


# -- files that are not CSV text -----------------------------------------------------------------
def test_binary_file_is_named_and_called_not_a_text_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, bytes(range(256)) * 8, "data.csv")
    message = _error(path)
    assert message.startswith(path) and "is not a text CSV" in message and "binary" in message
    assert "export it as CSV text" in message


def test_random_bytes_without_nul(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    raw = bytes(int(b) for b in rng.integers(1, 256, 3000))
    message = _error(_write(tmp_path, raw, "noise.csv"))
    assert "noise.csv is not a text CSV" in message


def test_excel_workbook_saved_as_csv(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, b"PK\x03\x04" + bytes(200), "book.csv"))
    assert "book.csv is not a text CSV" in message and ".xlsx" in message


def test_latin1_file_says_how_to_convert(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,caf\xe9,t\n1,2,3\n".encode("latin-1") + b"2,3,4\n", "l1.csv")
    message = _error(path)
    assert "l1.csv is not a text CSV in UTF-8" in message and "line 1" in message and "iconv" in message


def test_missing_file(tmp_path: Path) -> None:
    message = _error(str(tmp_path / "nope.csv"))
    assert "cannot read" in message and "nope.csv" in message


# -- degenerate tables ---------------------------------------------------------------------------
def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in _error(_write(tmp_path, "\n\n"))


def test_header_only_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,y,z,target\n")
    assert _error(path) == f"{path} has a header but no data rows; add the data below the header (line 1)"


def test_one_data_row_is_refused(tmp_path: Path) -> None:
    """Before: it fitted a constant with loss 0 and no word."""
    path = _write(tmp_path, "x,y,z,target\n1,2,3,6\n")
    message = _error(path)
    assert message.startswith(f"{path} has only 1 data row (line 2)")
    assert "fits any constant with loss 0" in message and "at least 2" in message


def test_target_among_features_is_refused(tmp_path: Path) -> None:
    """Before: `--features target` predicted the target from itself and exited 0."""
    path = _write(tmp_path, "x,y,z,target\n" + "\n".join(_rows()) + "\n")
    message = _error(path, features=["x", "target"])
    assert "the target 'target' is also listed as a feature" in message
    assert "leave 'target' out of --features" in message


def test_constant_target_is_refused_with_the_formula(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,y,target\n" + "\n".join(f"{i},{i * i},3.0" for i in range(12)) + "\n")
    message = _error(path)
    assert "column 'target' is constant (all 12 values are 3.0)" in message
    assert "there is nothing to fit: the formula is target = 3.0" in message


def test_only_the_target_column(tmp_path: Path) -> None:
    assert "no feature columns, only the target 'target'" in _error(_write(tmp_path, "target\n1\n2\n"))


def test_few_rows_fit_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,target\n1,2\n2,4\n3,7\n")
    with pytest.warns(DataWarning, match=r"only 3 samples"):
        data = read_csv(path, "target")
    assert data.y.tolist() == [2.0, 4.0, 7.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ten rows and more: no warning
        read_csv(_write(tmp_path, "x,y,z,target\n" + "\n".join(_rows(10)) + "\n", "ten.csv"), "target")


# -- bad values: file, column and the line as an editor shows it ---------------------------------
def test_nan_names_file_column_and_editor_lines(tmp_path: Path) -> None:
    rows = _rows()
    rows[2] = "3,nan,1,5"      # line 4 (header is line 1)
    rows[6] = "7,,2,9"          # line 8: an empty cell is missing too
    path = _write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n")
    message = _error(path)
    assert message == (
        f"{path}: column 'y' has 2 missing value(s) (empty or nan) at lines 4, 8; "
        "remove or fill those rows, or drop the column with --features x,z"
    )


def test_inf_names_column_and_line(tmp_path: Path) -> None:
    rows = _rows()
    rows[4] = "5,1,inf,3"       # line 6
    message = _error(_write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n"))
    assert "column 'z' has 1 infinite value(s) at line 6" in message
    assert "drop the column with --features x,y" in message


def test_nan_in_target_cannot_be_dropped(tmp_path: Path) -> None:
    rows = _rows()
    rows[0] = "1,1,1,NaN"       # line 2
    message = _error(_write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n"))
    assert "column 'target' has 1 missing value(s) (empty or nan) at line 2; remove or fill those rows" in message
    assert "--features" not in message


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path) -> None:
    rows = _rows()
    text = "x,y,z,target\n\n" + "\n".join(rows[:3]) + "\n\n\n" + "3,-inf,1,1\n"
    message = _error(_write(tmp_path, text))
    assert "column 'y' has 1 infinite value(s) at line 8" in message  # 1 header, 2 blank, 3-5 rows, 6-7 blank


def test_several_bad_columns_are_all_mentioned(tmp_path: Path) -> None:
    rows = _rows()
    rows[1] = "2,nan,1,5"
    rows[3] = "4,1,inf,5"
    message = _error(_write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n"))
    assert "column 'y' has 1 missing value(s)" in message and "(and non-finite values in 'z')" in message


def test_text_in_a_column_names_line_and_value(tmp_path: Path) -> None:
    rows = _rows()
    rows[1] = "2,abc,1,5"       # line 3
    rows[5] = "6,def,1,5"       # line 7
    message = _error(_write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n"))
    assert "column 'y' is not numeric: line 3 holds 'abc' (and 1 more: line 7)" in message
    assert "fix them, or drop the column with --features x,z" in message


def test_decimal_comma_gets_a_hint(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "x;target\n1,5;2\n2;3\n3;5\n"))
    assert "line 2 holds '1,5' (a decimal comma? write 2.5, not 2,5)" in message


def test_short_row_is_named(tmp_path: Path) -> None:
    rows = _rows()
    rows[2] = "3,1"
    message = _error(_write(tmp_path, "x,y,z,target\n" + "\n".join(rows) + "\n"))
    assert "line 4 has 2 fields but the header (line 1) has 4 (comma-separated)" in message


def test_missing_target_and_feature_suggest_a_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "x;y;z;target\n" + "\n".join(r.replace(",", ";") for r in _rows()) + "\n")
    message = _error(path, target="tagret")
    assert "has no column 'tagret'. Did you mean 'target'?" in message
    assert "Columns: 'x', 'y', 'z', 'target'" in message
    assert "has no column 'zz'. Did you mean 'z'?" in _error(path, features=["x", "zz"])


def test_duplicate_and_unnamed_columns(tmp_path: Path) -> None:
    assert "names two columns 'x'" in _error(_write(tmp_path, "x,x,target\n1,2,3\n2,3,5\n"))
    message = _error(_write(tmp_path, ",x,target\n0,1,3\n1,2,5\n", "idx.csv"))
    assert "column 1 has no name in the header (line 1)" in message
    assert read_csv(_write(tmp_path, ",x,target\n0,1,3\n1,2,5\n", "idx2.csv"), "target", ["x"]).X.tolist() == [[1.0], [2.0]]


def test_features_pick_columns_in_the_given_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,y,z,target\n" + "\n".join(_rows()) + "\n")
    data = read_csv(path, "target", ["z", "x"])
    assert data.feature_names == ("z", "x") and data.X[0].tolist() == [1.0, 1.0] and data.X[4].tolist() == [0.0, 5.0]


# -- the array API -------------------------------------------------------------------------------
def test_array_api_refuses_one_sample() -> None:
    with pytest.raises(DataError, match=r"X has only 1 sample; one sample fits any constant with loss 0"):
        as_dataset([[1.0, 2.0]], [3.0])


def test_array_api_names_the_nan_column() -> None:
    X = np.ones((4, 3))
    X[2, 1] = np.nan
    with pytest.raises(DataError, match=r"in rows \[2\] \(column 'v'\)"):
        as_dataset(X, np.arange(4.0), feature_names=["m", "v", "r"])


def test_check_fittable_refuses_a_constant_y() -> None:
    data = as_dataset(np.arange(20.0).reshape(10, 2), np.full(10, 3.0))  # as_dataset itself accepts it
    with pytest.raises(DataError) as info:
        check_fittable(data)
    assert str(info.value) == (
        "y is constant (all 10 values are 3.0); there is nothing to fit: the formula is y = 3.0. "
        "Check that y is the column you mean to predict"
    )


def test_a_feature_equal_to_y_is_a_legitimate_law() -> None:
    """y = x0 is a trivial law, not a leak: the array API does not refuse it."""
    X = np.arange(24.0).reshape(12, 2)
    check_fittable(as_dataset(X, X[:, 0].copy()))
