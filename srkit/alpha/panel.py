"""Panel data: fields x dates x assets, loaded from CSV or parquet files.

A :class:`Panel` holds one float64 array of shape (fields, dates, assets) on one
trading calendar (the union of every asset's dates).  A panel needs a close price;
every other numeric column (open, high, low, volume, vwap, adj_close, shares...)
becomes a field when present, so adjusted closes alone (``date,asset,close``, the
commonest free data) load as they are.  Loading never fills a
gap with a later value: a missing cell or a date before an asset's listing
stays nan, and the loader reports how many there were.  When the data has high, low
and close but no ``vwap`` column the loader adds the typical price
``(high + low + close) / 3`` as a proxy (documented in :attr:`Panel.report`), so
formulas written with ``vwap`` (Alpha101, Alpha158) run on daily OHLCV data.  :meth:`Panel.report_text`
gives that report as a few lines to print.

Every file is validated on its own before anything is merged; a bad file is
refused by name, with the line and the fix (see :func:`load_panel`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from srkit.core.data import DataError

__all__ = ["Panel", "PanelDataset", "load_panel", "format_report", "REQUIRED_FIELDS", "PRICE_FIELDS"]

Array = NDArray[np.float64]

#: Fields a price panel must have after column mapping (the rest are used when present).
REQUIRED_FIELDS: tuple[str, ...] = ("close",)
#: The usual daily fields, named in messages and used by the classic factors.
PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_DATE_NAMES = ("date", "datetime", "time", "timestamp", "day")
_ASSET_NAMES = ("asset", "ticker", "symbol", "name", "instrument", "code", "stock")


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True, eq=False)
class Panel:
    """Daily fields of many assets on one calendar.

    ``values[k, t, j]`` is field ``fields[k]`` of asset ``assets[j]`` at date
    ``dates[t]``; nan marks a missing cell.  ``report`` is what the loader found
    (late listings, gaps, the vwap proxy, skipped files...) as data;
    :meth:`report_text` prints it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> p = Panel(np.ones((1, 3, 2)), ("close",), pd.date_range("2020-01-01", periods=3), pd.Index(["A", "B"]))
    >>> p.shape, p["close"].shape
    ((1, 3, 2), (3, 2))
    """

    values: Array
    fields: tuple[str, ...]
    dates: Any  # pandas.DatetimeIndex
    assets: Any  # pandas.Index
    report: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        v = np.ascontiguousarray(self.values, dtype=np.float64)
        if v.ndim != 3 or v.shape != (len(self.fields), len(self.dates), len(self.assets)):
            raise DataError(
                f"panel values must have shape (fields, dates, assets) = "
                f"({len(self.fields)}, {len(self.dates)}, {len(self.assets)}), got {v.shape}"
            )
        v.setflags(write=False)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "fields", tuple(self.fields))

    def report_text(self) -> str:
        """The load report as a few lines of text: what was loaded, the vwap proxy,
        late listings, gaps, duplicates and anything skipped (see :func:`format_report`)."""
        return format_report(self.report)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    def __getitem__(self, name: str) -> Array:
        """One field as a (dates, assets) array."""
        if name not in self.fields:
            from srkit.core.operators import suggest

            raise KeyError(f"panel has no field {name!r}.{suggest(name, self.fields)} Fields: {', '.join(self.fields)}")
        return self.values[self.fields.index(name)]  # type: ignore[no-any-return]

    def frame(self, values: Array) -> Any:
        """A (dates, assets) array as a pandas DataFrame on this panel's axes."""
        import pandas as pd

        return pd.DataFrame(values, index=self.dates, columns=self.assets)

    def date_mask(self, start: Any = None, end: Any = None) -> NDArray[np.bool_]:
        """Dates in ``[start, end]`` (inclusive; None is open)."""
        import pandas as pd

        mask = np.ones(len(self.dates), dtype=bool)
        if start is not None:
            mask &= np.asarray(self.dates >= pd.Timestamp(start))
        if end is not None:
            mask &= np.asarray(self.dates <= pd.Timestamp(end))
        return mask

    def until(self, end: Any) -> Panel:
        """The panel cut after ``end`` (what a search may see; later rows are gone)."""
        keep = np.asarray(self.date_mask(None, end))
        n = int(keep.sum())
        if n == 0:
            raise DataError(f"no dates on or before {end}; the panel starts at {self.dates[0].date()}")
        return Panel(self.values[:, :n], self.fields, self.dates[:n], self.assets, dict(self.report))

    def dataset(self, labels: Array) -> PanelDataset:
        """This panel with target ``labels`` (dates, assets), for an Evaluator."""
        labels = np.asarray(labels, dtype=np.float64)
        if labels.shape != self.shape[1:]:
            raise DataError(f"labels must have shape {self.shape[1:]} (dates, assets), got {labels.shape}")
        return PanelDataset(self.values, labels, self.fields)


@dataclass(frozen=True, eq=False)
class PanelDataset:
    """What the Evaluator reads for a panel: ``columns`` (features, dates, assets),
    ``y`` the labels (dates, assets, nan where unknown) and ``sample_shape``."""

    columns: Array
    y: Array
    feature_names: tuple[str, ...]
    weights: None = None

    @property
    def sample_shape(self) -> tuple[int, int]:
        return self.y.shape  # type: ignore[return-value]

    @property
    def n_samples(self) -> int:
        return int(self.y.size)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)


def load_panel(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    date_column: str | None = None,
    asset_column: str | None = None,
    fields: Sequence[str] | None = None,
    vwap_proxy: bool = True,
    skip_bad_files: bool = False,
    groups: str | os.PathLike[str] | Mapping[str, str] | None = None,
) -> Panel:
    """Load daily prices into a :class:`Panel`.

    Every file is validated on its own before anything is merged: a file that is
    not a text table, has no date or price columns, holds text in a price column
    or a value that is not a date is refused with an error naming that file, the
    line and the fix.  Nothing is dropped silently: an empty cell stays nan and is
    counted in :attr:`Panel.report` (see :meth:`Panel.report_text`).  The
    separator of each CSV (comma, semicolon, tab, ``|``, whitespace) is sniffed.

    Parameters
    ----------
    path : a folder of per-asset CSV files (the asset is the file name, minus a
        ``_data`` suffix), or one long CSV/parquet file with a date column, an
        asset column and one column per field.
    columns : renames applied to the raw column names (``{"Adj Close": "close"}``);
        names are then lower snake case (``Adj Close`` -> ``adj_close``).
    date_column, asset_column : names in a long file (found automatically among
        date/datetime/... and asset/ticker/symbol/name/... when not given).
    fields : fields to keep (default: every numeric column).
    vwap_proxy : add ``vwap = (high + low + close) / 3`` when there is no vwap column
        (and high, low and close are there).
    skip_bad_files : in a folder, leave out the files that fail validation instead
        of refusing the load; they are listed in ``report["skipped_files"]``.
    groups : per-asset groups (sector, industry) for the group-neutral operators
        (``group_demean(x, group)``, ``group_rank(x, group)``): the name of a text column
        of the data (read per row, so a reclassification takes effect on its date), a
        small CSV file with an asset column and a group column, or a mapping
        ``{asset: group}``.  They become the field ``group`` (integer codes; nan for an
        asset without one), listed in ``report["groups"]``.

    Raises
    ------
    DataError
        For a missing path, an empty folder, or any unusable file (named, with
        the line and the fix): binary or not a table, no data rows, no date
        column, unparsable dates, no close column, a field named in ``fields``
        that a file lacks, non-numeric or infinite values, no close price at all.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "A.csv"), "w").write(
    ...     "date,open,high,low,close,volume\\n2020-01-02,1,2,1,2,10\\n2020-01-03,2,3,2,3,11\\n")
    >>> p = load_panel(d)
    >>> p.fields, list(p.assets), float(p["vwap"][0, 0])
    (('open', 'high', 'low', 'close', 'volume', 'vwap'), ['A'], 1.6666666666666667)
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p} does not exist; pass a folder of per-asset CSV files or one long CSV/parquet file")
    rename = {k: v for k, v in (columns or {}).items()}
    group_column, static = _group_source(groups)
    want = [_snake(f) for f in fields] if fields is not None else None
    report: dict[str, Any] = {"source": str(p)}
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".parquet") and f.is_file())
        if not files:
            raise DataError(f"{p} holds no .csv or .parquet files")
        by_asset: dict[str, list[str]] = {}
        for f in files:
            by_asset.setdefault(re.sub(r"_data$", "", f.stem), []).append(f.name)
        twice = {a: names for a, names in by_asset.items() if len(names) > 1}
        if twice:  # their rows would be merged as one asset's, silently
            a, names = next(iter(twice.items()))
            raise DataError(f"{p}: files {', '.join(names)} are all asset {a!r}; keep one of them in the folder")
        parts: list[_Part] = []
        bad: dict[str, str] = {}  # file name -> why it is unusable
        for f in files:
            try:
                parts.append(_load_file(f, rename, date_column, None, want, asset=re.sub(r"_data$", "", f.stem),
                                        group_column=group_column))
            except DataError as exc:
                bad[f.name] = str(exc)
        if bad and (not skip_bad_files or not parts):
            raise _bad_files_error(p, list(bad.values()), len(files))
        report["files"] = len(parts)
        if bad:
            report["skipped_files"] = bad
        # a field only some files have would be nan for every other asset: keep the common ones, say which went
        common = [c for c in parts[0].values if all(c in q.values for q in parts)]
        dropped = {c: sorted(q.name for q in parts if c in q.values)
                   for q in parts for c in q.values if c not in common}
        if dropped:
            report["fields_dropped"] = {c: f"only in {len(v)} of {len(parts)} files" for c, v in dropped.items()}
        keep = ["date", "asset", *common] + (["group"] if group_column else [])
        long = pd.concat([q.frame[keep] for q in parts], ignore_index=True)
        ignored = sorted({c for q in parts for c in q.ignored})
    else:
        part = _load_file(p, rename, date_column, asset_column, want, asset=None, group_column=group_column)
        long, common, ignored = part.frame, part.values, part.ignored
    if ignored:
        report["ignored_columns"] = ignored
    numeric = list(common)
    dup = long.duplicated(["date", "asset"])
    n_dup = int(dup.sum())
    report["duplicate_rows_dropped"] = n_dup
    if n_dup:
        report["duplicate_assets"] = sorted(map(str, long.loc[dup, "asset"].unique()))
    long = long[~dup]
    wide = long.pivot(index="date", columns="asset", values=numeric).sort_index()
    dates = wide.index
    assets = pd.Index(sorted(long["asset"].astype(str).unique()))
    values = np.stack(
        [wide[c].reindex(columns=assets).to_numpy(dtype=np.float64) for c in numeric]
    )
    names = list(numeric)
    if groups is not None:
        if "group" in names:
            raise DataError(f"{p} already has a numeric column 'group'; rename it (columns={{'group': ...}}) "
                            "to load groups")
        labels = (_wide_labels(long, dates, assets) if group_column
                  else np.broadcast_to(np.array([static.get(str(a)) for a in assets], dtype=object),
                                       (len(dates), len(assets))))
        codes, report["groups"] = _group_codes(labels, assets)
        values = np.concatenate([values, codes[None]])
        names.append("group")
    if "vwap" not in names and vwap_proxy:
        if all(k in names for k in ("high", "low", "close")):
            h, lo, c = (values[names.index(k)] for k in ("high", "low", "close"))
            values = np.concatenate([values, ((h + lo + c) / 3.0)[None]])
            names.append("vwap")
            report["vwap"] = "proxy: (high + low + close) / 3 (no vwap column in the data)"
        else:
            report["vwap"] = "not available: no vwap column, and its proxy needs high, low and close"
    absent = [k for k in PRICE_FIELDS if k not in names]
    if absent:
        report["fields_absent"] = absent
    close = values[names.index("close")]
    listed = np.isfinite(close)
    first = np.where(listed.any(axis=0), listed.argmax(axis=0), len(dates))
    late = {str(a): str(dates[i].date()) for a, i in zip(assets, first) if 0 < i < len(dates)}
    after_listing = np.arange(len(dates))[:, None] >= first[None, :]
    priced = values[[k for k, n in enumerate(names) if n != "group"]]  # an asset without a group is no gap
    gaps = (~np.isfinite(priced) & after_listing[None]).sum(axis=(0, 1))
    report.update(
        n_dates=len(dates), n_assets=len(assets),
        start=str(dates[0].date()), end=str(dates[-1].date()),
        fields=list(names),
        late_listings=late,
        missing_cells=int(gaps.sum()),
        missing_by_asset={str(a): int(g) for a, g in sorted(zip(assets, gaps), key=lambda t: -t[1]) if g},
        zero_volume_cells=int((values[names.index("volume")] == 0).sum()) if "volume" in names else 0,
    )
    return Panel(values, tuple(names), dates, assets, report)


def format_report(report: Mapping[str, Any], max_items: int = 5) -> str:
    """A :attr:`Panel.report` as a few lines of text (what was loaded, the vwap proxy,
    late listings, gaps, duplicates, skipped files and columns).

    Examples
    --------
    >>> print(format_report({"n_assets": 2, "n_dates": 3, "start": "2020-01-02", "end": "2020-01-06",
    ...                      "source": "prices/", "late_listings": {"BBB": "2020-01-03"}, "missing_cells": 0}))
    2 assets x 3 dates (2020-01-02 .. 2020-01-06) from prices/
    late listings: 1 asset starts after 2020-01-02: BBB 2020-01-03
    gaps: none after listing
    """

    def some(items: Mapping[str, Any]) -> str:
        shown = [f"{k} {v}" for k, v in list(items.items())[:max_items]]
        return ", ".join(shown) + (f", ... ({len(items) - max_items} more)" if len(items) > max_items else "")

    r = report
    out = [f"{r.get('n_assets', '?')} assets x {r.get('n_dates', '?')} dates "
           f"({r.get('start', '?')} .. {r.get('end', '?')}) from {r.get('source', '?')}"]
    if r.get("files") is not None:
        out[0] += f" ({r['files']} files)"
    if r.get("vwap"):
        out.append(f"vwap: {r['vwap']}")
    if r.get("groups"):
        g = r["groups"]
        out.append(f"groups: {g['n_groups']} ({', '.join(g['groups'][:max_items])}"
                   f"{', ...' if g['n_groups'] > max_items else ''}) in the field 'group'"
                   + (f"; no group for {len(g['assets_without_group'])} asset(s): "
                      f"{', '.join(g['assets_without_group'][:max_items])}" if g["assets_without_group"] else ""))
    if r.get("fields_absent"):
        out.append(f"fields: {', '.join(r.get('fields') or [])} (no {', '.join(r['fields_absent'])}: "
                   "formulas and searches use the fields present)")
    late = r.get("late_listings") or {}
    if late:
        out.append(f"late listings: {len(late)} asset{'s start' if len(late) > 1 else ' starts'} after "
                   f"{r.get('start', 'the first date')}: {some(late)}")
    missing = int(r.get("missing_cells", 0))
    if missing:
        by_asset = r.get("missing_by_asset") or {}
        out.append(f"gaps: {missing} missing cell{'s' if missing != 1 else ''} after listing (left nan, never filled)"
                   + (f"; most in {some(by_asset)}" if by_asset else ""))
    else:
        out.append("gaps: none after listing")
    if r.get("zero_volume_cells"):
        out.append(f"zero volume: {r['zero_volume_cells']} cells")
    if r.get("duplicate_rows_dropped"):
        dup_assets = r.get("duplicate_assets") or []
        out.append(f"duplicates: {r['duplicate_rows_dropped']} repeated (date, asset) rows dropped, the first kept"
                   + (f" ({', '.join(dup_assets[:max_items])})" if dup_assets else ""))
    if r.get("fields_dropped"):
        out.append(f"fields dropped (not in every file): {some(r['fields_dropped'])}")
    if r.get("ignored_columns"):
        out.append(f"text columns ignored: {', '.join(r['ignored_columns'])}")
    skipped = r.get("skipped_files") or {}
    if skipped:
        out.append(f"skipped files: {len(skipped)}: " + "; ".join(list(skipped.values())[:max_items]))
    return "\n".join(out)


@dataclass(frozen=True)
class _Part:
    """One validated file: ``frame`` has columns date, asset and float ``values``."""

    name: str
    frame: Any
    values: list[str]
    ignored: list[str]


def _bad_files_error(folder: Path, bad: list[str], n_files: int, limit: int = 5) -> DataError:
    if len(bad) == 1:
        others = f"; the other {n_files - 1} are fine" if n_files > 1 else ""
        return DataError(f"{bad[0]} (or move the file out of the folder{others})")
    shown = "\n  ".join(bad[:limit]) + (f"\n  ... and {len(bad) - limit} more" if len(bad) > limit else "")
    return DataError(
        f"{len(bad)} of {n_files} files in {folder} are unusable; fix them or move them out of the folder:\n  {shown}"
    )


def _read_frame(f: Path) -> tuple[Any, Any, str]:
    """A file as a DataFrame (blank lines dropped), the line (CSV, header = line 1)
    or row (parquet) number of each row, and the word for it."""
    import io

    import pandas as pd

    from srkit.core.data import read_text, sniff_separator

    if f.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(f)  # needs pyarrow (optional)
        except ImportError as exc:
            raise DataError(f"reading {f.name} needs pyarrow: pip install pyarrow ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - reported with the file name
            raise DataError(f"{f} is not a readable parquet file ({exc}); export it again") from None
        if len(df) == 0:
            raise DataError(f"{f} has no data rows")
        return df.reset_index(drop=True), np.arange(1, len(df) + 1), "row"
    text = read_text(f)
    if not text.strip():
        raise DataError(f"{f} is empty; expected a header row (date, close, and any of open, high, low, volume) "
                        "and data rows")
    sep = sniff_separator(text)
    width = _check_field_counts(f, text, sep)
    try:
        # index_col=False: pandas would otherwise silently take a first column as the index
        # when rows have one field more than the header
        df = pd.read_csv(io.StringIO(text), sep=sep if sep is not None else r"\s+", skip_blank_lines=False,
                         index_col=False)
    except Exception as exc:  # noqa: BLE001 - pandas parser errors, reported with the file name
        raise DataError(f"{f} is not a readable CSV table ({exc}); fix it") from None
    if df.shape[1] != width:
        raise DataError(f"{f}: the header has {width} columns but pandas read {df.shape[1]}; check the quoting")
    lines = np.arange(len(df)) + 2  # skip_blank_lines=False: row i is line i + 2 (no multi-line quoted fields)
    keep = ~df.isna().all(axis=1).to_numpy()
    df, lines = df[keep].reset_index(drop=True), lines[keep]
    if len(df) == 0:
        raise DataError(f"{f} has a header but no data rows; add the data below the header (line 1)")
    return df, lines, "line"


def _check_field_counts(f: Path, text: str, sep: str | None) -> int:
    """The header's field count, after checking that every non-blank line has as many
    (a short or long line is a truncated or mangled row, which pandas would pad with
    nan or shift into the wrong columns)."""
    from srkit.core.data import read_table

    if sep is None or '"' in text:  # whitespace or quoting: the csv module counts the fields
        return len(read_table(f).header)
    lines = text.splitlines()
    width = lines[0].count(sep) + 1
    for i, ln in enumerate(lines[1:], start=2):
        n = ln.count(sep) + 1
        if n == width or not ln.strip():
            continue
        if n > width and not any(cell.strip() for cell in ln.split(sep)[width:]):
            continue  # a trailing separator
        sep_name = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}.get(sep, repr(sep))
        raise DataError(
            f"{f}: line {i} has {n} fields but the header (line 1) has {width} ({sep_name}-separated); "
            "fix that line (a truncated or mangled row?)"
        )
    return width


def _numbers(f: Path, name: str, raw: Any, lines: Any, unit: str) -> Any:
    """Column ``name`` as float64; DataError naming the file, the line and a value
    when it holds text or an infinite value."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
        text = raw.astype("string").str.strip()
        num = pd.to_numeric(text, errors="coerce")
        bad = (text.notna() & (text != "") & num.isna()).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            k = int(bad.sum())
            raise DataError(
                f"{f}: column {name!r} has non-numeric values, e.g. {raw.iloc[i]!r} on {unit} {lines[i]}"
                f"{f' ({k} in all)' if k > 1 else ''}; write numbers there (with a '.' decimal point) "
                "or leave the cell empty for a missing value"
            )
        raw = num
    values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        i = int(np.argmax(inf))
        raise DataError(
            f"{f}: column {name!r} holds an infinite value on {unit} {lines[i]}; fix it or leave the cell empty"
        )
    return values


def _parse_dates(f: Path, name: str, raw: Any, lines: Any, unit: str) -> Any:
    """Column ``name`` as datetime64; DataError naming the file, the line and the value
    for a missing or unparsable date."""
    import warnings

    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    else:
        if pd.api.types.is_numeric_dtype(raw):  # 20200131 read as a number; as ns since 1970 it would be wrong
            raw = raw.astype("Int64").astype("string")
        text = raw.astype("string").str.strip()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format": we check every value below
            parsed = pd.to_datetime(text, errors="coerce")
    nat = parsed.isna().to_numpy()
    if nat.any():
        i = int(np.argmax(nat))
        value = raw.iloc[i]
        what = "has no date" if pd.isna(value) or str(value).strip() == "" else f"holds {value!r}, not a date"
        k = int(nat.sum())
        raise DataError(
            f"{f}: column {name!r}: {unit} {lines[i]} {what}{f' ({k} such rows)' if k > 1 else ''}; "
            "write every date in one format (e.g. 2020-01-31) or remove those rows"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _load_file(
    f: Path,
    rename: Mapping[str, str],
    date_column: str | None,
    asset_column: str | None,
    want: Sequence[str] | None,
    asset: str | None,
    group_column: str | None = None,
) -> _Part:
    """Read and validate one file; ``asset`` names its asset (a per-asset file) or is None
    for a long file with an asset column."""
    import pandas as pd

    df, lines, unit = _read_frame(f)
    df = df.rename(columns=rename)
    df.columns = [_snake(c) for c in df.columns]
    # the renames also match the lower snake case names the messages show (adj_close)
    df = df.rename(columns={_snake(k): _snake(v) for k, v in rename.items() if _snake(k) in df.columns})
    header = ", ".join(map(str, df.columns))
    dups = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dups:
        raise DataError(f"{f}: column name(s) {dups} appear twice (after lower-casing); rename one of each")
    date_col = _snake(date_column) if date_column else _find(df, _DATE_NAMES, "date", f)
    if date_col not in df.columns:
        raise DataError(f"{f} has no column {date_column!r} (columns: {header})")
    if asset is None:
        asset_col = _snake(asset_column) if asset_column else _find(df, _ASSET_NAMES, "asset", f)
        if asset_col not in df.columns:
            raise DataError(f"{f} has no column {asset_column!r} (columns: {header})")
        names = df[asset_col]
        no_name = names.isna().to_numpy() | (names.astype("string").str.strip() == "").to_numpy(na_value=True)
        if no_name.any():
            i = int(np.argmax(no_name))
            raise DataError(f"{f}: {unit} {lines[i]} has no asset in column {asset_col!r}; fill it or remove the row")
        assets = names.astype(str).str.strip()
        skip = {date_col, asset_col}
    else:
        skip = {date_col} | {c for c in df.columns if c in _ASSET_NAMES}  # a Name column repeats the file name
    dates = _parse_dates(f, date_col, df[date_col], lines, unit)
    if group_column is not None:
        if group_column not in df.columns:
            raise DataError(f"{f} has no group column {group_column!r} (columns: {header}); name the column that "
                            "holds each asset's sector or industry, or pass a CSV file of asset,group")
        skip = skip | {group_column}
    candidates = [c for c in df.columns if c not in skip]
    if want is not None:
        missing = [c for c in want if c not in candidates]
        if missing:
            raise DataError(f"{f} has no field(s) {missing} (columns: {header})")
        candidates = list(want)
    required = set(REQUIRED_FIELDS) | set(want or ())
    missing = [c for c in REQUIRED_FIELDS if c not in candidates]
    if missing:
        hint = next((c for c in candidates if "close" in c), None)  # adj_close, close_price...
        raise DataError(
            f"{f} has no close column (columns: {header}); a price file needs a date and a close price "
            f"(open, high, low, volume and other numeric columns are used when present): rename the column "
            f"in the header or map it with columns={{{hint or 'Your Name'!r}: 'close'}}"
        )
    out = {"date": dates.to_numpy(), "asset": assets.to_numpy() if asset is None else asset}
    kept, ignored = [], []
    for c in candidates:
        raw = df[c]
        if c not in required and not pd.api.types.is_numeric_dtype(raw):
            # a text column (sector, exchange): not a field; one with numbers *and* text is an error
            if pd.to_numeric(raw.astype("string").str.strip(), errors="coerce").isna().all():
                ignored.append(c)
                continue
        out[c] = _numbers(f, c, raw, lines, unit)
        kept.append(c)
    if not np.isfinite(out["close"]).any():
        raise DataError(f"{f} has no close price on any row (the column is empty); fill it in")
    frame = pd.DataFrame(out)
    if group_column is not None:
        text = df[group_column].astype("string").str.strip()
        frame["group"] = text.where(text != "", None).to_numpy(dtype=object)
    return _Part(f.name, frame, kept, ignored)


def _group_source(groups: Any) -> tuple[str | None, dict[str, str]]:
    """``groups`` as (a column to read per row, or None) and a static {asset: group} map."""
    if groups is None:
        return None, {}
    if isinstance(groups, Mapping):
        return None, {str(k): str(v) for k, v in groups.items()}
    path = Path(groups)
    if path.suffix.lower() == ".csv" or path.is_file():
        if not path.is_file():
            raise DataError(f"groups file {path} does not exist; give a CSV with an asset column and a group column")
        import pandas as pd

        table = pd.read_csv(path, dtype=str)
        table.columns = [_snake(c) for c in table.columns]
        asset_col = next((c for c in _ASSET_NAMES if c in table.columns), None)
        others = [c for c in table.columns if c != asset_col]
        if asset_col is None or len(others) != 1:
            raise DataError(f"groups file {path} needs two columns, an asset column (one of {', '.join(_ASSET_NAMES)}) "
                            f"and a group column; it has {', '.join(table.columns)}")
        return None, {str(a).strip(): str(g).strip() for a, g in zip(table[asset_col], table[others[0]])
                      if isinstance(g, str) and g.strip()}
    return _snake(str(groups)), {}


def _wide_labels(long: Any, dates: Any, assets: Any) -> Any:
    """The per-row group labels of a long frame as a (dates, assets) object array."""
    table = long.pivot(index="date", columns="asset", values="group").reindex(index=dates, columns=assets)
    return table.to_numpy(dtype=object)


def _group_codes(labels: Any, assets: Any) -> tuple[Array, dict[str, Any]]:
    """Integer codes (float, nan for no group) of (dates, assets) labels, and a report."""
    flat = [x for x in np.asarray(labels, dtype=object).ravel() if isinstance(x, str)]
    names = sorted(set(flat))
    index = {n: float(i) for i, n in enumerate(names)}
    codes = np.array([[index.get(x, np.nan) if isinstance(x, str) else np.nan for x in row]
                      for row in np.asarray(labels, dtype=object)], dtype=np.float64)
    never = [str(a) for a, col in zip(assets, codes.T) if not np.isfinite(col).any()]
    return codes, {"n_groups": len(names), "groups": names, "assets_without_group": never}


def _find(df: Any, names: Sequence[str], what: str, path: Path) -> str:
    for n in names:
        if n in df.columns:
            return n
    raise DataError(
        f"{path} has no {what} column (looked for {', '.join(names)}; columns: {', '.join(map(str, df.columns))}); "
        f"the file needs a header row naming a {what} column {names[0]!r} (or pass {what}_column=...)"
    )
