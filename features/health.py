"""Health signals (credit rating, bank credit line, lawsuits, tax grade) as known at t.

For each signal name arsight knows (`features.schema.SIGNAL_NAMES`) the value known at a date
is the latest observation dated <= that date (several observations on one day are averaged),
found at t, t-90d and t-180d (see `health_sql`). Other signal names stay in the data but
are not model features (the feature list of a model is fixed). Without a signals table every
signal feature is null, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from features.engine import Session, bucket_sql, known_by_sql, snapshot_dates_in
from features.schema import SIGNAL_NAMES

LAGS_DAYS: tuple[int, ...] = (90, 180)
"""Changes are measured against the value known this many days before t."""

HEALTH_SQL = """
WITH probe_index AS (SELECT * FROM (VALUES {probe_rows}) p(probe_date, k)),
kept AS (
    SELECT customer_id, name, observed_date, value, {bucket} AS b
    FROM signals WHERE name IN ({names}) AND {known}
),
last_day AS (
    SELECT customer_id, name, b, max(observed_date) AS observed_date
    FROM kept GROUP BY ALL
),
known AS (
    SELECT customer_id, name, b, observed_date, avg(value) AS value
    FROM kept JOIN last_day USING (customer_id, name, b, observed_date)
    GROUP BY ALL
),
spans AS (
    SELECT *, lead(b) OVER (PARTITION BY customer_id, name ORDER BY b) AS next_b FROM known
),
at_probe AS (
    SELECT customer_id, name, observed_date, value,
           unnest(range(b, coalesce(next_b, {probe_count}))) AS k
    FROM spans
),
seen AS (
    SELECT s.customer_id, s.as_of, n.name, l.lag_days, a.value, a.observed_date
    FROM spine s
    CROSS JOIN (VALUES {name_rows}) n(name)
    CROSS JOIN (VALUES {lag_rows}) l(lag_days)
    JOIN probe_index i ON i.probe_date = s.as_of - to_days(l.lag_days)
    LEFT JOIN at_probe a ON a.customer_id = s.customer_id AND a.name = n.name AND a.k = i.k
)
SELECT customer_id, as_of,
       {items}
FROM seen
GROUP BY customer_id, as_of
"""


def _items(name: str) -> list[str]:
    """Select items of one signal, in the docstring's column order."""
    at = f"FILTER (WHERE name = '{name}' AND lag_days = 0)"
    latest = f"max(value) {at}"
    items = [f"{latest} AS signal_{name}_latest"]
    for lag in LAGS_DAYS:
        before = f"max(value) FILTER (WHERE name = '{name}' AND lag_days = {lag})"
        items.append(f"{latest} - {before} AS signal_{name}_change_{lag}d")
    age = f"date_diff('day', max(observed_date) {at}, max(as_of))"
    items.append(f"{age} AS signal_{name}_days_since_observed")
    return items


def health_sql(as_ofs: Sequence[pd.Timestamp]) -> str:
    """The group's query over `spine` and `signals` for the snapshot dates `as_ofs`.

    Observations are bucketed by the probe dates (t, t-90d, t-180d of every snapshot): per
    (customer, signal, bucket) only the latest observation day is kept, and it holds for every
    probe from its bucket up to the next bucket with an observation. No sort of all signals.
    """
    lags = (0, *LAGS_DAYS)
    probes = sorted({pd.Timestamp(t) - pd.Timedelta(days=lag) for t in as_ofs for lag in lags})
    probe_rows = ", ".join(
        f"(TIMESTAMP '{d.isoformat(sep=' ')}', {k})" for k, d in enumerate(probes)
    )
    return HEALTH_SQL.format(
        probe_rows=probe_rows or "(NULL::TIMESTAMP, NULL::BIGINT)",
        probe_count=len(probes),
        bucket=bucket_sql("observed_date", probes),
        known=known_by_sql("observed_date", probes),
        names=", ".join(f"'{n}'" for n in SIGNAL_NAMES),
        name_rows=", ".join(f"('{n}')" for n in SIGNAL_NAMES),
        lag_rows=", ".join(f"({lag})" for lag in lags),
        items=",\n       ".join(item for n in SIGNAL_NAMES for item in _items(n)),
    )


def health(session: Session) -> pd.DataFrame:
    """Latest value, change and age of each known health signal at t, one row per spine row.

    Columns:
        signal_credit_rating_latest (rating points): Latest credit rating observed <= t. Null
            when none observed.
        signal_credit_rating_change_90d (rating points): Credit rating known at t minus that
            known at t-90d. Null when either is unknown.
        signal_credit_rating_change_180d (rating points): Credit rating known at t minus that
            known at t-180d. Null when either is unknown.
        signal_credit_rating_days_since_observed (days): Days from the latest credit-rating
            observation <= t to t. Null when none observed.
        signal_bank_credit_line_latest (currency): Latest bank credit line observed <= t. Null
            when none observed.
        signal_bank_credit_line_change_90d (currency): Bank credit line known at t minus that
            known at t-90d; negative = line cut. Null when either is unknown.
        signal_bank_credit_line_change_180d (currency): Bank credit line known at t minus that
            known at t-180d. Null when either is unknown.
        signal_bank_credit_line_days_since_observed (days): Days from the latest bank-credit-line
            observation <= t to t. Null when none observed.
        signal_lawsuits_open_latest (count): Latest number of open lawsuits observed <= t. Null
            when none observed.
        signal_lawsuits_open_change_90d (count): Open lawsuits known at t minus those known at
            t-90d. Null when either is unknown.
        signal_lawsuits_open_change_180d (count): Open lawsuits known at t minus those known at
            t-180d. Null when either is unknown.
        signal_lawsuits_open_days_since_observed (days): Days from the latest lawsuit count
            observation <= t to t. Null when none observed.
        signal_tax_grade_latest (grade points): Latest tax-credit grade observed <= t. Null when
            none observed.
        signal_tax_grade_change_90d (grade points): Tax grade known at t minus that known at
            t-90d. Null when either is unknown.
        signal_tax_grade_change_180d (grade points): Tax grade known at t minus that known at
            t-180d. Null when either is unknown.
        signal_tax_grade_days_since_observed (days): Days from the latest tax-grade observation
            <= t to t. Null when none observed.
    """
    return session.frame(health_sql(snapshot_dates_in(session)))
