"""One pandas scoring run, built once: everything the finishing steps need, in one object.

`build_run` loads and validates the data directory, loads the champion and the policy,
builds the features as of DATE with the one feature pipeline, scores them in chunks with the
online service's scoring function and assembles one row per customer, and predicts every open
invoice with the bundle's invoice model (`serving.invoices`; the customers'
`expected_overdue_amount` then comes from it). The finishing steps
(`serving.batch.finish`) are functions of the resulting `ScoringRun`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import pandas as pd

from features.build import online_frame
from features.tables import Tables, data_end_of
from models.errors import ModelError
from serving.batch.champion import Champion, load_model
from serving.batch.outputs import OutputPaths
from serving.batch.rejects import check_rejects, validated_tables
from serving.batch.rows import assemble_rows, score_chunks
from serving.batch.types import BatchError, BatchRequest, ExitCode, Progress
from serving.errors import PolicyError
from serving.invoices import empty_invoices, predict_invoices, with_invoice_expectation
from serving.scoring import build_reason_context
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringRun:
    """A scored portfolio and how it was scored.

    Attributes:
        frame: the online-store frame as of DATE (what a store refresh writes).
        features: `frame` indexed by customer_id.
        rows: one row per customer (`serving.batch.rows.assemble_rows`), without the
            previous tier and the provenance columns.
        contributions: overdue contributions (probability points) of the scored rows.
        rejects: the rejected input rows (`serving.batch.rejects.reject_rows`).
        fingerprint: `data_fingerprint` of the validated tables.
        reject_share: rejected rows over rows read.
        invoices: one row per invoice open at DATE with its payment prediction
            (`serving.invoices.INVOICE_COLUMNS`; no rows without an invoice model).
    """

    request: BatchRequest
    settings: ServingSettings
    paths: OutputPaths
    champion: Champion
    tables: Tables
    frame: pd.DataFrame
    features: pd.DataFrame
    rows: pd.DataFrame
    contributions: pd.DataFrame
    rejects: pd.DataFrame
    fingerprint: str
    reject_share: float
    invoices: pd.DataFrame = field(default_factory=empty_invoices)

    @property
    def as_of(self) -> pd.Timestamp:
        """The scoring date as a timestamp."""
        return pd.Timestamp(self.request.as_of)


def data_fingerprint(tables: Tables) -> str:
    """A short hash of the canonical tables' contents (stable across runs and machines)."""
    digest = hashlib.sha256()
    for name, frame in tables.items():
        digest.update(name.encode())
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        digest.update(hashed.tobytes())
    return digest.hexdigest()[:16]


STALE_DATA_DAYS = 30
"""The labels' horizon: an as-of date further after the data's last fact scores a stale ledger."""


def check_data_reaches(tables: Tables, as_of: pd.Timestamp, allowed: bool) -> None:
    """Refuse (exit 2) an as-of date more than `STALE_DATA_DAYS` after the data's last fact.

    Scoring 2031 on a ledger that ends in 2026 would run silently and call nearly everyone
    green (nothing falls due, nothing is late). With `allowed`, it runs, with a warning.
    """
    end = data_end_of(tables)
    gap = (as_of - end).days
    if gap <= STALE_DATA_DAYS:
        return
    message = (
        f"--as-of {as_of.date()} is {gap:,} days after the data's last fact ({end.date()}), "
        f"more than the {STALE_DATA_DAYS}-day horizon: the scores would describe a ledger "
        "that stopped being updated"
    )
    if not allowed:
        raise BatchError(
            f"{message}; refresh the data or pass --allow-as-of-beyond-data", ExitCode.BAD_INPUT
        )
    logger.warning("%s (--allow-as-of-beyond-data)", message)


def build_run(
    request: BatchRequest,
    settings: ServingSettings,
    paths: OutputPaths,
    progress: Progress | None = None,
) -> ScoringRun:
    """Validate, load the champion, build the features, score, assemble (see the module).

    Raises:
        BatchError: too many rejects (exit 1), bad input or policy (exit 2), registry
            unavailable (exit 3).
    """
    tables, rejects, share = validated_tables(request.directory)
    check_rejects(rejects, share, request.max_reject_share, paths)
    as_of = pd.Timestamp(request.as_of)
    check_data_reaches(tables, as_of, request.allow_beyond_data)
    champion = load_model(settings)
    frame = online_frame(tables, as_of)
    try:
        champion.policy.check_columns(frame.columns)
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    features = frame.set_index("customer_id", drop=False)
    scores, points = _score(features, champion, settings, request, progress)
    rows = assemble_rows(tables, rejects, features, scores, as_of, champion.policy)
    scored = frame.loc[frame["customer_id"].isin(scores.index)]
    invoices = predict_invoices(champion.bundle, tables, scored, settings.reasons_top_k)
    has_model = champion.bundle.invoice_model is not None
    rows = with_invoice_expectation(rows, invoices, as_of, has_model)
    return ScoringRun(
        request, settings, paths, champion, tables, frame, features, rows, points, rejects,
        data_fingerprint(tables), share, invoices,
    )  # fmt: skip


def _score(
    features: pd.DataFrame,
    champion: Champion,
    settings: ServingSettings,
    request: BatchRequest,
    progress: Progress | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores and contributions of `features`, reasons compared over the whole portfolio."""
    bundle, policy = champion.bundle, champion.policy
    context = build_reason_context(features, bundle, policy, settings.reasons_top_k)
    try:
        return score_chunks(features, bundle, policy, context, request.chunk_size, progress)
    except ModelError as exc:
        raise BatchError(f"{champion.ref.uri}: {exc}", ExitCode.BAD_INPUT) from exc
