"""Tests of input validation (srkit.core.data): every message names the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import DataError, as_dataset


def test_valid_data_is_stored_as_float64() -> None:
    X = np.arange(6).reshape(3, 2)  # ints
    d = as_dataset(X, [1, 2, 3], feature_names=["m", "v"])
    assert d.X.dtype == np.float64 and d.y.dtype == np.float64
    assert d.X.flags.c_contiguous and (d.n_samples, d.n_features) == (3, 2)
    assert d.feature_names == ("m", "v") and d.weights is None
    np.testing.assert_array_equal(d.columns[1], [1.0, 3.0, 5.0])
    assert as_dataset(X, np.ones((3, 1))).y.shape == (3,)  # a column vector y is flattened
    assert as_dataset(X, [1, 2, 3]).feature_names == ("x0", "x1")


def test_subset() -> None:
    d = as_dataset(np.arange(8.0).reshape(4, 2), np.arange(4.0), weights=[1, 2, 3, 4])
    s = d.subset(np.array([1, 3]))
    assert s.y.tolist() == [1.0, 3.0] and s.weights.tolist() == [2.0, 4.0]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("X", "y", "problem", "fix"),
    [
        ([[1.0], [np.nan], [3.0]], [1.0, 2.0, 3.0], r"X contains 1 nan/non-finite value\(s\) in rows \[1\]",
         "drop or impute those rows"),
        ([[1.0], [np.inf], [3.0]], [1.0, 2.0, 3.0], r"X contains 1 inf/non-finite value", "drop or impute"),
        ([[1.0], [2.0], [3.0]], [1.0, np.nan, 3.0], r"y contains 1 nan/non-finite value\(s\) in rows \[1\]",
         r"np\.isfinite"),
        ([[1.0], [2.0], [3.0]], [1.0, 2.0, -np.inf], r"y contains 1 inf", "drop or impute"),
        ([[1.0], [2.0], [3.0]], [1.0, 2.0], r"X has 3 samples but y has 2", "one row per sample"),
        (np.empty((0, 2)), np.empty(0), r"X is empty \(shape \(0, 2\)\)", "at least 2 samples"),
        (np.empty((3, 0)), np.zeros(3), r"X is empty", "at least 2 samples and one feature"),
        ([[1.0, 2.0]], [3.0], r"X has only 1 sample; one sample fits any constant with loss 0", "at least 2 samples"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], r"X is 1-D with shape \(3,\)", r"X\.reshape\(-1, 1\)"),
        (np.zeros((2, 2, 2)), np.zeros(2), r"X must be 2-D", r"\(n_samples, n_features\)"),
        ([[1.0], [2.0]], [[1.0, 2.0], [3.0, 4.0]], r"y must be 1-D", r"\(n_samples,\)"),
        ([["a"], ["b"]], [1.0, 2.0], r"X must be numeric; could not convert", "float64"),
        ([[1.0], [2.0]], ["a", "b"], r"y must be numeric", "float64"),
    ],
)
def test_bad_input_errors(X: object, y: object, problem: str, fix: str) -> None:
    with pytest.raises(DataError, match=problem) as info:
        as_dataset(X, y)
    assert __import__("re").search(fix, str(info.value)), str(info.value)


def test_many_bad_rows_are_summarised() -> None:
    X = np.ones((20, 2))
    X[3:12, 1] = np.nan
    with pytest.raises(DataError, match=r"9 nan/non-finite value\(s\) in rows \[3, 4, 5, 6, 7\]\.\.\."):
        as_dataset(X, np.ones(20))


def test_data_error_is_a_value_error() -> None:
    assert issubclass(DataError, ValueError)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a", "b c"], r"must be identifiers.*rename \['b c'\]"),
        (["2x", "y"], r"not starting with a digit.*rename \['2x'\]"),
        (["a-b", "y"], r"rename \['a-b'\]"),
        (["a", "a"], r"feature names must be unique, got \['a', 'a'\]"),
        (["a"], r"got 1 feature names for 2 columns of X"),
    ],
)
def test_bad_feature_names(names: list[str], message: str) -> None:
    with pytest.raises(DataError, match=message):
        as_dataset(np.ones((3, 2)), np.ones(3), feature_names=names)


@pytest.mark.parametrize("weights", [[1.0, -1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0], [1.0, np.nan, 1.0]])
def test_bad_weights(weights: list[float]) -> None:
    with pytest.raises(DataError, match="weights must be finite, non-negative, one per sample, and not all zero"):
        as_dataset(np.ones((3, 1)), np.ones(3), weights=weights)


# -- pandas -------------------------------------------------------------------------------------
def test_dataframe_columns_become_feature_names() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"mass": [1.0, 2.0, 3.0], "v": [4, 5, 6]})
    d = as_dataset(df, pd.Series([1.0, 2.0, 3.0]))
    assert d.feature_names == ("mass", "v") and d.X[:, 1].tolist() == [4.0, 5.0, 6.0]
    assert as_dataset(df, np.ones(3), feature_names=["a", "b"]).feature_names == ("a", "b")


@pytest.mark.parametrize("kind", ["object", "str", "category"])
def test_non_numeric_dataframe_column(kind: str) -> None:
    """(pandas >= 3 stores text as a "str" extension dtype: that used to raise a bare TypeError)"""
    pd = pytest.importorskip("pandas")
    values = {"object": pd.Series(["x", 1, 2.0], dtype=object), "str": ["red", "green", "blue"],
              "category": pd.Categorical(["a", "b", "a"])}[kind]
    df = pd.DataFrame({"mass": [1.0, 2.0, 3.0], "color": values})
    with pytest.raises(DataError, match=r"X has non-numeric columns \['color'\]") as info:
        as_dataset(df, np.ones(3))
    assert "convert them to numbers" in str(info.value) and "or drop them" in str(info.value)


def test_nullable_dataframe_columns() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"n": pd.array([1, 2, 3], dtype="Int64"), "f": pd.array([0.5, 1.5, 2.5], dtype="Float64")})
    assert as_dataset(df, np.ones(3)).X.tolist() == [[1.0, 0.5], [2.0, 1.5], [3.0, 2.5]]
    df.loc[1, "f"] = pd.NA
    with pytest.raises(DataError, match=r"X contains 1 nan/non-finite value\(s\) in rows \[1\]"):
        as_dataset(df, np.ones(3))


def test_dataframe_with_unusable_column_names() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(DataError, match=r"rename \['my var'\]"):
        as_dataset(pd.DataFrame({"my var": [1.0, 2.0], "ok": [1.0, 2.0]}), [1.0, 2.0])


@pytest.mark.filterwarnings("ignore::srkit.core.data.DataWarning")  # two rows: fine for reading
def test_read_csv_reads_features_and_target(tmp_path):
    from srkit.core.data import read_csv

    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,2,3\n2,3,5\n\n")
    data = read_csv(str(path), "y")
    assert data.feature_names == ("a", "b") and data.y.tolist() == [3.0, 5.0]
    assert read_csv(str(path), "y", ["b"]).X.tolist() == [[2.0], [3.0]]
