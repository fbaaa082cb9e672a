"""Panel data: fields x dates x assets, loaded from CSV or parquet files.

A :class:`Panel` holds one float64 array of shape (fields, dates, assets) on one
trading calendar (the union of every asset's dates).  Loading never fills a
gap with a later value: a missing cell or a date before an asset's listing
stays nan, and the loader reports how many there were.  When the data has no
``vwap`` column the loader adds the typical price ``(high + low + close) / 3``
as a proxy (documented in :attr:`Panel.report`), so formulas written with
``vwap`` (Alpha101, Alpha158) run on daily OHLCV data.
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

__all__ = ["Panel", "PanelDataset", "load_panel", "REQUIRED_FIELDS"]

Array = NDArray[np.float64]

#: Fields a price panel must have after column mapping.
REQUIRED_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_DATE_NAMES = ("date", "datetime", "time", "timestamp", "day")
_ASSET_NAMES = ("asset", "ticker", "symbol", "name", "instrument", "code", "stock")


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True, eq=False)
class Panel:
    """Daily fields of many assets on one calendar.

    ``values[k, t, j]`` is field ``fields[k]`` of asset ``assets[j]`` at date
    ``dates[t]``; nan marks a missing cell.

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
) -> Panel:
    """Load daily prices into a :class:`Panel`.

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
    vwap_proxy : add ``vwap = (high + low + close) / 3`` when there is no vwap column.

    Raises
    ------
    DataError
        For a missing path, an empty folder, unparsable dates, or a missing
        required field (open, high, low, close, volume).

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
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".parquet"))
        if not files:
            raise DataError(f"{p} holds no .csv or .parquet files")
        parts = []
        for f in files:
            df = _read(f).rename(columns=rename)
            df.columns = [_snake(c) for c in df.columns]
            asset = re.sub(r"_data$", "", f.stem)
            df = df.drop(columns=[c for c in df.columns if c in _ASSET_NAMES], errors="ignore")
            df["asset"] = asset
            parts.append(df)
        long = pd.concat(parts, ignore_index=True)
        asset_col = "asset"
    else:
        long = _read(p).rename(columns=rename)
        long.columns = [_snake(c) for c in long.columns]
        asset_col = _snake(asset_column) if asset_column else _find(long, _ASSET_NAMES, "asset", p)
    date_col = _snake(date_column) if date_column else _find(long, _DATE_NAMES, "date", p)
    try:
        long[date_col] = pd.to_datetime(long[date_col])
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot parse the dates in column {date_col!r} of {p}: {exc}") from None
    value_cols = [c for c in long.columns if c not in (date_col, asset_col)]
    if fields is not None:
        want = [_snake(f) for f in fields]
        missing = [f for f in want if f not in value_cols]
        if missing:
            raise DataError(f"{p} has no field(s) {missing}; fields: {', '.join(value_cols)}")
        value_cols = want
    numeric = [c for c in value_cols if pd.api.types.is_numeric_dtype(long[c])]
    missing = [f for f in REQUIRED_FIELDS if f not in numeric]
    if missing:
        raise DataError(
            f"{p} lacks the price field(s) {missing} (numeric columns found: {', '.join(numeric)}); "
            "map your column names with columns={'Your Name': 'close', ...}"
        )
    dup = long.duplicated([date_col, asset_col])
    n_dup = int(dup.sum())
    long = long[~dup]
    wide = long.pivot(index=date_col, columns=asset_col, values=numeric).sort_index()
    dates = wide.index
    assets = pd.Index(sorted(long[asset_col].astype(str).unique()))
    values = np.stack(
        [wide[c].reindex(columns=assets).to_numpy(dtype=np.float64) for c in numeric]
    )
    names = list(numeric)
    report: dict[str, Any] = {"source": str(p), "duplicate_rows_dropped": n_dup}
    if "vwap" not in names and vwap_proxy:
        h, lo, c = (values[names.index(k)] for k in ("high", "low", "close"))
        values = np.concatenate([values, ((h + lo + c) / 3.0)[None]])
        names.append("vwap")
        report["vwap"] = "proxy: (high + low + close) / 3 (no vwap column in the data)"
    close = values[names.index("close")]
    listed = np.isfinite(close)
    first = np.where(listed.any(axis=0), listed.argmax(axis=0), len(dates))
    late = {str(a): str(dates[i].date()) for a, i in zip(assets, first) if 0 < i < len(dates)}
    after_listing = np.arange(len(dates))[:, None] >= first[None, :]
    report.update(
        n_dates=len(dates), n_assets=len(assets),
        start=str(dates[0].date()), end=str(dates[-1].date()),
        late_listings=late,
        missing_cells=int((~np.isfinite(values) & after_listing[None]).sum()),
        zero_volume_cells=int((values[names.index("volume")] == 0).sum()),
    )
    return Panel(values, tuple(names), dates, assets, report)


def _read(f: Path) -> Any:
    import pandas as pd

    try:
        if f.suffix.lower() == ".parquet":
            return pd.read_parquet(f)  # needs pyarrow (optional)
        return pd.read_csv(f)
    except ImportError as exc:
        raise DataError(f"reading {f.name} needs pyarrow: pip install pyarrow ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - reported with the file name
        raise DataError(f"cannot read {f}: {exc}") from None


def _find(df: Any, names: Sequence[str], what: str, path: Path) -> str:
    for n in names:
        if n in df.columns:
            return n
    raise DataError(
        f"{path} has no {what} column (looked for {', '.join(names)}); "
        f"pass {what}_column=... (columns: {', '.join(map(str, df.columns))})"
    )
