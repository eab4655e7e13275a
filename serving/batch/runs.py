"""The completed runs of the nightly job below the runs directory: what pages and routes read.

The batch job (`arsight score`) writes one directory per run (`runs/<date>/scores.parquet` and
its companions beside it, `serving.batch.outputs`); the scores file is written last and its
metadata carries the as-of date, so a run counts only once its scores file is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from serving.batch.outputs import OutputPaths, read_metadata
from serving.policy import TIERS

SCORES_NAME = "scores.parquet"


@dataclass(frozen=True)
class Run:
    """One completed scoring run: its as-of date, scores file and metadata."""

    as_of: str
    paths: OutputPaths
    meta: dict[str, str]

    def tier_counts(self) -> dict[str, int]:
        return {t: int(float(self.meta.get(f"tier_{t}", "0"))) for t in TIERS}

    def expected_overdue_amount(self) -> float | None:
        value = self.meta.get("expected_overdue_amount")
        return None if value is None else float(value)


def find_runs(runs_dir: Path) -> list[Run]:
    """Completed runs below `runs_dir` (a scores file is written last), oldest first."""
    runs = []
    for path in runs_dir.glob(f"*/{SCORES_NAME}") if runs_dir.is_dir() else []:
        meta = read_metadata(path)
        if meta is not None and meta.get("kind") == "scores" and "as_of" in meta:
            runs.append(Run(meta["as_of"], OutputPaths(path), meta))
    return sorted(runs, key=lambda r: (r.as_of, r.paths.directory.name))
