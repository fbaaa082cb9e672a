"""Panel loading: per-ticker folders, long files, column mapping, gaps and late listings."""

import numpy as np
import pandas as pd
import pytest

from srkit.alpha import load_panel
from srkit.core.data import DataError


def _write_folder(tmp_path):
    a = "date,open,high,low,close,volume,Name\n2020-01-02,1,2,0.5,1.5,100,AAA\n2020-01-03,1.5,2,1,2,110,AAA\n2020-01-06,2,3,2,3,120,AAA\n"
    b = "date,open,high,low,close,volume,Name\n2020-01-03,10,12,9,11,50,BBB\n2020-01-06,11,12,10,,55,BBB\n"
    (tmp_path / "AAA_data.csv").write_text(a)
    (tmp_path / "BBB_data.csv").write_text(b)
    return tmp_path


def test_folder_of_csvs_aligns_calendar_and_reports_gaps(tmp_path):
    p = load_panel(_write_folder(tmp_path))
    assert list(p.assets) == ["AAA", "BBB"]
    assert [d.day for d in p.dates] == [2, 3, 6]
    close = p["close"]
    assert close[:, 0].tolist() == [1.5, 2.0, 3.0]
    assert np.isnan(close[0, 1]) and close[1, 1] == 11.0 and np.isnan(close[2, 1])  # never back-filled
    assert p.report["late_listings"] == {"BBB": "2020-01-03"}
    assert p.report["missing_cells"] == 2  # BBB's close and its vwap proxy on 2020-01-06
    assert p["vwap"][0, 0] == pytest.approx((2 + 0.5 + 1.5) / 3)
    assert "proxy" in p.report["vwap"]


def test_long_file_with_column_mapping(tmp_path):
    df = pd.DataFrame({
        "Day": ["2021-03-01", "2021-03-01", "2021-03-02", "2021-03-02"],
        "Ticker": ["X", "Y", "X", "Y"],
        "O": [1.0, 2, 3, 4], "H": [2.0, 3, 4, 5], "L": [0.5, 1, 2, 3], "Adj Close": [1.5, 2.5, 3.5, 4.5],
        "Vol": [10, 20, 30, 40],
    })
    f = tmp_path / "long.csv"
    df.to_csv(f, index=False)
    p = load_panel(f, columns={"O": "open", "H": "high", "L": "low", "Adj Close": "close", "Vol": "volume"},
                   date_column="Day")
    assert p.shape == (6, 2, 2)
    assert p["close"].tolist() == [[1.5, 2.5], [3.5, 4.5]]


def test_parquet_long_file(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"date": pd.to_datetime(["2021-01-04", "2021-01-05"]), "asset": ["Z", "Z"],
                       "open": [1.0, 2], "high": [1.0, 2], "low": [1.0, 2], "close": [1.0, 2], "volume": [1.0, 2]})
    f = tmp_path / "p.parquet"
    df.to_parquet(f)
    assert load_panel(f)["close"].ravel().tolist() == [1.0, 2.0]


def test_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_panel(tmp_path / "nope")
    (tmp_path / "A.csv").write_text("date,price\n2020-01-01,1\n")
    with pytest.raises(DataError, match=r"A\.csv has no close column \(columns: date, price\); a price file needs "
                                        r"a date and a close price .* columns=\{'Your Name': 'close'\}"):
        load_panel(tmp_path)
    (tmp_path / "A.csv").write_text("date,adj_close\n2020-01-01,1\n")
    with pytest.raises(DataError, match=r"map it with columns=\{'adj_close': 'close'\}"):
        load_panel(tmp_path)
    assert load_panel(tmp_path, columns={"adj_close": "close"}).fields == ("close",)


def test_until_cuts_future_rows(tmp_path):
    p = load_panel(_write_folder(tmp_path))
    q = p.until("2020-01-03")
    assert q.shape[1] == 2 and q.dates[-1] == pd.Timestamp("2020-01-03")


def test_groups_from_a_column_a_file_or_a_mapping(tmp_path):
    import numpy as np

    from srkit.alpha import factor

    long = tmp_path / "long.csv"
    long.write_text("date,ticker,close,sector\n"
                    "2020-01-02,A,1,tech\n2020-01-02,B,2,tech\n2020-01-02,C,4,energy\n2020-01-02,D,8,\n"
                    "2020-01-03,A,2,tech\n2020-01-03,B,3,energy\n2020-01-03,C,5,energy\n2020-01-03,D,9,\n")
    p = load_panel(long, groups="sector")
    assert p.fields == ("close", "group")
    assert p.report["groups"] == {"n_groups": 2, "groups": ["energy", "tech"], "assets_without_group": ["D"]}
    # B moves from tech to energy on its date: groups are read per row, never from the future
    np.testing.assert_array_equal(p["group"], [[1, 1, 0, np.nan], [1, 0, 0, np.nan]])
    demeaned = factor("group_demean(close, group)", p)
    np.testing.assert_allclose(demeaned, [[-0.5, 0.5, 0.0, np.nan], [0.0, -1.0, 1.0, np.nan]])
    np.testing.assert_allclose(factor("IndNeutralize(close, group)", p), demeaned)
    np.testing.assert_allclose(factor("group_rank(close, group)", p), [[0.5, 1.0, 1.0, np.nan], [1.0, 0.5, 1.0, np.nan]])
    assert "groups: 2 (energy, tech) in the field 'group'; no group for 1 asset(s): D" in p.report_text()
    assert p.report["missing_cells"] == 0  # D's missing group is not a price gap
    sectors = tmp_path / "sectors.csv"
    sectors.write_text("symbol,industry\nA,tech\nB,tech\nC,energy\n")
    q = load_panel(long, groups=sectors)
    np.testing.assert_array_equal(q["group"], [[1, 1, 0, np.nan], [1, 1, 0, np.nan]])  # a static map
    r = load_panel(long, groups={"A": "x", "B": "y", "C": "x", "D": "y"})
    np.testing.assert_array_equal(r["group"][0], [0, 1, 0, 1])
    with pytest.raises(DataError, match="has no group column 'industry'"):
        load_panel(long, groups="industry")
    with pytest.raises(DataError, match="groups file .*nope.csv does not exist"):
        load_panel(long, groups=tmp_path / "nope.csv")
