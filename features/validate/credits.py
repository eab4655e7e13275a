"""The credit notes' cross-table rules: dated on or after their invoice, within its amount.

A credit note (or write-off) settles part of an invoice without cash, so it obeys the same
bound as payments: the invoice's payments plus its credits never exceed its amount (within
`PAYMENT_TOLERANCE`, half a cent). `features.validate.table` runs these after the reference
check, on the credit notes no other rule rejects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.validate.rules import Finding, over_limit


def check_credit_dates(
    credits: pd.DataFrame, codes: np.ndarray, issue_dates: np.ndarray
) -> list[Finding]:
    """A credit note is dated on or after its invoice's issue date (nothing to credit before).

    Args:
        credits: typed credit notes.
        codes: per credit note, the position of its invoice in the invoices' keys (-1 if none).
        issue_dates: per distinct invoice key, its issue date (datetime64[ns]).
    """
    known = codes >= 0
    issued = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    issued[known] = issue_dates[codes[known]]
    dated = credits["credit_date"].to_numpy(dtype="datetime64[ns]")
    before = known & ~np.isnat(dated) & ~np.isnat(issued) & (dated < issued)
    if not before.any():
        return []
    issued_text = pd.Series(issued[before]).dt.strftime("%Y-%m-%d")
    rules = ("credit_date before the invoice's issue_date (" + issued_text + ")").to_numpy(object)
    return [Finding(np.flatnonzero(before), "credit_date", rules)]


def check_overcredit(
    credits: pd.DataFrame,
    rejected: np.ndarray,
    codes: np.ndarray,
    amounts: np.ndarray,
    paid: np.ndarray,
) -> list[Finding]:
    """Reject the credit notes that push an invoice's payments plus credits over its amount.

    The invoice's kept payments (all of them, whatever their date) count first: a payment is
    cash received, a credit note a document that can be reissued, so when the two disagree the
    credit is the row in doubt. Credits are then added in credit_date order exactly as
    `check_overpayment` adds payments (the first that goes over is rejected and no longer
    counts), within `PAYMENT_TOLERANCE`.

    Args:
        credits: typed credit notes.
        rejected: True for credit rows already rejected.
        codes: per credit note, the position of its invoice in the invoices' keys (-1 if none).
        amounts: per distinct invoice key, its amount.
        paid: per distinct invoice key, the sum of its kept payments.
    """
    limits = np.maximum(amounts - paid, 0.0)
    hit, total = over_limit(credits["credit_date"], credits["amount"], rejected, codes, limits)
    if not len(hit):
        return []
    code = codes[hit]
    rules = [
        f"credits reach {c:.2f} and payments {p:.2f}, over the invoice amount {a:.2f}"
        for c, p, a in zip(total.tolist(), paid[code].tolist(), amounts[code].tolist(), strict=True)
    ]
    return [Finding(hit, "amount", np.array(rules, dtype=object))]
