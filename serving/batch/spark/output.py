"""Spark schemas of the job's frames and the atomic write of its partitioned Parquet output.

The scores are a directory of Parquet part files (one per customer partition, rows sorted by
customer_id within each) plus `_arsight.json`, the job metadata the pandas engine keeps in
its file's schema metadata. Spark writes into a hidden temporary directory beside the target,
which is renamed into place when complete; a reader sees the old directory or the new one,
never a half-written one, and a killed job leaves only the temporary directory, which the
next run removes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from features.catalog import FEATURES
from serving.batch.rows import FLOAT_COLUMNS, SCORE_FILE_COLUMNS
from serving.batch.spark.partition import ROW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".arsight-spark-tmp"
OLD_SUFFIX = ".arsight-spark-old"
METADATA_FILE = "_arsight.json"

SCORE_TYPES: dict[str, str] = (
    dict.fromkeys(SCORE_FILE_COLUMNS, "string")
    | dict.fromkeys(FLOAT_COLUMNS, "double")
    | {"as_of": "timestamp_ntz", "scored": "boolean", "recommended_terms_days": "bigint"}
)


def _ddl(types: Mapping[str, str]) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in types.items())


def feature_row_schema() -> str:
    """DDL of the feature rows: `ROW_COLUMNS`, then every feature but the snapshot date."""
    types = dict.fromkeys(ROW_COLUMNS, "string") | {"is_known": "boolean"}
    types |= {s.name: "string" if s.kind == "categorical" else "double" for s in FEATURES}
    return _ddl(types)


def score_row_schema() -> str:
    """DDL of the score rows (`serving.batch.rows.SCORE_FILE_COLUMNS`, in that order)."""
    return _ddl({c: SCORE_TYPES[c] for c in SCORE_FILE_COLUMNS})


def median_schema(industry: str, columns: list[str]) -> str:
    """DDL of a medians frame: the industry, then one double per column."""
    return _ddl({industry: "string"} | dict.fromkeys(columns, "double"))


def temporary_directory(target: Path) -> Path:
    """The hidden directory Spark writes `target` into (same parent: rename is atomic)."""
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def remove_stale_directories(directory: Path) -> list[Path]:
    """Delete temporary output directories a killed Spark job left in `directory`."""
    if not directory.is_dir():
        return []
    stale = sorted(directory.glob(f".*{TEMP_SUFFIX}")) + sorted(directory.glob(f".*{OLD_SUFFIX}"))
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
        logger.warning("removed %s left by an interrupted Spark run", path)
    return stale


def read_directory_metadata(target: Path) -> dict[str, str] | None:
    """The job metadata of a scores directory written by `write_scores`; None otherwise."""
    path = target / METADATA_FILE
    if not path.is_file():
        return None
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded


def write_scores(scores: DataFrame, target: Path, metadata: Mapping[str, str]) -> None:
    """Write `scores` as partitioned Parquet at `target`, atomically, with `metadata`.

    An existing `target` (a forced rerun) is moved aside, replaced, then deleted.
    """
    tmp = temporary_directory(target)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        scores.sortWithinPartitions("customer_id").write.mode("error").parquet(str(tmp))
        (tmp / METADATA_FILE).write_text(json.dumps(dict(metadata), sort_keys=True))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}{OLD_SUFFIX}")
    if target.is_dir():
        os.replace(target, old)
    elif target.exists():
        target.unlink()
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    logger.info("scores written to %s", target)
