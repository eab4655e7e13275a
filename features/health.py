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

from features.schema import SIGNAL_NAMES
from features.session import Session, snapshot_dates_in
from features.snapshot_buckets import bucket_sql, known_by_sql

LAGS_DAYS: tuple[int, ...] = (90, 180)
"""Changes are measured against the value known this many days before t."""

HEALTH_SQL = """
WITH kept AS NOT MATERIALIZED (
    SELECT customer_id, name, observed_date, value
    FROM signals WHERE name IN ({names}) AND {known}
),
last_day AS (
    SELECT customer_id, name, {bucket} AS b, max(observed_date) AS observed_date
    FROM kept GROUP BY ALL
),
known AS (
    SELECT l.customer_id, l.name, l.b, l.observed_date, avg(k.value) AS value
    FROM kept k JOIN last_day l USING (customer_id, name, observed_date)
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
wide AS (
    SELECT customer_id, k,
           {wide_items}
    FROM at_probe
    GROUP BY customer_id, k
),
snapshot_probes AS (SELECT * FROM (VALUES {snapshot_rows}) p(as_of, {probe_columns}))
SELECT s.customer_id, s.as_of,
       {items}
FROM spine s JOIN snapshot_probes p ON p.as_of = s.as_of
{joins}"""


def _items(name: str) -> list[str]:
    """Select items of one signal, in the docstring's column order (w{lag}: value at t-lag)."""
    items = [f"w0.{name}_value AS signal_{name}_latest"]
    for lag in LAGS_DAYS:
        items.append(f"w0.{name}_value - w{lag}.{name}_value AS signal_{name}_change_{lag}d")
    items.append(f"date_diff('day', w0.{name}_date, s.as_of) AS signal_{name}_days_since_observed")
    return items


def health_sql(as_ofs: Sequence[pd.Timestamp]) -> str:
    """The group's query over `spine` and `signals` for the snapshot dates `as_ofs`.

    Observations are bucketed by the probe dates (t, t-90d, t-180d of every snapshot): per
    (customer, signal, bucket) only the latest observation day is kept, and it holds for every
    probe from its bucket up to the next bucket with an observation. No sort of all signals.
    """
    lags = (0, *LAGS_DAYS)
    probes = sorted({pd.Timestamp(t) - pd.Timedelta(days=lag) for t in as_ofs for lag in lags})
    index = {d: k for k, d in enumerate(probes)}
    snapshot_rows = ", ".join(
        f"(TIMESTAMP '{pd.Timestamp(t).isoformat(sep=' ')}', "
        + ", ".join(str(index[pd.Timestamp(t) - pd.Timedelta(days=lag)]) for lag in lags)
        + ")"
        for t in as_ofs
    )
    wide = [
        f"max({column}) FILTER (WHERE name = '{n}') AS {n}_{suffix}"
        for n in SIGNAL_NAMES
        for column, suffix in (("value", "value"), ("observed_date", "date"))
    ]
    joins = "".join(
        f"LEFT JOIN wide w{lag} ON w{lag}.customer_id = s.customer_id AND w{lag}.k = p.k{lag}\n"
        for lag in lags
    )
    nulls = ", ".join("NULL::BIGINT" for _ in lags)
    return HEALTH_SQL.format(
        snapshot_rows=snapshot_rows or f"(NULL::TIMESTAMP, {nulls})",
        probe_columns=", ".join(f"k{lag}" for lag in lags),
        wide_items=",\n           ".join(wide),
        joins=joins,
        probe_count=len(probes),
        bucket=bucket_sql("observed_date", probes),
        known=known_by_sql("observed_date", probes),
        names=", ".join(f"'{n}'" for n in SIGNAL_NAMES),
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
