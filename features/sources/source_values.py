"""Reading the text of an export's cells: dates, numbers and booleans as the mapping says.

Parsers take the export's text column and return a typed column on the same index; a cell
that does not parse becomes null, and the caller names it in a reject reason. Each distinct
text is parsed once (exports repeat dates and amounts a lot).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.sources.mapping import YYYYMMDD_NUMBER

_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0")


def _per_distinct(text: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`parse` applied once per distinct value: exports repeat dates and day counts a lot."""
    codes, uniques = pd.factorize(text)
    parsed = parse(pd.Series(uniques, dtype="str")).to_numpy()
    # Code -1 (a null cell) picks the appended null.
    empty = np.array(["NaT" if parsed.dtype.kind == "M" else "nan"], dtype=parsed.dtype)
    return pd.Series(np.concatenate([parsed, empty])[codes], index=text.index)


def parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Dates in `fmt` (a strftime format or ``yyyymmdd_number``) as midnights; else NaT."""
    return _per_distinct(text, lambda distinct: _parse_distinct_dates(distinct, fmt))


def _parse_distinct_dates(text: pd.Series, fmt: str) -> pd.Series:
    text = text.str.strip()
    if fmt == YYYYMMDD_NUMBER:
        digits = text.where(text.str.fullmatch(r"\d{8}(?:\.0*)?").fillna(False).astype(bool))
        parsed = pd.to_datetime(digits.str.slice(0, 8), format="%Y%m%d", errors="coerce")
    else:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    return parsed.dt.normalize().astype("datetime64[ns]")


def parse_numbers(text: pd.Series, decimal: str, thousands: str | None) -> pd.Series:
    """Finite numbers written with the given separators as float64; anything else NaN."""
    return _per_distinct(
        text, lambda distinct: _parse_distinct_numbers(distinct, decimal, thousands)
    )


def _parse_distinct_numbers(text: pd.Series, decimal: str, thousands: str | None) -> pd.Series:
    text = text.str.strip()
    if thousands is not None:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.where(~text.str.contains(".", regex=False).fillna(False).astype(bool))
        text = text.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def parse_booleans(text: pd.Series, values: dict[str, bool] | None) -> pd.Series:
    """Booleans by the mapping's value map (exact text), else true/false, yes/no, y/n, 1/0."""
    text = text.str.strip()
    if values is None:
        lowered = text.str.lower()
        values = dict.fromkeys(_TRUE, True) | dict.fromkeys(_FALSE, False)
        text = lowered
    return text.map(values).astype("boolean")
