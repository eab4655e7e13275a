"""Credit notes and write-offs: returns credited on a few invoices, bad debt written off.

Two things happen to receivables besides payment. A small share of invoices is partly
credited soon after issue (goods returned, a price corrected): the customer then pays the
amount less the credit, so the invoice's final instalment is reduced by it and the invoice
still clears on the same day. And a customer that defaulted never pays again: its seller
writes the rest of each open invoice off `WRITE_OFF_DAYS_AFTER_DUE` days after the due date
(not before the default), leaving the invoice's `cleared_date` null (a write-off is not a
payment). Nothing dated on or after the end of history is emitted.

Drawn from a stream of their own (`draw_block` spawns it from the block's seed), so the
invoices, payment dates, signals and deals of a world are those it had before credit notes
existed; only the final instalments of credited invoices are smaller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from features.sources.synth.health import HealthPaths
from features.sources.synth.invoices import InvoiceDraws
from features.sources.synth.payments import PaymentDraws

WRITE_OFF_DAYS_AFTER_DUE = 180
"""The generator's choice, not a rule of the contract: a defaulted customer's open invoices are
written off 180 days after their due date (or on the default day, if that is later), a common
point at which sellers give a receivable up as uncollectible."""
RETURN_CREDIT_SHARE = 0.01
"""Share of invoices (of at least `RETURN_CREDIT_MIN_AMOUNT`) partly credited for returns."""
RETURN_CREDIT_MIN_AMOUNT = 100.0
"""Smaller invoices are never credited: there is little to return on them."""
RETURN_CREDIT_SHARE_OF_AMOUNT = (0.05, 0.15)
"""A return credits this share of the invoice (uniform), in whole currency units."""
RETURN_CREDIT_DAYS_AFTER_ISSUE = (3, 21)
"""A return is credited this many days after issue (uniform, inclusive)."""
CREDIT_NOTE, WRITE_OFF = 0, 1
KINDS: tuple[str, ...] = ("credit_note", "write_off")
"""Kind codes of `CreditDraws.kind`, as `features.schema.CREDIT_NOTE_KINDS` names them."""
REASONS: tuple[str, ...] = ("goods returned", "uncollectible after default")
"""The `reason` text of each kind."""


@dataclass(frozen=True)
class CreditDraws:
    """Credit notes of one block, sorted by invoice then day."""

    invoice: np.ndarray  # row index into the block's invoices
    day: np.ndarray
    amount: np.ndarray
    kind: np.ndarray  # CREDIT_NOTE or WRITE_OFF


def _last_rows(payments: PaymentDraws, invoices: np.ndarray) -> np.ndarray:
    """Per invoice, the row of its last known payment (-1 if it has none)."""
    after = np.searchsorted(payments.invoice, invoices, side="right")
    before = np.searchsorted(payments.invoice, invoices, side="left")
    return np.where(after > before, after - 1, -1)


def draw_returns(
    invoices: InvoiceDraws, payments: PaymentDraws, history_days: int, rng: np.random.Generator
) -> tuple[CreditDraws, PaymentDraws]:
    """Return credits on a few invoices, and the payments with their final instalments reduced.

    A credit is capped one unit below what it may take (the final instalment of a cleared
    invoice, the unpaid rest of an open one), so every invoice still receives a payment
    and payments plus credits never exceed its amount.
    """
    size = invoices.amount.size
    large_enough = invoices.amount >= RETURN_CREDIT_MIN_AMOUNT
    chosen = (rng.random(size) < RETURN_CREDIT_SHARE) & large_enough
    share = rng.uniform(*RETURN_CREDIT_SHARE_OF_AMOUNT, size=size)
    lo, hi = RETURN_CREDIT_DAYS_AFTER_ISSUE
    day = invoices.issue_day + rng.integers(lo, hi + 1, size=size)
    which = np.flatnonzero(chosen & (day <= history_days - 1))
    paid = np.bincount(payments.invoice, weights=payments.amount, minlength=size)[which]
    last = _last_rows(payments, which)
    cleared = payments.cleared_day[which] >= 0
    room = np.where(cleared, payments.amount[np.maximum(last, 0)], invoices.amount[which] - paid)
    amount = np.minimum(np.floor(invoices.amount[which] * share[which]), np.floor(room) - 1.0)
    keep = amount >= 1.0
    which, amount, last, cleared = which[keep], amount[keep], last[keep], cleared[keep]
    reduced = payments.amount.copy()
    reduced[last[cleared]] -= amount[cleared]
    credits = CreditDraws(
        which, day[which], amount, np.full(which.size, CREDIT_NOTE, dtype=np.int64)
    )
    return credits, replace(payments, amount=reduced)


def draw_write_offs(
    health: HealthPaths,
    invoices: InvoiceDraws,
    payments: PaymentDraws,
    returns: CreditDraws,
    history_days: int,
) -> CreditDraws:
    """The rest of every open invoice of a defaulted customer, written off (module docstring)."""
    size = invoices.amount.size
    default_day = health.default_day[invoices.customer]
    day = np.maximum(invoices.due_day + WRITE_OFF_DAYS_AFTER_DUE, default_day)
    which = np.flatnonzero(
        (payments.cleared_day < 0) & (default_day < history_days) & (day <= history_days - 1)
    )
    paid = np.bincount(payments.invoice, weights=payments.amount, minlength=size)
    credited = np.bincount(returns.invoice, weights=returns.amount, minlength=size)
    rest = invoices.amount[which] - paid[which] - credited[which]
    keep = rest > 0
    which = which[keep]
    return CreditDraws(
        which, day[which], rest[keep], np.full(which.size, WRITE_OFF, dtype=np.int64)
    )


def draw_credit_notes(
    health: HealthPaths,
    invoices: InvoiceDraws,
    payments: PaymentDraws,
    history_days: int,
    rng: np.random.Generator,
) -> tuple[CreditDraws, PaymentDraws]:
    """Every credit note and write-off of a block, and its payments after the returns.

    Args:
        health: the block's health paths (default days).
        invoices: the block's invoices.
        payments: the block's payments, as `draw_payments` gave them.
        history_days: days of history; nothing is dated on or after it.
        rng: a stream of their own (see the module docstring).
    """
    returns, payments = draw_returns(invoices, payments, history_days, rng)
    write_offs = draw_write_offs(health, invoices, payments, returns, history_days)
    invoice = np.concatenate([returns.invoice, write_offs.invoice])
    day = np.concatenate([returns.day, write_offs.day])
    order = np.lexsort((day, invoice))
    credits = CreditDraws(
        invoice=invoice[order],
        day=day[order],
        amount=np.concatenate([returns.amount, write_offs.amount])[order],
        kind=np.concatenate([returns.kind, write_offs.kind])[order],
    )
    return credits, payments
