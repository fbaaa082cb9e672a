"""Dataset: validated float64 arrays built once at the boundary.

Every check that can fail on user data happens here, before any work starts,
with a message that names the problem and the fix.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Dataset", "as_dataset", "check_fittable", "DataError", "DataWarning", "read_csv", "read_table",
    "read_text", "sniff_separator", "MIN_SAMPLES", "FEW_SAMPLES",
]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


#: Fewer samples than this are refused: one row fits any constant with loss 0.
MIN_SAMPLES = 2
#: Fewer samples than this fit with a :class:`DataWarning` (a few coefficients fit them exactly).
FEW_SAMPLES = 10


class DataError(ValueError):
    """Input data is unusable; the message says what is wrong and how to fix it."""


class DataWarning(UserWarning):
    """The data can be fitted but the result deserves suspicion (e.g. very few rows)."""


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
        For empty data, fewer than :data:`MIN_SAMPLES` samples, a 1-D ``X``,
        mismatched lengths, nan/inf values, non-numeric columns or unusable
        feature names.  Degenerate targets are checked by :func:`check_fittable`,
        not here: internal views of the data (a target divided by a factor) may
        legitimately be constant.

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
        raise DataError(
            f"X is empty (shape {Xa.shape}); symbolic regression needs at least {MIN_SAMPLES} samples "
            "and one feature"
        )
    if Xa.shape[0] != ya.shape[0]:
        raise DataError(
            f"X has {Xa.shape[0]} samples but y has {ya.shape[0]}; they must have one row per sample"
        )
    if Xa.shape[0] < MIN_SAMPLES:
        raise DataError(
            f"X has only {Xa.shape[0]} sample; one sample fits any constant with loss 0: give at least "
            f"{MIN_SAMPLES} samples (better {FEW_SAMPLES} or more)"
        )
    names = list(feature_names) if feature_names is not None else columns
    if names is None:
        names = [f"x{j}" for j in range(Xa.shape[1])]
    names = [str(n) for n in names]
    if len(names) != Xa.shape[1]:
        raise DataError(f"got {len(names)} feature names for {Xa.shape[1]} columns of X")
    for arr, name in ((Xa, "X"), (ya, "y")):
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            kind = "nan" if np.isnan(arr).any() else "inf"
            where = ""
            if arr.ndim == 2:  # name the columns: "row 7" alone sends the user hunting
                cols = [names[j] for j in np.unique(np.nonzero(bad)[1])]
                shown = ", ".join(map(repr, cols[:5])) + (", ..." if len(cols) > 5 else "")
                where = f" (column{'s' if len(cols) > 1 else ''} {shown})"
            raise DataError(
                f"{name} contains {int(bad.sum())} {kind}/non-finite value(s) in rows "
                f"{rows[:5].tolist()}{'...' if len(rows) > 5 else ''}{where}; drop or impute those rows first "
                f"(e.g. mask = np.isfinite(X).all(1) & np.isfinite(y))"
            )
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


def check_fittable(data: Dataset, *, target: str = "y", source: str | None = None, stacklevel: int = 2) -> None:
    """Refuse data that a search cannot learn from, with the fix in the message.

    Raises :class:`DataError` for fewer than :data:`MIN_SAMPLES` samples and for a
    constant target (the formula is that constant; there is nothing to search
    for).  Warns (:class:`DataWarning`) below :data:`FEW_SAMPLES` samples, where a
    formula with as many coefficients as rows fits them exactly.  A feature equal
    to the target is *not* refused: ``y = x0`` is a legitimate (trivial) law; a
    target listed among its own features is refused by name in :func:`read_csv`.

    Examples
    --------
    >>> import numpy as np
    >>> check_fittable(as_dataset(np.arange(20.0).reshape(10, 2), np.full(10, 3.0)))
    Traceback (most recent call last):
    ...
    srkit.core.data.DataError: y is constant (all 10 values are 3.0); there is nothing to fit: the formula is y = 3.0. Check that y is the column you mean to predict
    """
    where = f"{source}: " if source else ""
    label = f"column {target!r}" if source else target
    n = data.n_samples
    if n < MIN_SAMPLES:
        raise DataError(f"{where}only {n} sample; give at least {MIN_SAMPLES} (better {FEW_SAMPLES} or more)")
    y = data.y
    if bool(np.all(y == y[0])):
        v = float(y[0])
        raise DataError(
            f"{where}{label} is constant (all {n} values are {v!r}); there is nothing to fit: the formula is "
            f"{target} = {v!r}. Check that {target} is the column you mean to predict"
        )
    if n < FEW_SAMPLES:
        warnings.warn(
            f"{where}only {n} samples: a formula with {n} coefficients fits them exactly; "
            f"trust the result only if it also fits data it has not seen ({FEW_SAMPLES} or more rows are better)",
            DataWarning, stacklevel=stacklevel,
        )


# -- text tables (CSV) ---------------------------------------------------------------------------
#: Field separators the sniffer tries, in order of preference on a tie.
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 50
#: File signatures of formats people save by mistake under a .csv name.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook"),
    (b"\x1f\x8b", "a gzip-compressed file (unpack it first)"),
    (b"PAR1", "a parquet file (name it .parquet)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)
_EXPORT_HINT = "export it as CSV text (UTF-8, comma- or semicolon-separated)"


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a CSV file (UTF-8, a byte-order mark removed).

    Raises :class:`DataError` naming the file when it cannot be read, or when it
    is binary (a workbook, an archive, random bytes) or not UTF-8 text.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            raise DataError(f"{path} is not a text CSV: it looks like {kind}; {_EXPORT_HINT}")
    nul = raw.find(b"\x00", 0, _SNIFF_CHARS)
    if nul >= 0:
        raise DataError(f"{path} is not a text CSV: it holds binary data (a NUL byte at offset {nul}); {_EXPORT_HINT}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = raw[:4096]
        control = sum(b < 32 and b not in b"\t\r\n" for b in head)
        if control > 0.05 * len(head):  # text has next to no control bytes; random or packed data has many
            raise DataError(f"{path} is not a text CSV: it holds binary data; {_EXPORT_HINT}") from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path} is not a text CSV in UTF-8: byte 0x{raw[exc.start]:02x} on line {line} cannot be decoded; "
            f"save it as 'CSV UTF-8' (or convert it: iconv -f latin1 -t utf-8 {Path(path).name} > fixed.csv)"
        ) from None


def _agrees(row: Sequence[str], width: int) -> bool:
    """Whether a row has ``width`` fields (extra empty fields: a trailing separator, allowed)."""
    return len(row) == width or (len(row) > width and not any(c.strip() for c in row[width:]))


def sniff_separator(text: str) -> str | None:
    """The field separator of CSV ``text``: one of :data:`SEPARATORS`, or None for runs
    of whitespace.

    Only the first lines are read.  A separator qualifies when it splits the header
    into more than one column and (nearly) every sampled data row into as many; the
    one giving the most columns wins, ties in the order of :data:`SEPARATORS`.  Text
    that no separator splits (one column, or not a table) gives ``","``.

    Examples
    --------
    >>> sniff_separator("x;y;target\\n1,5;2;3\\n"), sniff_separator("a b  c\\n1 2 3\\n")
    (';', None)
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut last line would not agree
    lines = [ln for ln in sample.splitlines() if ln.strip()][:_SNIFF_LINES]
    if not lines:
        return ","

    def fits(rows: list[list[str]]) -> int:
        width = len(rows[0])
        data = rows[1:]
        if width < 2 or (data and sum(_agrees(r, width) for r in data) < 0.8 * len(data)):
            return 0
        return width

    best, best_width = ",", 1
    for sep in SEPARATORS:
        width = fits(list(csv.reader(lines, delimiter=sep)))
        if width > best_width:
            best, best_width = sep, width
    if best_width > 1:
        return best
    if fits([ln.split() for ln in lines]):
        return None
    return ","


def _separator_name(sep: str | None) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'", None: "whitespace"}[sep]


@dataclass(frozen=True)
class TextTable:
    """A CSV file as text cells: ``header`` (line 1), the data ``rows`` (blank lines
    dropped, each as long as the header) and ``lines``, the line each row starts on
    (line 1 is the header, as an editor numbers them)."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    separator: str | None

    def column(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [r[j] for r in self.rows]


def read_table(path: str | os.PathLike[str]) -> TextTable:
    """Read a CSV file with a header row as text cells, its separator sniffed.

    Raises :class:`DataError` naming the file for an unreadable, binary or empty
    file, a header with no data rows, or a row with fewer fields than the header.
    """
    name = str(path)
    text = read_text(path)
    sep = sniff_separator(text)
    records: list[tuple[int, list[str]]] = []
    if sep is None:
        records = [(i, ln.split()) for i, ln in enumerate(text.splitlines(), start=1)]
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        start = 1
        try:
            for row in reader:
                records.append((start, row))
                start = reader.line_num + 1  # a quoted field may span lines
        except csv.Error as exc:
            raise DataError(f"{name}: line {reader.line_num} is not valid CSV ({exc}); fix the quoting there") from None
    records = [(i, r) for i, r in records if any(c.strip() for c in r)]
    if not records:
        raise DataError(f"{name} is empty; expected a header row and data rows")
    header = [h.strip() for h in records[0][1]]
    width = len(header)
    rows, lines = [], []
    for line, row in records[1:]:
        if not _agrees(row, width):
            raise DataError(
                f"{name}: line {line} has {len(row)} fields but the header (line 1) has {width} "
                f"({_separator_name(sep)}-separated); fix that line"
            )
        rows.append(row[:width])
        lines.append(line)
    if not rows:
        raise DataError(f"{name} has a header but no data rows; add the data below the header (line 1)")
    return TextTable(name, header, rows, lines, sep)


#: Cells that mean "no value" (compared lower-case); nan parses as a float too.
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})


def _lines_text(lines: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, lines[:limit]))
    return f"line{'s' if len(lines) > 1 else ''} {shown}{', ...' if len(lines) > limit else ''}"


def _parse_numbers(cells: list[str]) -> tuple[NDArray[np.float64], list[int]]:
    """Cells as float64 (nan for a missing cell) and the indices of cells that are not numbers."""
    with contextlib.suppress(ValueError):  # fast path: numpy parses the strings in C
        return np.array(cells, dtype=np.float64), []
    out = np.empty(len(cells))
    bad = []
    for i, cell in enumerate(cells):
        try:
            out[i] = float(cell)
        except ValueError:
            out[i] = np.nan
            if cell.strip().lower() not in _MISSING:
                bad.append(i)
    return out, bad


def read_csv(path: str, target: str, features: Sequence[str] | None = None) -> Dataset:
    """Read a CSV with a header row into a :class:`Dataset` (``target`` is y).

    The separator (comma, semicolon, tab, ``|`` or whitespace) is sniffed.  Every
    other column is a feature unless ``features`` names them.  Errors name the
    file, the column and the line (the header is line 1) and say how to fix it:
    a value that is not a number, a missing (empty, nan) or infinite value, a
    file with no data rows, too few rows, the target among the features, or a
    constant target (see :func:`check_fittable`).  A feature column that equals
    the target under another name is not refused: ``y = x`` is a law too.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("a;b;y\\n1;2;3\\n2;3;5\\n")
    >>> read_csv(p, "y").feature_names
    ('a', 'b')
    """
    from srkit.core.operators import suggest

    table = read_table(path)
    header = table.header
    columns_text = ", ".join(repr(h) for h in header)
    if target not in header:
        raise DataError(f"{path} has no column {target!r}.{suggest(target, header)} Columns: {columns_text}")
    if features is not None:
        wanted = [str(f).strip() for f in features]
        if target in wanted:
            raise DataError(
                f"{path}: the target {target!r} is also listed as a feature; a formula would predict "
                f"{target} from itself: leave {target!r} out of --features"
            )
        for f in wanted:
            if f not in header:
                raise DataError(f"{path} has no column {f!r}.{suggest(f, header)} Columns: {columns_text}")
    else:
        wanted = [h for h in header if h != target]
    if not wanted:
        raise DataError(f"{path} has no feature columns, only the target {target!r}; add input columns")
    used = [*wanted, target]
    for name in used:
        if name == "":
            raise DataError(
                f"{path}: column {header.index(name) + 1} has no name in the header (line 1); name it, "
                "or pick the columns to use with --features"
            )
        if header.count(name) > 1:
            raise DataError(f"{path}: the header (line 1) names two columns {name!r}; rename one of them")

    def drop_hint(name: str) -> str:
        if name == target:
            return "the target cannot be left out"
        rest = [f for f in wanted if f != name]
        if not rest:
            return f"{name!r} is the only feature"
        listed = ",".join(rest) if len(rest) <= 8 else "<the other columns>"
        return f"or drop the column with --features {listed}"

    lines = np.asarray(table.lines)
    values: dict[str, NDArray[np.float64]] = {}
    for name in [h for h in header if h in used]:  # in file order: the first problem on screen is reported
        arr, bad = _parse_numbers(table.column(name))
        if bad:
            cell = table.rows[bad[0]][header.index(name)]
            more = f" (and {len(bad) - 1} more: {_lines_text(lines[bad[1:]].tolist())})" if len(bad) > 1 else ""
            comma = (" (a decimal comma? write 2.5, not 2,5)"
                     if re.fullmatch(r"\s*[-+]?\d+,\d+\s*", cell) else "")
            hint = drop_hint(name)
            fix = "fix or remove those rows" if name == target else f"fix {'it' if len(bad) == 1 else 'them'}, {hint}"
            raise DataError(
                f"{path}: column {name!r} is not numeric: line {lines[bad[0]]} holds {cell!r}{comma}{more}; {fix}"
            )
        values[name] = arr
    problems = []
    for name, arr in values.items():
        for mask, what, fix in ((np.isnan(arr), "missing value(s) (empty or nan)", "remove or fill those rows"),
                                (np.isinf(arr), "infinite value(s)", "remove or fix those rows")):
            if mask.any():
                problems.append((name, f"{int(mask.sum())} {what} at {_lines_text(lines[mask].tolist())}", fix))
    if problems:
        name, what, fix = problems[0]
        others = [n for n in dict.fromkeys(n for n, _, _ in problems[1:]) if n != name]
        also = f" (and non-finite values in {', '.join(map(repr, others))})" if others else ""
        if name != target:
            fix += f", {drop_hint(name)}"
        raise DataError(f"{path}: column {name!r} has {what}{also}; {fix}")
    n = len(table.rows)
    if n < MIN_SAMPLES:
        raise DataError(
            f"{path} has only {n} data row (line {table.lines[0]}); one row fits any constant with loss 0: "
            f"add rows (at least {MIN_SAMPLES}, better {FEW_SAMPLES} or more)"
        )
    X = np.column_stack([values[f] for f in wanted])
    try:
        data = as_dataset(X, values[target], feature_names=wanted)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    check_fittable(data, target=target, source=str(path), stacklevel=3)
    return data
