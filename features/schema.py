"""The canonical data contract: which tables, which columns, which types and rules.

Every importer produces these tables and every consumer (validation, features, training,
serving) reads them through this one definition. The human-readable version is the table in
README.md ("Data contract"); both say the same thing.

Canonical pandas dtypes:
- ``str``: pandas' string dtype (``"str"``), null as NaN;
- ``date``: ``datetime64[ns]`` normalised to midnight (no time of day, no time zone);
- ``float``: ``float64``; ``int``: nullable ``Int64``; ``bool``: nullable ``boolean``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "date", "float", "int", "bool"]

PANDAS_DTYPES: dict[ColumnType, str] = {
    "str": "str",
    "date": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Attributes:
        name: snake_case column name.
        type: canonical type, see the module docstring.
        required: the column must be present in the file.
        nullable: null values are allowed (an optional fact that is unknown).
        unique: values must not repeat within the table.
        description: what the column means, shown in docs and error messages.
        choices: the only values allowed (validation rejects any other); empty = any value.
    """

    name: str
    type: ColumnType
    required: bool = True
    nullable: bool = False
    unique: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()

    @property
    def dtype(self) -> str:
        return PANDAS_DTYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One table of the contract: its columns, primary key and whether it must exist."""

    name: str
    columns: tuple[Column, ...]
    required: bool
    key: str | None = None
    description: str = ""
    date_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}; columns: {self.column_names}")


CUSTOMERS = Table(
    name="customers",
    required=True,
    key="customer_id",
    description="One row per business customer that buys on credit.",
    columns=(
        Column("customer_id", "str", unique=True, description="Customer identifier."),
        Column("name", "str", required=False, nullable=True),
        Column("industry", "str", required=False, nullable=True),
        Column("country", "str", required=False, nullable=True),
        Column("segment", "str", required=False, nullable=True, description="Size tier."),
        Column("credit_limit", "float", required=False, nullable=True, description="Limit, >= 0."),
        Column("payment_terms_days", "int", required=False, nullable=True),
        Column(
            "onboarding_date",
            "date",
            required=False,
            nullable=True,
            description="First day of the relationship; tenure counts from it.",
        ),
    ),
)

INVOICES = Table(
    name="invoices",
    required=True,
    key="invoice_id",
    description="One row per invoice issued on credit (credit notes are not invoices).",
    columns=(
        Column("invoice_id", "str", unique=True),
        Column("customer_id", "str", description="Must exist in customers."),
        Column("issue_date", "date"),
        Column("due_date", "date", description="On or after issue_date."),
        Column("amount", "float", description="Invoice amount, > 0."),
        Column("currency", "str", required=False, nullable=True),
        Column(
            "cleared_date",
            "date",
            required=False,
            nullable=True,
            description="Date fully paid; null while open; on or after issue_date.",
        ),
        Column("disputed", "bool", required=False, nullable=True),
        Column("paperless", "bool", required=False, nullable=True),
    ),
)

PAYMENTS = Table(
    name="payments",
    required=False,
    key="payment_id",
    description="Partial or full payments against invoices.",
    columns=(
        Column("payment_id", "str", unique=True),
        Column("invoice_id", "str", description="Must exist in invoices."),
        Column("payment_date", "date"),
        Column("amount", "float", description="> 0; all payments of an invoice <= its amount."),
    ),
)

SIGNALS = Table(
    name="signals",
    required=False,
    description="Health signals in long format, each known from its observed_date.",
    columns=(
        Column("customer_id", "str", description="Must exist in customers."),
        Column("observed_date", "date"),
        Column("name", "str", description="credit_rating, bank_credit_line, lawsuits_open, ..."),
        Column("value", "float"),
    ),
)

DEALS = Table(
    name="deals",
    required=False,
    key="deal_id",
    description="CRM opportunities, each known from its created_date.",
    columns=(
        Column("deal_id", "str", unique=True),
        Column("customer_id", "str", description="Must exist in customers."),
        Column("created_date", "date"),
        Column("amount", "float", description="> 0."),
        Column("payment_terms_days", "int", required=False, nullable=True),
        Column("stage", "str", required=False, nullable=True, description="open, won or lost."),
    ),
)

CREDIT_NOTE_KINDS: tuple[str, ...] = ("credit_note", "write_off")
"""A credit note reduces what the customer owes (returns, price corrections); a write-off
gives the rest up as bad debt. Both leave the open amount on their date; neither is a payment."""

CREDIT_NOTES = Table(
    name="credit_notes",
    required=False,
    key="credit_note_id",
    description=(
        "Credit notes and write-offs against invoices, each leaving the open amount on its "
        "credit_date; never payments (the invoice's cleared_date stays null after a write-off)."
    ),
    columns=(
        Column("credit_note_id", "str", unique=True),
        Column("invoice_id", "str", description="Must exist in invoices."),
        Column("credit_date", "date", description="On or after the invoice's issue_date."),
        Column(
            "amount",
            "float",
            description="> 0; credits plus payments of an invoice <= its amount.",
        ),
        Column("kind", "str", choices=CREDIT_NOTE_KINDS, description="credit_note or write_off."),
        Column("reason", "str", required=False, nullable=True, description="Free text."),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, INVOICES, PAYMENTS, SIGNALS, DEALS, CREDIT_NOTES)
}
"""Every table of the contract by name, in dependency order (parents before children)."""

SIGNAL_NAMES: tuple[str, ...] = ("credit_rating", "bank_credit_line", "lawsuits_open", "tax_grade")
"""Health signals arsight knows by name; other names are kept and featurised the same way."""
