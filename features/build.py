"""Point-in-time feature frames: one code path for training (many snapshots) and serving (one).

`build_feature_frame(tables, as_of)` registers the tables and the spine of (customer, as_of)
pairs in DuckDB, runs each feature group once per batch of snapshots (all dates of a batch in
one query), and lines the groups up on the spine. A customer is in the snapshot at t when
its `onboarding_date <= t`, or, where that is null, its first invoice was issued <= t.
Every feature at t uses only facts dated <= t. `online_frame` is the one snapshot the online
store holds (`features.store` only reads and writes it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import pandas as pd

from features.activity import activity
from features.catalog import FEATURES, feature_names
from features.health import health
from features.invoice_history import create_invoice_history
from features.labels import (
    DEFAULT_DEFINITION,
    LABEL_COLUMNS,
    LabelDefinition,
    labels_in_session,
)
from features.payment_history import payment_history
from features.peers import peers
from features.receivables import receivables
from features.session import Session, normalise_dates, open_session, set_snapshots
from features.static import static
from features.tables import Tables, contract_frame, data_end_of

logger = logging.getLogger(__name__)

FEATURE_PIPELINE_VERSION: str = "2"
"""Bumped whenever a feature's definition changes; saved with every model and store."""

KEYS: list[str] = ["customer_id", "as_of"]
ORDER: list[str] = ["as_of", "customer_id"]
"""Frames are sorted by as_of, then customer_id."""

SQL_GROUPS: tuple[Callable[[Session], pd.DataFrame], ...] = (
    payment_history,
    receivables,
    activity,
    health,
    static,
)

CODE_DTYPES: dict[str, str] = {"customer_id": "int64", "as_of": "datetime64[ns]"}
"""Key dtypes inside a session, where customer_id is an integer code (see features.id_coding)."""

StepCallback = Callable[[str], None]

BUILD_STEPS: int = len(SQL_GROUPS) + 3
"""`on_step` calls per batch of snapshots (spine, history, groups, peers)."""

SNAPSHOTS_PER_BATCH: int = 6
"""Snapshots computed by one set of queries. Every snapshot is independent of the others, so
batching changes no value; it bounds the memory of the holistic p90 aggregate (24 snapshots
of 100,000 customers at once need more than 6 GiB)."""


def snapshot_batches(dates: list[pd.Timestamp]) -> list[list[pd.Timestamp]]:
    """Sorted snapshot dates in batches of SNAPSHOTS_PER_BATCH (at least one, maybe empty)."""
    size = SNAPSHOTS_PER_BATCH
    return [dates[i : i + size] for i in range(0, len(dates), size)] or [[]]


def build_steps(snapshot_count: int) -> int:
    """Total `on_step` calls of a build over `snapshot_count` dates, for progress bars."""
    return BUILD_STEPS * len(snapshot_batches([pd.Timestamp(0)] * snapshot_count))


def _aligned(frame: pd.DataFrame, keys: pd.DataFrame, group: str) -> pd.DataFrame:
    """`frame` sorted like `keys` (the spine), checked to hold exactly its rows."""
    ordered = frame.sort_values(ORDER, kind="stable").reset_index(drop=True)
    same = len(ordered) == len(keys) and ordered[KEYS].equals(keys)
    if not same:
        raise RuntimeError(f"feature group {group} returned rows that are not the spine's")
    return ordered.drop(columns=KEYS)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Contract dtypes: numeric features float64, categorical "str", keys str/datetime64[ns]."""
    dtypes: dict[str, str] = {"customer_id": "str", "as_of": "datetime64[ns]"}
    dtypes |= {s.name: ("str" if s.kind == "categorical" else "float64") for s in FEATURES}
    return frame.astype(dtypes)


def features_in_session(
    session: Session,
    on_step: StepCallback | None = None,
    peer_medians: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The feature frame for the spine of an open session (see `build_feature_frame`)."""

    def step(name: str) -> None:
        logger.debug("feature step %s done", name)
        if on_step is not None:
            on_step(name)

    spine = session.frame("SELECT customer_id, as_of, industry FROM spine")
    spine = spine.astype(CODE_DTYPES).sort_values(ORDER, kind="stable").reset_index(drop=True)
    keys = spine[KEYS]
    step("spine")
    create_invoice_history(session)
    step("invoice_history")
    parts = [keys]
    for group in SQL_GROUPS:
        result = group(session).astype(CODE_DTYPES)
        parts.append(_aligned(result, keys, group.__name__))
        step(group.__name__)
    frame = pd.concat(parts, axis=1)
    peer_input = frame[["as_of", "customer_dso_days", "customer_late_share_count_90d"]]
    peer_input = peer_input.assign(industry=spine["industry"])
    frame = pd.concat([frame, peers(peer_input, peer_medians)], axis=1)
    step("peers")
    frame = frame.assign(customer_id=session.decode(frame["customer_id"]))
    return _typed(frame[KEYS + feature_names()])


def build_feature_frame(
    tables: Tables,
    as_of: pd.Timestamp | Sequence[pd.Timestamp],
    on_step: StepCallback | None = None,
    peer_medians: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features of every customer known at each snapshot date, point-in-time correct.

    Args:
        tables: canonical tables; never modified.
        as_of: one snapshot date or several (normalised to midnight, de-duplicated).
        on_step: called with a step name after each step (`build_steps(n)` calls; progress).
        peer_medians: `features.peers.industry_medians` of the whole snapshot, for a build
            over part of the customers (the Spark engine); default those of `tables`.

    Returns:
        customer_id (str), as_of (datetime64[ns]), then exactly `feature_names()` in order:
        numeric features float64 (null = NaN), categorical "str" (null = NaN). Sorted by
        as_of, customer_id, on a RangeIndex.
    """
    dates = normalise_dates(as_of)
    session = open_session(tables, dates[:SNAPSHOTS_PER_BATCH])
    try:
        parts = []
        for batch in snapshot_batches(dates):
            set_snapshots(session.con, batch)
            parts.append(features_in_session(session, on_step, peer_medians))
    finally:
        session.close()
    return pd.concat(parts, ignore_index=True)


def build_training_frame(
    tables: Tables,
    snapshots: Sequence[pd.Timestamp],
    definition: LabelDefinition = DEFAULT_DEFINITION,
    data_end: pd.Timestamp | None = None,
    on_step: StepCallback | None = None,
) -> pd.DataFrame:
    """`build_feature_frame` over `snapshots` plus overdue_30d and dso_30d (NaN = excluded).

    Labels follow `features.labels`; `data_end` defaults to the latest fact date in `tables`.
    """
    end = data_end_of(tables) if data_end is None else pd.Timestamp(data_end)
    dates = normalise_dates(snapshots)
    session = open_session(tables, dates[:SNAPSHOTS_PER_BATCH])
    parts = []
    try:
        for batch in snapshot_batches(dates):
            set_snapshots(session.con, batch)
            frame = features_in_session(session, on_step)
            labels = labels_in_session(session, definition, end)
            labels = labels.sort_values(ORDER, kind="stable").reset_index(drop=True)
            if not labels[KEYS].equals(frame[KEYS]):
                raise RuntimeError("labels and features were computed for different spines")
            parts.append(pd.concat([frame, labels[list(LABEL_COLUMNS)]], axis=1))
    finally:
        session.close()
    return pd.concat(parts, ignore_index=True)


def online_frame(tables: Tables, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The snapshot the online store holds: every customer known at `as_of`, plus context.

    Args:
        tables: canonical tables.
        as_of: snapshot date; default the latest fact date in `tables` (the latest snapshot).

    Returns:
        `build_feature_frame` at that date with the context column customer_name.
    """
    when = data_end_of(tables) if as_of is None else pd.Timestamp(as_of)
    frame = build_feature_frame(tables, when)
    customers = contract_frame("customers", tables.customers)
    names = customers.set_index("customer_id")["name"]
    return frame.assign(customer_name=frame["customer_id"].map(names).astype("str"))
