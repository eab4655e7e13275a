"""The previous run of a scoring job: found beside this run's directory, or named explicitly.

Both engines join the previous run's tiers (`previous_risk_tier`); the pandas engine also
compares its contributions to explain tier changes (`serving.batch.alerts`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from serving.batch.outputs import OutputPaths, read_metadata
from serving.batch.types import BatchError, ExitCode

logger = logging.getLogger(__name__)

EXPLAINED = "delinquency_probability"
"""What a run's contributions file explains (its `explains` metadata): the tier's probability."""


def find_previous(paths: OutputPaths, as_of: pd.Timestamp, explicit: Path | None) -> Path | None:
    """The previous run's scores: `explicit`, else the latest earlier `<runs>/*/<name>`."""
    if explicit is not None:
        meta = read_metadata(explicit) if explicit.is_file() else None
        if meta is None or meta.get("kind") != "scores":
            raise BatchError(f"--previous {explicit}: not a scores file", ExitCode.BAD_INPUT)
        return explicit
    found: list[tuple[str, str, Path]] = []
    for candidate in paths.directory.parent.glob(f"*/{paths.scores.name}"):
        meta = read_metadata(candidate)
        if candidate.resolve() == paths.scores.resolve() or meta is None:
            continue
        if meta.get("kind") == "scores" and meta["as_of"] < as_of.date().isoformat():
            found.append((meta["as_of"], candidate.parent.name, candidate))
    return max(found)[2] if found else None


def load_previous(path: Path | None) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Scored rows, contributions and as-of date of the previous run (empty without one)."""
    if path is None:
        return pd.DataFrame({"risk_tier": pd.Series(dtype="str")}), None, ""
    as_of = (read_metadata(path) or {}).get("as_of", "")
    scores = pd.read_parquet(path)
    scores = scores.loc[scores["scored"]].set_index("customer_id")
    if "delinquency_probability" not in scores:
        logger.warning("%s predates the credit model: alerts compare tiers only", path.parent)
        return scores, None, as_of
    contributions = path.parent / "contributions.parquet"
    meta = read_metadata(contributions) if contributions.is_file() else None
    if meta is None or meta.get("explains") != EXPLAINED:
        logger.warning("%s has no delinquency contributions: alerts name no features", path.parent)
        return scores, None, as_of
    return scores, pd.read_parquet(contributions).set_index("customer_id"), as_of
