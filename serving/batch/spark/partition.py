"""What runs on the executors: the pandas feature code and the one scoring function, per partition.

Each function here receives the pandas batches of one Spark partition (`mapInPandas`) or of
one industry (`applyInPandas`) and calls the very functions of the pandas engine:

- `customer_features`: validation (`features.validate.validate_tables`) and the feature frame
  (`features.build.features_in_session`) of the partition's customers, one row per customer
  of the customers table; peers are recomputed later with the global medians.
- `peer_medians`: the industry peer statistics (`features.peers.industry_medians`) of one
  industry: the small aggregate pass.
- `reason_medians`: the industry medians of the reason texts (`serving.reasons`), over the
  feature rows with global peers.
- `score_partition`: global peers, then `serving.batch.rows.score_chunks` (the online
  service's `score_frame_with_points`) and `assemble_rows`: scores, reasons, tiers, terms.

Flags the feature SQL reads from the whole source (is there a payments table, do invoices
carry `disputed`) are decided once on the driver and imposed on every partition's session, so
a partition never computes a feature differently because of which customers it happens to hold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import pandas as pd

from features.build import features_in_session
from features.catalog import FEATURES
from features.peers import DSO, LATE_SHARE, industry_medians, peers
from features.session import open_session
from features.tables import Tables
from features.validate import validate_tables
from models.bundle import ModelBundle
from serving.batch.rejects import reject_rows
from serving.batch.rows import SCORE_FILE_COLUMNS, assemble_rows, score_chunks
from serving.batch.spark.inputs import LedgerLayout
from serving.policy import Policy
from serving.reasons import industry_medians as reason_industry_medians
from serving.scoring import ReasonContext

logger = logging.getLogger(__name__)

INDUSTRY = "customer_industry"
"""The customer record's industry, the same column the spine gives `features.peers`."""
ROW_COLUMNS = [
    "customer_id",
    "customer_name",
    "is_known",
    "reject_table",
    "reject_key",
    "reject_reason",
]
PEER_COLUMNS = [s.name for s in FEATURES if s.group == "peers"]
NO_REJECTS = pd.DataFrame({"table": [], "row": [], "key": [], "reason": []}).astype(
    {"table": "str", "row": "int64", "key": "str", "reason": "str"}
)
"""Rejected rows of a partition that reaches scoring: none (a job with rejects stops first)."""


@dataclass(frozen=True)
class SourceFlags:
    """Properties of the whole source that decide how features are computed (see module)."""

    has_payments: bool
    has_signals: bool
    has_deals: bool
    has_disputed: bool


@dataclass(frozen=True)
class ScoringPlan:
    """Everything a scoring task needs, shipped to the executors once.

    Attributes:
        as_of: the scoring date.
        peer_medians: `features.peers.industry_medians` over every customer known at as_of.
        bundle, policy, context: the model, the risk policy and the reason context (with
            medians over the whole portfolio), as the pandas engine builds them.
        chunk_size: rows scored at once.
        model: model_name, model_version and policy_version columns of every row.
        total_sales: the portfolio's 12-month sales (the layers' shares, `serving.layers`).
    """

    as_of: pd.Timestamp
    peer_medians: pd.DataFrame
    bundle: ModelBundle
    policy: Policy
    context: ReasonContext
    chunk_size: int
    model: dict[str, str]
    total_sales: float | None = None


def for_spark(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its "str" columns as Python objects (null None) for Spark's Arrow writer.

    PySpark 4.3 cannot serialise pandas 3's Arrow-backed string columns once they hold more
    than one chunk (after a concat or merge); plain objects always convert.
    """
    text = [str(c) for c, d in frame.dtypes.items() if isinstance(d, pd.StringDtype)]
    converted = {c: frame[c].astype(object).where(frame[c].notna(), None) for c in text}
    return frame.assign(**converted)


def _concat(batches: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = list(batches)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _rejections(rejects: pd.DataFrame) -> pd.DataFrame:
    """One row per rejected input row (table, key, reason), in the feature rows' layout."""
    return pd.DataFrame(
        {
            "is_known": False,
            "reject_table": rejects["table"],
            "reject_key": rejects["key"],
            "reject_reason": rejects["reason"],
        }
    )


def row_dtypes(columns: list[str]) -> dict[str, str]:
    """pandas dtypes of the feature rows: keys and texts "str", features as in the frame."""
    kinds = {s.name: s.kind for s in FEATURES}
    dtypes = dict.fromkeys(ROW_COLUMNS, "str") | {"is_known": "bool"}
    return {
        c: dtypes.get(c, "str" if kinds.get(c) == "categorical" else "float64") for c in columns
    }


def rejects_of(rows: pd.DataFrame) -> pd.DataFrame:
    """The rejection rows of a feature-rows frame, as `serving.batch.rejects.reject_rows` gives
    them (the source row number is not known inside a partition: 0)."""
    found = rows.loc[rows["reject_table"].notna()]
    return pd.DataFrame(
        {
            "table": found["reject_table"],
            "row": 0,
            "key": found["reject_key"],
            "reason": found["reject_reason"],
        }
    ).astype(NO_REJECTS.dtypes.to_dict())


def partition_features(tables: Tables, as_of: pd.Timestamp, flags: SourceFlags) -> pd.DataFrame:
    """`features.build.build_feature_frame(tables, as_of)` with the source-wide `flags`."""
    session = open_session(tables, [as_of])
    session = replace(
        session,
        has_payments=flags.has_payments,
        has_signals=flags.has_signals,
        has_deals=flags.has_deals,
        has_disputed=flags.has_disputed,
    )
    try:
        return features_in_session(session)
    finally:
        session.close()


def customer_features(
    batches: Iterable[pd.DataFrame],
    layout: LedgerLayout,
    as_of: pd.Timestamp,
    flags: SourceFlags,
    columns: list[str],
) -> Iterator[pd.DataFrame]:
    """Validated features of one partition's customers (see the module docstring).

    Yields one row per valid customer of the partition (`is_known` False when it is not a
    customer at as_of, features then null), and one row per input row validation rejected
    (`reject_*` set), which the driver counts against --max-reject-share and reports.
    """
    ledger = _concat(batches)
    if ledger.empty:
        return
    report = validate_tables(layout.split(ledger))
    rejects = reject_rows(report)
    if report.tables is None:
        problems = "; ".join(map(str, report.errors[:3]))
        unusable = pd.DataFrame({"table": ["(all)"], "key": [pd.NA], "reason": [problems]})
        yield for_spark(_rejections(unusable).reindex(columns=columns).astype(row_dtypes(columns)))
        return
    tables = report.tables
    frame = partition_features(tables, as_of, flags).drop(columns="as_of")
    customers = tables.customers
    names = customers["name"] if "name" in customers else pd.Series(pd.NA, index=customers.index)
    out = pd.DataFrame(
        {"customer_id": customers["customer_id"].astype("str"), "customer_name": names}
    ).merge(frame, on="customer_id", how="left", indicator=True)
    out["is_known"] = out.pop("_merge") == "both"
    out = pd.concat([out, _rejections(rejects)], ignore_index=True)
    yield for_spark(out.reindex(columns=columns).astype(row_dtypes(columns)))


def peer_input(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The columns `features.peers` reads, from feature rows of snapshot `as_of`."""
    return pd.DataFrame(
        {
            "industry": frame[INDUSTRY],
            "as_of": pd.Series(as_of, index=frame.index, dtype="datetime64[ns]"),
            DSO: frame[DSO],
            LATE_SHARE: frame[LATE_SHARE],
        }
    )


def peer_medians(group: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """`industry_medians` of one industry's known customers, flat (industry, then medians)."""
    found = industry_medians(peer_input(group, as_of)).reset_index()
    return for_spark(found.drop(columns="as_of"))


def with_global_peers(
    frame: pd.DataFrame, as_of: pd.Timestamp, medians: pd.DataFrame
) -> pd.DataFrame:
    """`frame` with its peer features computed against the whole portfolio's medians."""
    return frame.assign(**peers(peer_input(frame, as_of), medians)[PEER_COLUMNS])


def reason_medians(
    group: pd.DataFrame,
    as_of: pd.Timestamp,
    medians: pd.DataFrame,
    industry: str,
    numeric: list[str],
) -> pd.DataFrame:
    """The reason texts' industry medians of one `industry` value, flat (industry first)."""
    frame = with_global_peers(group, as_of, medians)
    found = reason_industry_medians(frame, industry, numeric)
    return for_spark(found.rename_axis(industry).reset_index())


def score_partition(batches: Iterable[pd.DataFrame], plan: ScoringPlan) -> Iterator[pd.DataFrame]:
    """Score rows (`SCORE_FILE_COLUMNS`) of one partition's customers, sorted by customer_id.

    `previous_risk_tier` is left null here; the driver joins the previous run's tiers.
    """
    rows = _concat(batches)
    if rows.empty:
        return
    known = with_global_peers(rows.loc[rows["is_known"]], plan.as_of, plan.peer_medians)
    features = known.set_index("customer_id", drop=False)
    scores, _ = score_chunks(features, plan.bundle, plan.policy, plan.context, plan.chunk_size)
    valid = rows.loc[rows["customer_id"].notna()]
    customers = pd.DataFrame({"customer_id": valid["customer_id"], "name": valid["customer_name"]})
    tables = Tables(customers=customers, invoices=pd.DataFrame())
    out = assemble_rows(
        tables, rejects_of(rows), features, scores, plan.as_of, plan.policy, plan.total_sales
    )
    out = out.assign(
        previous_risk_tier=pd.Series(pd.NA, index=out.index, dtype="str"), **plan.model
    )
    yield for_spark(out[SCORE_FILE_COLUMNS])
