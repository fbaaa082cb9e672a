"""Fault injection for the alpha price loader (issue 27, "Bad input").

A folder of good per-ticker CSVs plus one bad file: before, the bad file was read
silently (a phantom all-nan asset and a NaT date appeared, the file was never
named).  Now every file is validated and the bad one is named with the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srkit.alpha import load_panel
from srkit.alpha.panel import format_report
from srkit.core.data import DataError

GOOD = (
    "date,open,high,low,close,volume\n"
    "2020-01-02,1,2,0.5,1.5,100\n"
    "2020-01-03,1.5,2,1,2,110\n"
    "2020-01-06,2,3,2,3,120\n"
)


def _folder(tmp_path: Path, bad: str | bytes | None = None, name: str = "BAD.csv") -> Path:
    folder = tmp_path / "prices"
    folder.mkdir(exist_ok=True)
    (folder / "AAA.csv").write_text(GOOD)
    (folder / "BBB.csv").write_text(GOOD.replace(",100\n", ",101\n"))
    if bad is not None:
        path = folder / name
        path.write_bytes(bad) if isinstance(bad, bytes) else path.write_text(bad)
    return folder


def _refused(folder: Path, name: str = "BAD.csv") -> str:
    with pytest.raises(DataError) as info:
        load_panel(folder)
    message = str(info.value)
    assert str(folder / name) in message, message  # THAT file, not just the folder
    assert "the other 2 are fine" in message
    return message


def test_good_folder_loads(tmp_path: Path) -> None:
    p = load_panel(_folder(tmp_path))
    assert list(p.assets) == ["AAA", "BBB"] and len(p.dates) == 3 and not p.dates.isna().any()


@pytest.mark.parametrize(("bad", "expect"), [
    ("hello world\nthis is not a csv at all\n", "has no date column (looked for date, datetime"),
    (bytes(range(256)) * 4, "is not a text CSV: it holds binary data"),
    (b"PK\x03\x04" + bytes(64), "is not a text CSV: it looks like a zip archive"),
    (GOOD.replace("close", "price"), "has no close column (columns: date, open, high, low, price, volume)"),
    (GOOD.replace("1.5,100", "oops,100"), "column 'close' has non-numeric values, e.g. 'oops' on line 2"),
    (GOOD.replace("2020-01-03", "2020-13-45"), "column 'date': line 3 holds '2020-13-45', not a date"),
    (GOOD.replace("2020-01-03", "01/03/2020"), "line 3 holds '01/03/2020', not a date"),
    (GOOD.replace("2020-01-03", ""), "column 'date': line 3 has no date"),
    ("date,open,high,low,close,volume\n", "has a header but no data rows"),
    ("", "is empty"),
    (GOOD + "2020-01-07,3,3.5", "line 5 has 3 fields but the header (line 1) has 6"),
    ("date,open,high,low,close,volume\n2020-01-02,1,2,0.5,,100\n", "has no close price on any row"),
    (GOOD.replace(",120\n", ",inf\n"), "column 'volume' holds an infinite value on line 4"),
    (GOOD.replace(";", ";").replace(",", ";").replace(".", ","), "column 'open' has non-numeric values, e.g. '1,5'"),
], ids=["garbage", "binary", "xlsx", "no-close", "text-close", "bad-date", "mixed-dates", "no-date",
        "header-only", "empty", "truncated", "all-nan-close", "inf", "decimal-comma"])
def test_one_bad_file_is_named_and_refused(tmp_path: Path, bad: str | bytes, expect: str) -> None:
    message = _refused(_folder(tmp_path, bad))
    assert expect in message, message


def test_text_in_close_is_not_reported_as_a_missing_field(tmp_path: Path) -> None:
    """Before: "lacks the price field(s) ['close']" for a close column holding text."""
    message = _refused(_folder(tmp_path, GOOD.replace("2,110", "abc,110").replace("3,120", "n/a?,120")))
    assert "lacks the price field" not in message
    assert "column 'close' has non-numeric values, e.g. 'abc' on line 3 (2 in all)" in message


def test_semicolon_file_is_sniffed_and_loads_its_values(tmp_path: Path) -> None:
    p = load_panel(_folder(tmp_path, GOOD.replace(",", ";"), "CCC.csv"))
    assert list(p.assets) == ["AAA", "BBB", "CCC"]
    assert len(p.dates) == 3 and not p.dates.isna().any()  # no NaT date added
    assert p["close"][:, 2].tolist() == [1.5, 2.0, 3.0] and p["volume"][:, 2].tolist() == [100, 110, 120]
    assert np.isfinite(p.values).all()  # no phantom all-nan asset


def test_tab_and_trailing_separator_files_load(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD.replace(",", "\t"), "TAB.csv")
    (folder / "TRAIL.csv").write_text(GOOD.replace("0\n", "0,\n"))  # a trailing comma on every data row
    p = load_panel(folder)
    assert list(p.assets) == ["AAA", "BBB", "TAB", "TRAIL"] and np.isfinite(p.values).all()


def test_several_bad_files_are_all_listed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "garbage\nmore garbage\n", "BAD1.csv")
    (folder / "BAD2.csv").write_text(GOOD.replace("close", "price"))
    with pytest.raises(DataError) as info:
        load_panel(folder)
    message = str(info.value)
    assert message.startswith(f"2 of 4 files in {folder} are unusable; fix them or move them out of the folder:")
    assert "BAD1.csv has no date column" in message and "BAD2.csv has no close column" in message


def test_skip_bad_files_loads_the_rest_and_reports_them(tmp_path: Path) -> None:
    p = load_panel(_folder(tmp_path, "garbage\nmore garbage\n"), skip_bad_files=True)
    assert list(p.assets) == ["AAA", "BBB"] and np.isfinite(p.values).all()
    assert list(p.report["skipped_files"]) == ["BAD.csv"]
    assert "skipped files: 1: " in p.report_text() and "BAD.csv has no date column" in p.report_text()


def test_all_files_bad_is_refused_even_when_skipping(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "X.csv").write_text("nope\nnope\n")
    with pytest.raises(DataError, match=r"X\.csv has no date column"):
        load_panel(folder, skip_bad_files=True)


def test_text_columns_are_ignored_and_mixed_ones_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    for name in ("AAA.csv", "BBB.csv"):
        f = folder / name
        lines = f.read_text().splitlines()
        f.write_text("\n".join([lines[0] + ",sector"] + [ln + ",tech" for ln in lines[1:]]) + "\n")
    p = load_panel(folder)
    assert "sector" not in p.fields and p.report["ignored_columns"] == ["sector"]
    assert "text columns ignored: sector" in p.report_text()
    (folder / "CCC.csv").write_text(GOOD.replace("volume", "volume,adj").replace("\n2020", "\n2020")
                                    .replace(",100\n", ",100,1\n").replace(",110\n", ",110,x\n")
                                    .replace(",120\n", ",120,2\n"))
    with pytest.raises(DataError, match=r"CCC\.csv: column 'adj' has non-numeric values, e.g. 'x' on line 3"):
        load_panel(folder)


def test_a_field_in_only_some_files_is_dropped_and_reported(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "CCC.csv").write_text(GOOD.replace("volume", "volume,adj_close").replace(",100\n", ",100,1\n")
                                    .replace(",110\n", ",110,2\n").replace(",120\n", ",120,3\n"))
    p = load_panel(folder)
    assert "adj_close" not in p.fields and p.report["fields_dropped"] == {"adj_close": "only in 1 of 3 files"}
    assert "fields dropped (not in every file): adj_close only in 1 of 3 files" in p.report_text()


def test_report_text_shows_gaps_late_listings_and_vwap_proxy(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "LATE.csv").write_text(
        "date,open,high,low,close,volume\n2020-01-03,10,12,9,11,50\n2020-01-06,11,12,10,,55\n")
    p = load_panel(folder)
    text = p.report_text()
    assert text == format_report(p.report)
    lines = text.splitlines()
    assert lines[0] == f"3 assets x 3 dates (2020-01-02 .. 2020-01-06) from {folder} (3 files)"
    assert "vwap: proxy: (high + low + close) / 3 (no vwap column in the data)" in lines
    assert "late listings: 1 asset starts after 2020-01-02: LATE 2020-01-03" in lines
    assert "gaps: 2 missing cells after listing (left nan, never filled); most in LATE 2" in lines
    assert p.report["missing_by_asset"] == {"LATE": 2}
    assert p.until("2020-01-03").report_text() == text  # the report describes the loaded data


def test_long_file_bad_date_and_missing_asset_name_the_line(tmp_path: Path) -> None:
    good = "date,ticker,open,high,low,close,volume\n2021-03-01,X,1,2,0.5,1.5,10\n2021-03-01,Y,2,3,1,2.5,20\n"
    f = tmp_path / "long.csv"
    f.write_text(good + "2021-03-0x,X,1,2,0.5,1.5,10\n")
    with pytest.raises(DataError, match=r"long\.csv: column 'date': line 4 holds '2021-03-0x', not a date"):
        load_panel(f)
    f.write_text(good + "2021-03-02,,1,2,0.5,1.5,10\n")
    with pytest.raises(DataError, match=r"long\.csv: line 4 has no asset in column 'ticker'"):
        load_panel(f)
    f.write_text(good.replace(",", ";"))
    assert load_panel(f)["close"].tolist() == [[1.5, 2.5]]


def test_duplicate_rows_are_counted_in_the_report(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "AAA.csv").write_text(GOOD + "2020-01-06,2,3,2,3,120\n")
    p = load_panel(folder)
    assert p.report["duplicate_rows_dropped"] == 1 and p.report["duplicate_assets"] == ["AAA"]
    assert "duplicates: 1 repeated (date, asset) rows dropped, the first kept (AAA)" in p.report_text()
    assert p["close"][:, 0].tolist() == [1.5, 2.0, 3.0]


def test_numeric_yyyymmdd_dates_are_dates_not_nanoseconds(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "NUM.csv").write_text(GOOD.replace("2020-01-0", "2020010"))
    p = load_panel(folder)
    assert list(p.dates) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]))


def test_parquet_frames_are_validated_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow is optional: stand in for pandas.read_parquet to check the typed-frame path."""
    frame = pd.DataFrame({"date": pd.to_datetime(["2021-01-04", "2021-01-05"]), "asset": ["Z", "Z"],
                          "open": [1.0, 2], "high": [1.0, 2], "low": [1.0, 2], "close": [1.0, 2], "volume": [1, 2]})
    monkeypatch.setattr(pd, "read_parquet", lambda f: frame.copy())
    f = tmp_path / "p.parquet"
    f.write_bytes(b"PAR1")
    p = load_panel(f)
    assert p["close"].ravel().tolist() == [1.0, 2.0] and list(p.assets) == ["Z"]
    frame["close"] = pd.Series(["1.0", "bad"], dtype=object)
    with pytest.raises(DataError, match=r"p\.parquet: column 'close' has non-numeric values, e.g. 'bad' on row 2"):
        load_panel(f)


def test_two_files_for_one_asset_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "AAA_data.csv").write_text(GOOD)
    with pytest.raises(DataError, match=r"files AAA\.csv, AAA_data\.csv are all asset 'AAA'; keep one of them"):
        load_panel(folder)
