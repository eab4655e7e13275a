"""Importing an ERP export (CSV) through a YAML mapping (`features.sources.mapping`).

Each source row becomes one canonical row or one reject: a cell that cannot be read by the
rule its mapping gives (a date not in the stated format, an amount that is not a number) puts
the whole row in the rejects with a reason naming the source row (1-based, the first row after
the header is row 1), the column, the value and the rule. Customers come from a separate export
when the mapping names one, else from the distinct customer ids of the accepted invoice rows,
with any per-customer columns mapped from those rows; a customer whose rows disagree (two
names for one id) is rejected with every conflicting value, never resolved by guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import MappingError, SourceError
from features.schema import PANDAS_DTYPES, TABLES, ColumnType, Table
from features.sources.derived_customers import REASON, SOURCE_ROW, derive_customers
from features.sources.importing import ImportResult, MappedTables, finish_import
from features.sources.mapping import (
    ColumnRule,
    ImportMapping,
    SourceOptions,
    load_mapping,
)
from features.sources.source_values import parse_booleans, parse_dates, parse_numbers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MappedRows:
    """Source rows turned into canonical columns.

    Attributes:
        values: canonical columns in canonical dtypes, indexed like the source (row numbers).
        reasons: per source row, why it could not be mapped; empty text where it could.
    """

    values: pd.DataFrame
    reasons: pd.Series

    @property
    def ok(self) -> pd.Series:
        """True for rows that mapped cleanly."""
        return self.reasons == ""


def read_export(path: Path, options: SourceOptions) -> pd.DataFrame:
    """Read a CSV export as text, indexed by 1-based source row; empty cells are null."""
    try:
        frame = pd.read_csv(
            path,
            sep=options.delimiter,
            encoding=options.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(
            f"{path}: cannot decode as {options.encoding!r} ({exc.__class__.__name__}); "
            "set source.encoding in the mapping (for example cp1252)"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"{path}: not a readable CSV ({str(exc).strip()})") from None
    frame.index = pd.RangeIndex(1, len(frame) + 1, name=SOURCE_ROW)
    return frame


def _reason(text: pd.Series, bad: pd.Series, column: str, rule: str) -> pd.Series:
    """Reasons for the rows flagged in `bad`, naming row, source column, value and rule."""
    rows = text[bad]
    return pd.Series(
        [f"source row {i}: column {column!r} value {v!r} {rule}" for i, v in rows.items()],
        index=rows.index,
        dtype="str",
    )


def _convert(
    text: pd.Series, rule: ColumnRule, kind: ColumnType, options: SourceOptions
) -> tuple[pd.Series, str]:
    """One source column in the canonical dtype, and the rule text for unreadable values."""
    if kind == "date":
        fmt = rule.format or options.date_format
        return parse_dates(text, fmt), f"does not match date format {fmt!r}"
    if kind in ("float", "int"):
        decimal = rule.decimal or options.decimal
        thousands = rule.thousands if rule.thousands is not None else options.thousands
        numbers = parse_numbers(text, decimal, thousands)
        rule_text = f"is not a number (decimal {decimal!r}, thousands {thousands!r})"
        if kind == "float":
            return numbers, rule_text
        whole = numbers.where(numbers == np.floor(numbers))
        return whole.astype("Int64"), rule_text.replace("a number", "a whole number")
    if kind == "bool":
        expected = sorted(rule.values) if rule.values else "true/false, yes/no, y/n, 1/0"
        return parse_booleans(text, rule.values), f"is not one of the boolean values {expected}"
    stripped = text.str.strip()
    if rule.values:
        recode = {k: v for k, v in rule.values.items() if isinstance(v, str)}
        stripped = stripped.replace(recode)
    return stripped.mask(stripped == "").astype("str"), ""


def _constant(rule: ColumnRule, kind: ColumnType, index: pd.Index) -> pd.Series:
    """The rule's constant in every row, in the column's canonical dtype."""
    value: object = rule.constant
    if kind == "date" and value is not None:
        value = pd.Timestamp(str(value))
    return pd.Series([value] * len(index), index=index, dtype=PANDAS_DTYPES[kind])


def _check_source_columns(frame: pd.DataFrame, rules: dict[str, ColumnRule], where: str) -> None:
    """Every source column a rule names must be in the export's header."""
    for name, rule in rules.items():
        derivation = rule.derivation
        needed = rule.column or (derivation.column if derivation else None)
        if needed is not None and needed not in frame.columns:
            hint = " (one column only: is source.delimiter right?)" if frame.shape[1] == 1 else ""
            raise MappingError(
                f"{where}.columns.{name}: source column {needed!r} not in the export; "
                f"columns: {list(frame.columns)}{hint}"
            )


def map_rows(
    frame: pd.DataFrame,
    rules: dict[str, ColumnRule],
    table: Table,
    options: SourceOptions,
    where: str,
) -> MappedRows:
    """Apply `rules` to every row of a text export; collect per-row reasons for failures."""
    _check_source_columns(frame, rules, where)
    values: dict[str, pd.Series] = {}
    problems: list[pd.Series] = []
    derived = {name: rule for name, rule in rules.items() if rule.derive is not None}
    for name, rule in rules.items():
        kind = table.column(name).type
        if name in derived:
            continue
        if rule.column is None:
            values[name] = _constant(rule, kind, frame.index)
            continue
        text = frame[rule.column]
        converted, rule_text = _convert(text, rule, kind, options)
        bad = text.notna() & converted.isna()
        problems.append(_reason(text, bad, rule.column, f"{rule_text} (for {name})"))
        values[name] = converted
    for name, rule in derived.items():
        values[name], reasons = _derive(frame, values, name, rule, options)
        problems.append(reasons)
    reasons = pd.Series("", index=frame.index, dtype="str")
    if problems:
        joined = pd.concat(problems).groupby(level=0).agg("; ".join)
        reasons.loc[joined.index] = joined
    mapped = pd.DataFrame(values, index=frame.index)
    return MappedRows(mapped[[c for c in table.column_names if c in mapped.columns]], reasons)


def _derive(
    frame: pd.DataFrame,
    values: dict[str, pd.Series],
    name: str,
    rule: ColumnRule,
    options: SourceOptions,
) -> tuple[pd.Series, pd.Series]:
    """A derived date column and the reasons of rows whose day counts are not whole numbers."""
    derivation = rule.derivation
    assert derivation is not None  # only derived rules reach here
    base = values[derivation.base]
    if derivation.column is None:
        days = pd.Series(float(derivation.days or 0), index=frame.index)
        return base + pd.to_timedelta(derivation.sign * days, unit="D"), pd.Series(dtype="str")
    text = frame[derivation.column]
    numbers = parse_numbers(text, rule.decimal or options.decimal, None)
    whole = numbers.where(numbers == np.floor(numbers))
    bad = text.notna() & whole.isna()
    why = f"is not a whole number of days (for {name} = {rule.derive})"
    out = base + pd.to_timedelta(derivation.sign * whole, unit="D")
    return out.astype("datetime64[ns]"), _reason(text, bad, derivation.column, why)


def source_rejects(frame: pd.DataFrame, reasons: pd.Series) -> pd.DataFrame:
    """The rows with a reason, as read (text), with their source row number and the reason."""
    bad = reasons != ""
    rejected = frame[bad.to_numpy()].reset_index()
    rejected[REASON] = reasons[bad].to_numpy()
    return rejected


def _read_customer_file(
    export: Path, mapping: ImportMapping
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Customers from the separate export the mapping names: (customers, rejects, rows read)."""
    assert mapping.customers is not None and mapping.customers.file is not None
    path = export.parent / mapping.customers.file
    frame = read_export(path, mapping.options_for("customers"))
    mapped = map_rows(
        frame,
        mapping.customers.columns,
        TABLES["customers"],
        mapping.options_for("customers"),
        "customers",
    )
    customers = mapped.values[mapped.ok.to_numpy()]
    return customers, source_rejects(frame, mapped.reasons), frame


RowCheck = Callable[[pd.DataFrame, pd.DataFrame], pd.Series]
"""A source-specific check: (source text rows, mapped rows) -> reason per row, '' if fine."""


def join_reasons(first: pd.Series, second: pd.Series) -> pd.Series:
    """Per row, both reasons joined by '; ' (either may be empty)."""
    both = first + "; " + second
    return both.where((first != "") & (second != ""), first + second)


def map_export(export: Path, mapping: ImportMapping) -> MappedTables:
    """Map an export (and its customer file, if the mapping names one) into canonical tables."""
    frame = read_export(export, mapping.options_for("invoices"))
    return map_frame(frame, mapping, export, source=f"csv {export.name}")


def map_frame(
    frame: pd.DataFrame,
    mapping: ImportMapping,
    export: Path,
    source: str,
    check: RowCheck | None = None,
) -> MappedTables:
    """Map the rows of a read export; `check` may reject more rows (a source's own rules)."""
    options = mapping.options_for("invoices")
    invoices_table, customers_table = TABLES["invoices"], TABLES["customers"]
    mapped = map_rows(frame, mapping.invoices.columns, invoices_table, options, "invoices")
    values, reasons = mapped.values, mapped.reasons
    from_rows = mapping.customers is not None and mapping.customers.file is None
    if from_rows:
        assert mapping.customers is not None
        extra = map_rows(frame, mapping.customers.columns, customers_table, options, "customers")
        values = pd.concat([values, extra.values], axis=1)
        reasons = join_reasons(reasons, extra.reasons)
    if check is not None:
        reasons = join_reasons(reasons, check(frame, values))
    ok = (reasons == "").to_numpy()
    invoice_columns = [c for c in invoices_table.column_names if c in values.columns]
    rejects = {"invoices": source_rejects(frame, reasons)}
    sources = {"invoices": frame}
    if mapping.customers is not None and mapping.customers.file is not None:
        customers, rejects["customers"], sources["customers"] = _read_customer_file(export, mapping)
        customers_in = len(sources["customers"])
    else:
        per_customer = list(mapping.customers.columns) if mapping.customers is not None else []
        customer_columns = ["customer_id", *per_customer]
        customers, rejects["customers"] = derive_customers(values.loc[ok, customer_columns])
        customers_in = len(customers) + len(rejects["customers"])
    logger.info("mapped %s: %d of %d rows", export, int(ok.sum()), len(frame))
    return MappedTables(
        source=source,
        tables={"customers": customers, "invoices": values.loc[ok, invoice_columns]},
        rejects=rejects,
        rows_in={"customers": customers_in, "invoices": len(frame)},
        source_rows=sources,
    )


def import_mapped_csv(export: Path, mapping_file: Path, out_dir: Path) -> ImportResult:
    """Import an ERP export through a YAML mapping into canonical Parquet in `out_dir`."""
    return finish_import(map_export(export, load_mapping(mapping_file)), out_dir)
