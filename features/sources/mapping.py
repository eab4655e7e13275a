"""The YAML mapping that turns an ERP export (CSV) into canonical tables.

A mapping says, per canonical table, where each canonical column comes from: a source column
(with its date format, decimal and thousands separators or boolean values), a constant, or a
small derivation such as ``issue_date + terms``. It is parsed with pydantic and checked against
the data contract (`features.schema`) before any row is read, so a typo fails fast with the
mapping key that is wrong. Whether the named source columns exist is checked against the
export's header when it is read (`features.sources.mapped_csv`). docs/importers.md is the user's
guide to this format.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.errors import MappingError
from features.schema import TABLES, Table
from features.sources.derivation import Derivation, parse_derivation

YYYYMMDD_NUMBER = "yyyymmdd_number"
"""Special date format: numbers such as ``20190307`` or ``20190307.0`` (spreadsheet exports)."""

_PROBE_DATE = date(2019, 3, 7)
Constant = str | bool | int | float | date | None


def check_date_format(fmt: str) -> str:
    """Return `fmt` if it is ``yyyymmdd_number`` or a strftime format that names a full date.

    A format round-trips a probe date; one without year, month and day would silently give
    1900-01-01 dates, so it is refused.
    """
    if fmt == YYYYMMDD_NUMBER:
        return fmt
    try:
        parsed = datetime.strptime(_PROBE_DATE.strftime(fmt), fmt).date()
    except ValueError as exc:
        raise ValueError(f"bad date format {fmt!r} ({exc})") from None
    if parsed != _PROBE_DATE:
        raise ValueError(
            f"bad date format {fmt!r}: it must name year, month and day, such as '%d-%b-%y', "
            f"'%m/%d/%Y' or '{YYYYMMDD_NUMBER}'"
        )
    return fmt


class SourceOptions(BaseModel):
    """How to read the export, and file-wide defaults for every column.

    Attributes:
        delimiter: field separator of the CSV (``;`` in many European exports).
        encoding: text encoding, e.g. ``utf-8``, ``cp1252``, ``latin-1``.
        decimal: decimal mark of numbers (``,`` for ``1.234,56``).
        thousands: thousands separator of numbers, or null when numbers have none.
        date_format: strftime format of dates, or ``yyyymmdd_number``.
    """

    model_config = ConfigDict(extra="forbid")

    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    decimal: str = Field(default=".", min_length=1, max_length=1)
    thousands: str | None = Field(default=None, min_length=1, max_length=1)
    date_format: str = "%Y-%m-%d"

    @model_validator(mode="after")
    def _check(self) -> SourceOptions:
        check_date_format(self.date_format)
        if self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal are both {self.decimal!r}")
        return self


class ColumnRule(BaseModel):
    """Where one canonical column comes from: exactly one of column, constant, derive.

    A bare string in YAML (``invoice_id: Belegnummer``) means ``{column: Belegnummer}``.
    """

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    constant: Constant = None
    derive: str | None = None
    format: str | None = None
    decimal: str | None = Field(default=None, min_length=1, max_length=1)
    thousands: str | None = Field(default=None, min_length=1, max_length=1)
    values: dict[Any, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRule:
        given = [k for k in ("column", "constant", "derive") if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of 'column', 'constant' or 'derive'; got {given or 'none'}"
            )
        if self.format is not None:
            check_date_format(self.format)
        if self.derive is not None:
            parse_derivation(self.derive)
        for key in self.values or {}:
            if not isinstance(key, str):
                raise ValueError(
                    f"values key {key!r} is not text; quote it in YAML (for example 'Yes': true)"
                )
        return self

    @property
    def derivation(self) -> Derivation | None:
        """The parsed ``derive`` expression, if this column is derived."""
        return parse_derivation(self.derive) if self.derive is not None else None


class TableMapping(BaseModel):
    """The mapping of one canonical table.

    Attributes:
        file: for customers only: a separate export (path relative to the invoice export's
            folder); without it, customer columns are read from the invoice rows.
        source: reading options overriding the file-wide ones for this table's file.
        columns: canonical column -> rule.
    """

    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    source: SourceOptions | None = None
    columns: dict[str, ColumnRule]


class ImportMapping(BaseModel):
    """A whole mapping file: file-wide reading options, invoices and optional customers."""

    model_config = ConfigDict(extra="forbid")

    source: SourceOptions = Field(default_factory=SourceOptions)
    invoices: TableMapping
    customers: TableMapping | None = None

    def options_for(self, table: Literal["invoices", "customers"]) -> SourceOptions:
        """Reading options of a table: its own `source` if given, else the file-wide ones."""
        mapping = self.invoices if table == "invoices" else self.customers
        if mapping is not None and mapping.source is not None:
            return mapping.source
        return self.source


def _check_table(where: str, mapping: TableMapping, table: Table, required: list[str]) -> None:
    """Check one table's rules against the contract; raise MappingError naming the key."""
    for name, rule in mapping.columns.items():
        key = f"{where}.columns.{name}"
        if name not in table.column_names:
            raise MappingError(
                f"{key}: unknown canonical column {name!r}; expected one of {table.column_names}"
            )
        kind = table.column(name).type
        if rule.format is not None and kind != "date":
            raise MappingError(f"{key}: 'format' applies to date columns; {name} is {kind}")
        if (rule.decimal or rule.thousands) and kind not in ("float", "int"):
            raise MappingError(f"{key}: 'decimal'/'thousands' apply to numbers; {name} is {kind}")
        if rule.values is not None and kind not in ("bool", "str"):
            raise MappingError(f"{key}: 'values' applies to bool or str columns; {name} is {kind}")
        _check_values(key, rule, kind)
        _check_derive(key, name, rule, mapping, table)
    missing = [c for c in required if c not in mapping.columns]
    if missing:
        raise MappingError(f"{where}.columns: missing required canonical columns {missing}")


def _check_values(key: str, rule: ColumnRule, kind: str) -> None:
    """Constants and value maps must have the column's type (YAML turns NO into false)."""
    expected: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "bool": (bool,),
        "date": (str, date),
        "float": (int, float),
        "int": (int,),
    }
    allowed = expected[kind]
    candidates = [("constant", rule.constant)] if "constant" in rule.model_fields_set else []
    candidates += [(f"values.{k}", v) for k, v in (rule.values or {}).items()]
    for label, value in candidates:
        bad_bool = isinstance(value, bool) and kind != "bool"
        if value is not None and (bad_bool or not isinstance(value, allowed)):
            raise MappingError(
                f"{key}.{label}: {value!r} is not a {kind} value"
                + ("; quote it in YAML" if kind == "str" else "")
            )
    if kind == "date" and isinstance(rule.constant, str):
        try:
            date.fromisoformat(rule.constant)
        except ValueError:
            raise MappingError(
                f"{key}.constant: {rule.constant!r} is not a YYYY-MM-DD date"
            ) from None


def _check_derive(
    key: str, name: str, rule: ColumnRule, mapping: TableMapping, table: Table
) -> None:
    """A derived column is a date computed from a date column read from the export."""
    derivation = rule.derivation
    if derivation is None:
        return
    if table.column(name).type != "date":
        raise MappingError(f"{key}: 'derive' makes date columns only")
    base = mapping.columns.get(derivation.base)
    if base is None or table.column(derivation.base).type != "date":
        raise MappingError(
            f"{key}: derive {rule.derive!r} must start from a date column mapped in this table; "
            f"{derivation.base!r} is not one"
        )
    if base.derive is not None:
        raise MappingError(
            f"{key}: derive {rule.derive!r} starts from {derivation.base!r}, which is itself "
            "derived; start from a column read from the export"
        )


def check_mapping(mapping: ImportMapping) -> ImportMapping:
    """Check a parsed mapping against the data contract; return it unchanged if sound."""
    invoices = TABLES["invoices"]
    _check_table("invoices", mapping.invoices, invoices, invoices.required_columns)
    if mapping.invoices.file is not None:
        raise MappingError(
            "invoices.file: the invoice export is the PATH given on the command line"
        )
    if mapping.customers is not None:
        has_file = mapping.customers.file is not None
        if not has_file and "customer_id" in mapping.customers.columns:
            raise MappingError(
                "customers.columns.customer_id: without customers.file, customer ids come from "
                "invoices.columns.customer_id; remove it or add customers.file"
            )
        required = ["customer_id"] if has_file else []
        _check_table("customers", mapping.customers, TABLES["customers"], required)
    return mapping


def _format_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {message}{more}"


def parse_mapping(document: object, origin: str = "mapping") -> ImportMapping:
    """Build and check a mapping from parsed YAML; raise MappingError naming the bad key."""
    if not isinstance(document, dict):
        raise MappingError(f"{origin}: expected a YAML mapping with an 'invoices' key")
    try:
        mapping = ImportMapping.model_validate(document)
    except ValidationError as exc:
        raise MappingError(f"{origin}: {_format_validation_error(exc)}") from None
    try:
        return check_mapping(mapping)
    except MappingError as exc:
        raise MappingError(f"{origin}: {exc}") from None


def load_mapping(path: Path) -> ImportMapping:
    """Read and check a YAML mapping file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read mapping ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc})") from None
    return parse_mapping(document, origin=str(path))
