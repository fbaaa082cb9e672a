"""Dataset: validated float64 arrays built once at the boundary.

Every check that can fail on user data happens here, before any work starts,
with a message that names the problem and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Dataset", "as_dataset", "DataError", "read_csv"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


class DataError(ValueError):
    """Input data is unusable; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Input variables and target, validated and stored as float64.

    ``X`` has shape ``(n_samples, n_features)``; ``y`` and ``weights`` have
    shape ``(n_samples,)``.  Feature names are identifiers so that formulas can
    use them.

    Examples
    --------
    >>> import numpy as np
    >>> d = as_dataset(np.ones((5, 2)), np.arange(5.0), feature_names=["m", "v"])
    >>> d.n_samples, d.feature_names
    (5, ('m', 'v'))
    """

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    feature_names: tuple[str, ...]
    weights: NDArray[np.float64] | None = None

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def columns(self) -> NDArray[np.float64]:
        """The features as rows of a C-contiguous (n_features, n_samples) array:
        ``columns[j]`` is feature j, contiguous (what the interpreter reads)."""
        cols = getattr(self, "_columns", None)
        if cols is None:
            cols = np.ascontiguousarray(self.X.T)
            cols.setflags(write=False)
            object.__setattr__(self, "_columns", cols)
        return cols

    def subset(self, index: NDArray[Any]) -> Dataset:
        w = None if self.weights is None else self.weights[index]
        return Dataset(self.X[index], self.y[index], self.feature_names, w)


def _is_numeric_dtype(dt: Any) -> bool:
    """Whether a DataFrame column dtype holds numbers (numpy or pandas extension dtype)."""
    try:
        return bool(np.issubdtype(np.dtype(dt), np.number))
    except TypeError:  # pandas extension dtypes (str, category, Int64, Float64) are not numpy dtypes
        return getattr(dt, "kind", "O") in "iuf"


def _to_float_matrix(X: Any, name: str) -> tuple[NDArray[np.float64], list[str] | None]:
    columns: list[str] | None = None
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # pandas DataFrame, without importing pandas
        columns = [str(c) for c in X.columns]
        bad = [c for c, dt in zip(columns, X.dtypes) if not _is_numeric_dtype(dt)]
        if bad:
            raise DataError(
                f"{name} has non-numeric columns {bad}; convert them to numbers "
                "(e.g. one-hot encode categories) or drop them"
            )
        # nullable columns (Int64, Float64) hold pd.NA: make it nan, which the finiteness check reports
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to float64 ({exc})") from None
    return arr, columns


def as_dataset(
    X: Any,
    y: Any,
    *,
    feature_names: Sequence[str] | None = None,
    weights: Any = None,
) -> Dataset:
    """Validate ``X`` and ``y`` and build a :class:`Dataset`.

    Raises
    ------
    DataError
        For empty data, a 1-D ``X``, mismatched lengths, nan/inf values,
        non-numeric columns or unusable feature names.

    Examples
    --------
    >>> import numpy as np
    >>> as_dataset(np.zeros(3), np.zeros(3))
    Traceback (most recent call last):
    ...
    srkit.core.data.DataError: X is 1-D with shape (3,); pass a 2-D array of shape (n_samples, n_features), e.g. X.reshape(-1, 1) for a single feature
    """
    Xa, columns = _to_float_matrix(X, "X")
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    try:
        ya = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"y must be numeric; could not convert it to float64 ({exc})") from None
    if Xa.ndim == 1:
        raise DataError(
            f"X is 1-D with shape {Xa.shape}; pass a 2-D array of shape (n_samples, n_features), "
            "e.g. X.reshape(-1, 1) for a single feature"
        )
    if Xa.ndim != 2:
        raise DataError(f"X must be 2-D (n_samples, n_features), got shape {Xa.shape}")
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1:
        raise DataError(f"y must be 1-D (n_samples,), got shape {ya.shape}")
    if Xa.shape[0] == 0 or Xa.shape[1] == 0:
        raise DataError(f"X is empty (shape {Xa.shape}); symbolic regression needs at least one sample and one feature")
    if Xa.shape[0] != ya.shape[0]:
        raise DataError(
            f"X has {Xa.shape[0]} samples but y has {ya.shape[0]}; they must have one row per sample"
        )
    for arr, name in ((Xa, "X"), (ya, "y")):
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            kind = "nan" if np.isnan(arr).any() else "inf"
            raise DataError(
                f"{name} contains {int(bad.sum())} {kind}/non-finite value(s) in rows "
                f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''}; drop or impute those rows first "
                f"(e.g. mask = np.isfinite(X).all(1) & np.isfinite(y))"
            )
    names = list(feature_names) if feature_names is not None else columns
    if names is None:
        names = [f"x{j}" for j in range(Xa.shape[1])]
    names = [str(n) for n in names]
    if len(names) != Xa.shape[1]:
        raise DataError(f"got {len(names)} feature names for {Xa.shape[1]} columns of X")
    bad_names = [n for n in names if not _IDENT.match(n)]
    if bad_names:
        raise DataError(
            f"feature names must be identifiers (letters, digits, _; not starting with a digit) "
            f"so that formulas can use them; rename {bad_names}"
        )
    if len(set(names)) != len(names):
        raise DataError(f"feature names must be unique, got {names}")
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != ya.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise DataError("weights must be finite, non-negative, one per sample, and not all zero")
    return Dataset(np.ascontiguousarray(Xa), np.ascontiguousarray(ya), tuple(names), w)


def read_csv(path: str, target: str, features: Sequence[str] | None = None) -> Dataset:
    """Read a CSV with a header row into a :class:`Dataset` (``target`` is y).

    Every other column is a feature unless ``features`` names them.  A column
    with a value that is not a number is reported by name, row and value.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("a,b,y\\n1,2,3\\n2,3,5\\n")
    >>> read_csv(p, "y").feature_names
    ('a', 'b')
    """
    import csv

    try:
        handle = open(path, newline="")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise DataError(f"{path} is empty; expected a header row and data rows")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if target not in header:
        from srkit.core.operators import suggest

        raise DataError(
            f"{path} has no column {target!r}.{suggest(target, header)} Columns: {', '.join(header)}"
        )
    wanted = list(features) if features is not None else [h for h in header if h != target]
    missing = [f for f in wanted if f not in header]
    if missing:
        raise DataError(f"{path} has no feature columns {missing}; columns: {', '.join(header)}")
    columns: dict[str, list[float]] = {}
    for name in [*wanted, target]:
        j = header.index(name)
        values = []
        for line, row in enumerate(body, start=2):
            cell = row[j].strip() if j < len(row) else ""
            try:
                values.append(float(cell))
            except ValueError:
                raise DataError(
                    f"column {name!r} of {path} is not numeric: line {line} holds {cell!r}; "
                    "convert it to numbers or leave the column out (--features)"
                ) from None
        columns[name] = values
    X = np.column_stack([columns[f] for f in wanted]) if wanted else np.empty((len(body), 0))
    return as_dataset(X, np.array(columns[target]), feature_names=wanted)
