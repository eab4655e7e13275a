"""Coercing one raw column to its canonical dtype, and saying which values could not be.

CSV cells arrive as text, Parquet columns arrive typed (dates as ``date32`` objects or
timestamps of any resolution or time zone, integers as floats when they hold nulls, ids as
numbers). Each coercion returns the typed column and a mask of the values that were present
but could not be read, with the rule text to report for them. Everything is vectorised:
validation must keep up with tens of millions of rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api import types as ptypes

from features.schema import PANDAS_DTYPES, ColumnType

logger = logging.getLogger(__name__)

NOT_A_DATE = "not a valid date"
NOT_A_NUMBER = "not a number"
NOT_A_WHOLE_NUMBER = "not a whole number"
NOT_A_BOOLEAN = "not a boolean (expected true/false)"

_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?"
_DISTINCT_FROM_ROWS = 10_000
_TRUE = ("true", "1", "yes", "1.0")
_FALSE = ("false", "0", "no", "0.0")


@dataclass(frozen=True)
class Coerced:
    """A column in its canonical dtype.

    Attributes:
        values: the typed column (null where the raw value was null or unreadable).
        invalid: True where a value was present but could not be read.
        rule: what to report for the invalid values.
    """

    values: pd.Series
    invalid: np.ndarray
    rule: str


def coerce_column(raw: pd.Series, kind: ColumnType) -> Coerced:
    """Turn `raw` into the canonical dtype of `kind`, flagging values that cannot be read."""
    raw = raw.reset_index(drop=True)
    present = raw.notna().to_numpy()
    if kind == "str":
        return Coerced(_to_str(raw), np.zeros(len(raw), dtype=bool), "")
    if kind == "date":
        values, rule = _to_date(raw), NOT_A_DATE
    elif kind == "bool":
        values, rule = _to_bool(raw), NOT_A_BOOLEAN
    else:
        values, rule = _to_number(raw, kind)
    invalid = present & values.isna().to_numpy()
    return Coerced(values.astype(PANDAS_DTYPES[kind]), invalid, rule)


def _to_str(raw: pd.Series) -> pd.Series:
    """Text as is; whole numbers (ids stored as numbers) without a trailing ``.0``."""
    if ptypes.is_float_dtype(raw.dtype):
        finite = raw.dropna()
        # An id column holding inf cannot go through Int64: keep such values as text instead.
        if np.isfinite(finite).all() and (finite == np.floor(finite)).all():
            raw = raw.astype("Int64")
    out = raw.astype("str")
    # An empty cell is a missing value, as it is when pandas reads a CSV file.
    return out.mask(out == "")


def _to_date(raw: pd.Series) -> pd.Series:
    """ISO dates (optionally with a midnight time) or typed dates, as tz-naive midnights."""
    dtype = raw.dtype
    if isinstance(dtype, pd.StringDtype):
        return _parse_iso_dates(raw)
    if ptypes.is_datetime64_any_dtype(dtype):
        return _strip_time(raw)
    if ptypes.is_object_dtype(dtype):
        return _object_dates(raw)
    # Numbers, booleans and anything else are not dates.
    return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")


def _object_dates(raw: pd.Series) -> pd.Series:
    """Python dates (Parquet ``date32`` reads as these), or a mix of dates and text."""
    try:
        array = pa.array(raw, from_pandas=True)
        if pa.types.is_date(array.type):
            stamps = array.cast(pa.timestamp("ns")).to_pandas()
            return pd.Series(stamps, index=raw.index, dtype="datetime64[ns]")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        logger.debug("mixed or out-of-range date objects: parsing one by one")
    is_text = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_date = raw.map(lambda v: isinstance(v, date)).to_numpy(dtype=bool)  # datetimes too
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if is_text.any():
        out[is_text] = _parse_iso_dates(raw[is_text].astype("str"))
    if is_date.any():
        out[is_date] = _strip_time(pd.to_datetime(raw[is_date], errors="coerce"))
    return out


def _strip_time(parsed: pd.Series) -> pd.Series:
    """Midnight of each date, tz-naive (a tz-aware value keeps its local calendar day).

    Dates outside what ``datetime64[ns]`` holds (before 1677 or after 2262) become NaT.
    """
    if not ptypes.is_datetime64_any_dtype(parsed.dtype):
        return pd.Series(pd.NaT, index=parsed.index, dtype="datetime64[ns]")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    inside = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(inside).dt.normalize().astype("datetime64[ns]")


def _parse_iso_dates(text: pd.Series) -> pd.Series:
    """Parse YYYY-MM-DD text; anything else (including a time other than midnight) is NaT."""
    return _parse_distinct(text, _parse_iso_distinct)


def _parse_iso_distinct(text: pd.Series) -> pd.Series:
    text = text.str.strip()
    well_formed = text.str.fullmatch(_ISO_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    return parsed.where(well_formed).astype("datetime64[ns]")


def arrow_text(values: pd.Series) -> pa.Array:
    """`values` as one contiguous Arrow large_string array (nulls stay null)."""
    array = pa.array(values.astype("str"), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _parse_distinct(text: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply `parse` once per distinct text and spread the results back to every row.

    Dates, flags and amounts repeat: a ten-million-row column often holds only thousands of
    distinct texts, and hashing them (Arrow) is far cheaper than parsing every row. Short
    columns are parsed directly: there the hashing would cost more than it saves.
    """
    if len(text) < _DISTINCT_FROM_ROWS:
        return parse(text.astype("str"))
    encoded = pc.dictionary_encode(arrow_text(text))
    parsed = parse(pd.Series(encoded.dictionary.to_pylist(), dtype="str"))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    if len(parsed) == 0:
        return pd.Series(index=text.index, dtype=parsed.dtype)
    spread = parsed.iloc[np.maximum(codes, 0)].set_axis(text.index)
    return spread.where(codes >= 0)


def _to_number(raw: pd.Series, kind: ColumnType) -> tuple[pd.Series, str]:
    """Finite numbers as float64, or whole numbers as Int64; everything else is null."""
    if kind == "int" and ptypes.is_integer_dtype(raw.dtype):
        # Exact for integers beyond 2**53, which the float path would round.
        return raw.astype("Int64"), NOT_A_WHOLE_NUMBER
    if ptypes.is_bool_dtype(raw.dtype):
        numbers = pd.Series(np.nan, index=raw.index, dtype="float64")
    elif ptypes.is_numeric_dtype(raw.dtype):
        numbers = raw.astype("float64")
    else:
        numbers = _parse_distinct(raw, _parse_numbers)
    numbers = numbers.where(np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan)))
    if kind == "float":
        return numbers, NOT_A_NUMBER
    fits = (numbers == np.floor(numbers)) & (numbers.abs() < 2.0**63)
    return numbers.where(fits).astype("Int64"), NOT_A_WHOLE_NUMBER


def _parse_numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.strip(), errors="coerce").astype("float64")


def _to_bool(raw: pd.Series) -> pd.Series:
    """true/false, 1/0, yes/no in any case, or typed booleans, as nullable booleans."""
    if ptypes.is_bool_dtype(raw.dtype):
        return raw.astype("boolean")
    if not ptypes.is_numeric_dtype(raw.dtype):
        return _parse_distinct(raw, _parse_flags)
    numbers = raw.astype("float64").to_numpy(na_value=np.nan)
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[numbers == 1] = True
    out[numbers == 0] = False
    return out


def _parse_flags(text: pd.Series) -> pd.Series:
    text = text.str.strip().str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    out[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    return out


def value_text(raw: pd.Series) -> list[str | None]:
    """The values of `raw` as text for messages: dates as YYYY-MM-DD, nulls as None."""
    if isinstance(raw.dtype, pd.StringDtype):
        text = raw
    elif ptypes.is_datetime64_any_dtype(raw.dtype):
        text = raw.astype("str")
    else:
        text = raw.map(_one_value_text)
    nulls = text.isna().tolist()
    return [None if null else str(v) for v, null in zip(text.tolist(), nulls, strict=True)]


def _one_value_text(value: object) -> str | None:
    """One raw value as text; a midnight timestamp prints as its date."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return str(value)
