"""Input rows rejected by validation: listed per row, and a run refused above a share.

Both engines list rejects as `reject_rows` does (table, 1-based source row, key, reason) and
stop with exit code 1 through `check_rejects` when too many rows were rejected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import FeaturesError
from features.tables import Tables
from features.validate import ValidationReport, validate_directory
from serving.batch.outputs import OutputPaths, write_csv
from serving.batch.types import BatchError, ExitCode

REJECT_KEYS = {
    "customers": "customer_id",
    "invoices": "invoice_id",
    "payments": "payment_id",
    "signals": "customer_id",
    "deals": "deal_id",
    "credit_notes": "credit_note_id",
}


def reject_rows(report: ValidationReport) -> pd.DataFrame:
    """Every rejected input row: table, 1-based source row, its key and the reason."""
    parts = [
        pd.DataFrame(
            {
                "table": name,
                "row": frame["row"].astype("int64"),
                "key": frame[REJECT_KEYS[name]].astype("str")
                if REJECT_KEYS[name] in frame
                else pd.Series(np.nan, index=frame.index, dtype="str"),
                "reason": frame["reason"].astype("str"),
            }
        )
        for name, frame in report.rejects.items()
    ]
    if not parts:
        return pd.DataFrame(
            {"table": [], "row": [], "key": [], "reason": []},
        ).astype({"table": "str", "row": "int64", "key": "str", "reason": "str"})
    return pd.concat(parts, ignore_index=True)


def validated_tables(directory: Path) -> tuple[Tables, pd.DataFrame, float]:
    """The good rows of every table, the rejected rows and their share of the rows read."""
    try:
        report: ValidationReport = validate_directory(directory)
    except FeaturesError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    if report.tables is None:
        problems = "; ".join(str(p) for p in report.errors[:5])
        raise BatchError(f"{directory}: unusable data: {problems}", ExitCode.BAD_INPUT)
    rejects = reject_rows(report)
    read = sum(report.rows_read.values())
    return report.tables, rejects, len(rejects) / read if read else 0.0


def check_rejects(rejects: pd.DataFrame, share: float, limit: float, paths: OutputPaths) -> None:
    """Above `limit`, write rejects.csv and fail with exit code 1 (nothing else is written)."""
    if share <= limit:
        return
    write_csv(rejects, paths.rejects)
    raise BatchError(
        f"{len(rejects)} input rows rejected ({share:.1%}), above --max-reject-share "
        f"{limit:.1%}; reasons in {paths.rejects}",
        ExitCode.TOO_MANY_REJECTS,
    )
