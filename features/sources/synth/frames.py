"""Turning one block's numpy draws into canonical pandas frames with global string ids.

Ids are global running numbers ("C000123", "INV000001234", "PAY000001234", "D0000123",
"CN000001234"), so a
row's id depends only on the world, never on how it was chunked. Column order and dtypes are
exactly those of `features.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.schema import TABLES
from features.sources.synth.config import (
    COUNTRIES,
    COUNTRY_CURRENCY,
    HABITS,
    INDUSTRIES,
    NAME_FIRST,
    NAME_SECOND,
    NAME_SUFFIX,
    SEGMENTS,
)
from features.sources.synth.credit_notes import KINDS, REASONS, CreditDraws
from features.sources.synth.customers import CustomerTraits
from features.sources.synth.deals import STAGES, DealDraws
from features.sources.synth.health import NO_DAY, PRE_WEEKS, HealthPaths
from features.sources.synth.invoices import InvoiceDraws
from features.sources.synth.payments import PaymentDraws
from features.sources.synth.signals import SIGNAL_CODES, SignalDraws


@dataclass(frozen=True)
class Block:
    """Everything drawn for one block of customers; rows of each table are in id order."""

    traits: CustomerTraits
    credit_limit: np.ndarray
    health: HealthPaths
    invoices: InvoiceDraws
    payments: PaymentDraws
    signals: SignalDraws
    deals: DealDraws
    credit_notes: CreditDraws


def string_ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """`prefix` + zero-padded `numbers`, as a pandas "str" column (vectorised in Arrow)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pd.Series(pd.array(pc.binary_join_element_wise(prefix, digits, ""), dtype="str"))


def labels(names: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    """Category names for integer `codes`, as a pandas "str" column."""
    return pd.Series(pd.array(np.asarray(names, dtype=object)[codes], dtype="str"))


def dates(start: np.datetime64, days: np.ndarray, null: np.ndarray | None = None) -> pd.Series:
    """Midnight dates `days` after `start`; null where `null` (default: where days < 0)."""
    values = start.astype("datetime64[ns]") + days.astype("timedelta64[D]")
    null = days < 0 if null is None else null
    return pd.Series(np.where(null, np.datetime64("NaT"), values).astype("datetime64[ns]"))


def customer_ids(numbers: np.ndarray) -> pd.Series:
    return string_ids("C", numbers, 6)


def invoice_ids(numbers: np.ndarray) -> pd.Series:
    return string_ids("INV", numbers, 9)


def _frame(table: str, columns: dict[str, pd.Series]) -> pd.DataFrame:
    """Assemble columns in contract order, cast to the contract's dtypes."""
    contract = TABLES[table]
    frame = pd.DataFrame({c.name: columns[c.name] for c in contract.columns})
    return frame.astype({c.name: c.dtype for c in contract.columns})


def customers_frame(block: Block, rows: slice, start: np.datetime64) -> pd.DataFrame:
    """The `customers` rows of the block's customers `rows`."""
    t = block.traits
    name_parts = t.name_parts[rows]
    first = np.asarray(NAME_FIRST, dtype=object)[name_parts[:, 0]]
    second = np.asarray(NAME_SECOND, dtype=object)[name_parts[:, 1]]
    suffix = np.asarray(NAME_SUFFIX, dtype=object)[t.country[rows]]
    return _frame(
        "customers",
        {
            "customer_id": customer_ids(t.number[rows]),
            "name": pd.Series(first + " " + second + " " + suffix, dtype="str"),
            "industry": labels(INDUSTRIES, t.industry[rows]),
            "country": labels(COUNTRIES, t.country[rows]),
            "segment": labels(SEGMENTS, t.segment[rows]),
            "credit_limit": pd.Series(block.credit_limit[rows]),
            "payment_terms_days": pd.Series(t.terms_days[rows]),
            "onboarding_date": dates(
                start, t.onboarding_day[rows], null=np.zeros(name_parts.shape[0], bool)
            ),
        },
    )


def invoices_frame(
    block: Block, rows: slice, first_number: int, start: np.datetime64
) -> pd.DataFrame:
    """The `invoices` rows `rows` of the block; the first one gets global number `first_number`."""
    inv = block.invoices
    count = len(range(*rows.indices(inv.customer.size)))
    return _frame(
        "invoices",
        {
            "invoice_id": invoice_ids(first_number + np.arange(count)),
            "customer_id": customer_ids(block.traits.number[inv.customer[rows]]),
            "issue_date": dates(start, inv.issue_day[rows]),
            "due_date": dates(start, inv.due_day[rows]),
            "amount": pd.Series(inv.amount[rows]),
            "currency": labels(COUNTRY_CURRENCY, block.traits.country[inv.customer[rows]]),
            "cleared_date": dates(start, block.payments.cleared_day[rows]),
            "disputed": pd.Series(inv.disputed[rows]),
            "paperless": pd.Series(inv.paperless[rows]),
        },
    )


def payments_frame(
    block: Block, rows: slice, first_number: int, first_invoice: int, start: np.datetime64
) -> pd.DataFrame:
    """Payment rows `rows`; block invoice 0 has global number `first_invoice`."""
    pay = block.payments
    count = len(range(*rows.indices(pay.invoice.size)))
    return _frame(
        "payments",
        {
            "payment_id": string_ids("PAY", first_number + np.arange(count), 9),
            "invoice_id": invoice_ids(first_invoice + pay.invoice[rows]),
            "payment_date": dates(start, pay.day[rows]),
            "amount": pd.Series(pay.amount[rows]),
        },
    )


def credit_notes_frame(
    block: Block, rows: slice, first_number: int, first_invoice: int, start: np.datetime64
) -> pd.DataFrame:
    """Credit note rows `rows`; block invoice 0 has global number `first_invoice`."""
    credit = block.credit_notes
    count = len(range(*rows.indices(credit.invoice.size)))
    return _frame(
        "credit_notes",
        {
            "credit_note_id": string_ids("CN", first_number + np.arange(count), 9),
            "invoice_id": invoice_ids(first_invoice + credit.invoice[rows]),
            "credit_date": dates(start, credit.day[rows]),
            "amount": pd.Series(credit.amount[rows]),
            "kind": labels(KINDS, credit.kind[rows]),
            "reason": labels(REASONS, credit.kind[rows]),
        },
    )


def signals_frame(block: Block, rows: slice, start: np.datetime64) -> pd.DataFrame:
    """Signal rows `rows` in long format."""
    sig = block.signals
    return _frame(
        "signals",
        {
            "customer_id": customer_ids(block.traits.number[sig.customer[rows]]),
            "observed_date": dates(start, sig.day[rows]),
            "name": labels(SIGNAL_CODES, sig.code[rows]),
            "value": pd.Series(sig.value[rows]),
        },
    )


def deals_frame(block: Block, rows: slice, first_number: int, start: np.datetime64) -> pd.DataFrame:
    """Deal rows `rows`; the first one gets global number `first_number`."""
    deal = block.deals
    count = len(range(*rows.indices(deal.customer.size)))
    return _frame(
        "deals",
        {
            "deal_id": string_ids("D", first_number + np.arange(count), 7),
            "customer_id": customer_ids(block.traits.number[deal.customer[rows]]),
            "created_date": dates(start, deal.created_day[rows]),
            "amount": pd.Series(deal.amount[rows]),
            "payment_terms_days": pd.Series(deal.terms_days[rows]),
            "stage": labels(STAGES, deal.stage[rows]),
        },
    )


def traits_frame(block: Block, rows: slice, start: np.datetime64) -> pd.DataFrame:
    """Latent per-customer facts (never written): habit, baseline health, crisis calendar."""
    t, h = block.traits, block.health

    def day_or_null(days: np.ndarray) -> pd.Series:
        never = days == NO_DAY
        return dates(start, np.where(never, 0, days), null=never)

    return pd.DataFrame(
        {
            "customer_id": customer_ids(t.number[rows]),
            "habit": labels(HABITS, t.habit[rows]),
            "baseline_health": t.baseline_health[rows],
            "crisis_start_date": day_or_null(h.crisis_start_day[rows]),
            "crisis_bottom_date": day_or_null(h.crisis_bottom_day[rows]),
            "default_date": day_or_null(h.default_day[rows]),
        }
    )


def health_frame(
    block: Block, rows: slice, start: np.datetime64, history_days: int
) -> pd.DataFrame:
    """Latent weekly health (never written) over history: customer_id, week_start, health."""
    weeks_in_history = -(-history_days // 7)
    path = block.health.path[rows, PRE_WEEKS : PRE_WEEKS + weeks_in_history]
    n, weeks = path.shape
    return pd.DataFrame(
        {
            "customer_id": customer_ids(np.repeat(block.traits.number[rows], weeks)),
            "week_start": dates(start, np.tile(np.arange(weeks) * 7, n)),
            "health": path.ravel(),
        }
    )
