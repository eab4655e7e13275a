"""The row rules of the data contract, each a vectorised check over one typed table.

Each check returns `Finding`s: which rows (0-based positions in the source table) break
which rule in which column. `features.validate.table` runs them in order and turns the
findings into problems, rejects and the kept rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.schema import Table
from features.validate.values import arrow_text

MISSING_VALUE = "missing value"
PAYMENT_TOLERANCE = 0.005
"""Payments may exceed their invoice by half a cent before that counts as overpayment (rounding)."""
SLASH_IN_CUSTOMER_ID = "must not contain '/'"
MIN_AMOUNT = 0.001
"""The smallest positive amount: a tenth of a cent. Amounts near 5e-324 make ratios (DSO,
exposure over limit) overflow; a payment of a fraction of a cent (a rounding remainder) is
still a payment, so the bound sits below half a cent."""
AMOUNT_COLUMNS: dict[str, str] = {
    "customers": "credit_limit",
    "invoices": "amount",
    "payments": "amount",
    "deals": "amount",
    "credit_notes": "amount",
}
"""The money column of each table that has one, bounded by MIN_AMOUNT and the maximum."""


@dataclass(frozen=True)
class Finding:
    """Rows of one table that break one rule in one column.

    Attributes:
        positions: 0-based row positions in the table as read.
        column: the column the rule is about.
        rules: the rule text, one for all rows or one per row.
    """

    positions: np.ndarray
    column: str
    rules: str | np.ndarray


@dataclass(frozen=True)
class KeyIndex:
    """The distinct keys of a table, hashed once (Arrow), with where each first occurs.

    Attributes:
        keys: the distinct non-null keys.
        codes: per row, the position of its key in `keys` (-1 for a null key).
        first: per distinct key, the 0-based row of its first occurrence.
    """

    keys: pa.Array
    codes: np.ndarray
    first: np.ndarray

    @classmethod
    def build(cls, keys: pd.Series) -> KeyIndex:
        """Hash `keys` once; one pass gives duplicates, first rows and a lookup table."""
        encoded = pc.dictionary_encode(arrow_text(keys))
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        codes = codes.astype(np.int64)
        first = np.full(len(encoded.dictionary), len(codes), dtype=np.int64)
        valid = np.flatnonzero(codes >= 0)
        np.minimum.at(first, codes[valid], valid)  # unbuffered: each key's smallest row
        return cls(encoded.dictionary, codes, first)

    def lookup(self, values: pd.Series) -> np.ndarray:
        """Per value, its position in `keys`, or -1 if it is null or not a key."""
        found = pc.index_in(arrow_text(values), value_set=self.keys)
        return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass(frozen=True)
class ParentKeys:
    """What a child table needs to know about its parent's keys.

    Attributes:
        table: the parent table's name, used in messages.
        index: the parent's keys.
        kept: per distinct key, whether the parent kept the row holding it.
    """

    table: str
    index: KeyIndex
    kept: np.ndarray


def _finding(mask: np.ndarray | pd.Series, column: str, rule: str) -> Finding:
    """A finding of one rule for the rows where `mask` holds (nulls in a mask do not count)."""
    return Finding(np.flatnonzero(np.asarray(mask, dtype=bool)), column, rule)


def check_nulls(table: Table, typed: pd.DataFrame, invalid: dict[str, np.ndarray]) -> list[Finding]:
    """Non-nullable columns hold a value in every row (unreadable values are reported apart)."""
    found = []
    for column in table.columns:
        if column.nullable or column.name not in invalid:
            continue
        missing = typed[column.name].isna().to_numpy() & ~invalid[column.name]
        if missing.any():
            found.append(_finding(missing, column.name, MISSING_VALUE))
    return found


def check_values(table: Table, typed: pd.DataFrame, max_amount: float) -> list[Finding]:
    """Customer ids the API can address, amounts within bounds, due and cleared dates on or
    after the issue date."""
    found = check_customer_id(typed)
    found += check_amount(table.name, typed, max_amount)
    found += check_choices(table, typed)
    if table.name == "invoices":
        issued = typed["issue_date"]
        for column in ("due_date", "cleared_date"):
            before = (typed[column] < issued).fillna(False).to_numpy(dtype=bool)
            issued_text = issued[before].dt.strftime("%Y-%m-%d")
            rules = f"{column} before issue_date (" + issued_text + ")"
            found.append(Finding(np.flatnonzero(before), column, rules.to_numpy(dtype=object)))
    return [f for f in found if len(f.positions)]


def check_choices(table: Table, typed: pd.DataFrame) -> list[Finding]:
    """Columns with a closed set of values (credit note `kind`) hold one of them (or null,
    which the null check reports where the column is not nullable)."""
    found = []
    for column in table.columns:
        if not column.choices:
            continue
        values = typed[column.name]
        other = values.notna() & ~values.isin(column.choices)
        rule = "must be one of " + ", ".join(column.choices)
        found.append(_finding(other.to_numpy(dtype=bool), column.name, rule))
    return found


def check_customer_id(typed: pd.DataFrame) -> list[Finding]:
    """No customer id contains "/": GET /v1/customers/{id} could never address that customer.

    Every table with a customer_id column is checked, so a child row names the bad id itself
    and not only its rejected parent.
    """
    if "customer_id" not in typed.columns:
        return []
    slash = typed["customer_id"].str.contains("/", regex=False).fillna(False)
    return [_finding(slash, "customer_id", SLASH_IN_CUSTOMER_ID)]


def check_amount(name: str, typed: pd.DataFrame, max_amount: float) -> list[Finding]:
    """Amounts > 0 and credit limits >= 0, none in (0, MIN_AMOUNT), none above `max_amount`.

    Non-finite values never get here: coercion reports them as "not a number". The maximum
    keeps sums of amounts far from float overflow (two invoices of 1e308 made features
    infinite); it is `FeaturesSettings.max_amount` (`ARSIGHT_MAX_AMOUNT`).
    """
    column = AMOUNT_COLUMNS.get(name)
    if column is None:
        return []
    values = typed[column]
    if name == "customers":
        found = [_finding((values < 0).fillna(False), column, "must be >= 0")]
        tiny = f"must be 0 or >= {MIN_AMOUNT:g}"
    else:
        found = [_finding((values <= 0).fillna(False), column, "must be > 0")]
        tiny = f"must be >= {MIN_AMOUNT:g}"
    found.append(_finding(((values > 0) & (values < MIN_AMOUNT)).fillna(False), column, tiny))
    too_big = f"must be <= {max_amount:g} (ARSIGHT_MAX_AMOUNT)"
    found.append(_finding((values > max_amount).fillna(False), column, too_big))
    return found


def check_duplicates(column: str, index: KeyIndex) -> list[Finding]:
    """Every repeat of a key after its first occurrence is rejected, naming the first row."""
    has_key = np.flatnonzero(index.codes >= 0)
    repeat = np.zeros(len(index.codes), dtype=bool)
    repeat[has_key] = index.first[index.codes[has_key]] != has_key
    if not repeat.any():
        return []
    first_rows = index.first[index.codes[repeat]] + 1
    rules = np.array([f"duplicate of row {r}" for r in first_rows.tolist()], dtype=object)
    return [Finding(np.flatnonzero(repeat), column, rules)]


def check_reference(keys: pd.Series, codes: np.ndarray, parent: ParentKeys) -> list[Finding]:
    """Each value of `keys` names a parent key that exists and whose row was kept.

    Args:
        keys: the child's reference column (its name is used in findings).
        codes: per row, the position of the value in the parent's keys (-1 if absent).
        parent: the parent's keys and which of them were kept.
    """
    column = str(keys.name)
    present = keys.notna().to_numpy()
    known = codes >= 0
    kept = np.zeros(len(codes), dtype=bool)
    kept[known] = parent.kept[codes[known]]
    found = []
    unknown = present & ~known
    if unknown.any():
        found.append(_finding(unknown, column, f"not found in {parent.table}"))
    rejected = present & known & ~kept
    if rejected.any():
        rows = parent.index.first[codes[rejected]] + 1
        rules = [f"parent rejected ({parent.table} row {r})" for r in rows.tolist()]
        found.append(Finding(np.flatnonzero(rejected), column, np.array(rules, dtype=object)))
    return found


def check_overpayment(
    payments: pd.DataFrame, rejected: np.ndarray, codes: np.ndarray, amounts: np.ndarray
) -> list[Finding]:
    """Reject the payments that push an invoice's running total over its amount.

    Payments are added per invoice in payment_date order (source order breaks ties). The
    first payment that takes the total over is rejected and no longer counts; the rest are
    added up again, so a duplicated payment is rejected while the genuine ones after it stay.
    Rows rejected for another reason never count.

    Args:
        payments: typed payments.
        rejected: True for payment rows already rejected.
        codes: per payment, the position of its invoice in the invoices' keys (-1 if none).
        amounts: per distinct invoice key, its amount.
    """
    hit, total = over_limit(payments["payment_date"], payments["amount"], rejected, codes, amounts)
    if not len(hit):
        return []
    rules = [
        f"payments reach {t:.2f}, over the invoice amount {a:.2f}"
        for t, a in zip(total.tolist(), amounts[codes[hit]].tolist(), strict=True)
    ]
    return [Finding(hit, "amount", np.array(rules, dtype=object))]


def over_limit(
    dates: pd.Series, values: pd.Series, rejected: np.ndarray, codes: np.ndarray, limits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose running total per parent key first goes over the key's limit.

    Rows are added per key in date order (source order breaks ties). The first row that takes
    the total over `limits` + `PAYMENT_TOLERANCE` no longer counts; the rest are added up
    again, so a duplicate is caught while the genuine rows after it stay. Rows already
    rejected, or without a parent (code -1), never count.

    Returns:
        The caught rows' positions in source order, and the running total each one reached.
    """
    live = np.flatnonzero(~rejected & (codes >= 0))  # no parent: the reference check rejects
    day = dates.iloc[live].to_numpy(dtype="datetime64[ns]").view("int64")
    order = np.lexsort((live, day, codes[live]))  # by key, then date, then source row
    positions = live[order]
    code = codes[positions]
    amount = values.to_numpy(dtype="float64")[positions]
    limit = limits[code]
    counted = np.ones(len(positions), dtype=bool)
    hits: list[np.ndarray] = []
    totals: list[np.ndarray] = []
    todo = np.arange(len(positions))
    while len(todo):
        running = pd.Series(np.where(counted[todo], amount[todo], 0.0)).groupby(code[todo]).cumsum()
        over = counted[todo] & (running.to_numpy() > limit[todo] + PAYMENT_TOLERANCE)
        if not over.any():
            break
        _, first = np.unique(code[todo][over], return_index=True)  # first over per key
        hit = todo[over][first]
        counted[hit] = False
        hits.append(hit)
        totals.append(running.to_numpy()[over][first])
        todo = todo[np.isin(code[todo], code[hit])]  # only keys that were over look again
    if not hits:
        return np.array([], dtype=np.int64), np.array([], dtype="float64")
    hit, total = np.concatenate(hits), np.concatenate(totals)
    by_row = np.argsort(positions[hit], kind="stable")
    return positions[hit][by_row], total[by_row]
