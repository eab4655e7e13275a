"""The customer table of an export that has none: one customer per distinct id in its rows.

An invoice register often repeats the customer's columns (name, segment, terms) on every row;
the customers are derived from them, and a customer whose rows disagree on a column is
rejected with every value and the rows it came from, never silently picked.
"""

from __future__ import annotations

import pandas as pd

SOURCE_ROW = "source_row"
REASON = "reason"


def derive_customers(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One customer per distinct customer id, with the per-customer columns of its rows.

    Args:
        rows: accepted invoice rows: `customer_id` plus any customer columns, indexed by
            source row.

    Returns:
        The customers (in order of first appearance) and the rejected customers: those whose
        rows give two or more different values for one column, with every value in the reason.
    """
    rows = rows[rows["customer_id"].notna().to_numpy()]
    columns = [c for c in rows.columns if c != "customer_id"]
    grouped = rows.groupby("customer_id", sort=False)
    customers = grouped.first().reset_index() if columns else grouped.size().reset_index()
    customers = customers[["customer_id", *columns]]
    if not columns:
        return customers, pd.DataFrame(columns=[SOURCE_ROW, "customer_id", REASON])
    conflicts = grouped[columns].nunique() > 1
    reasons = {}
    for customer_id, flags in conflicts[conflicts.any(axis=1)].iterrows():
        mine = rows[rows["customer_id"] == customer_id]
        parts = []
        for column in flags.index[flags.to_numpy()]:
            by_value = mine[column].dropna().groupby(mine[column].dropna().astype("str"))
            seen = ", ".join(
                f"{value!r} (source row{'s' if len(group) > 1 else ''} "
                f"{', '.join(map(str, group.index))})"
                for value, group in by_value
            )
            parts.append(f"conflicting {column} values {seen}")
        reasons[customer_id] = f"customer {customer_id!r}: " + "; ".join(parts)
    bad = customers["customer_id"].isin(list(reasons)).to_numpy()
    rejected = customers[bad].reset_index(drop=True)
    # A derived customer has no row of its own; the reason names the rows it came from.
    rejected.insert(0, SOURCE_ROW, pd.Series(pd.NA, index=rejected.index, dtype="Int64"))
    rejected[REASON] = [reasons[c] for c in rejected["customer_id"]]
    return customers[~bad].reset_index(drop=True), rejected
