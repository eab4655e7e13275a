"""Writing a synthetic world to a data directory, chunk by chunk, never half-written.

Each table goes to a hidden temporary Parquet file in the output directory through one
`pyarrow.parquet.ParquetWriter`; only when every chunk of every table is written are the
files renamed to `<table>.parquet`. A failure leaves the directory as it was.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from features.sources.synth.config import SynthConfig
from features.sources.synth.summary import SummaryBuilder, SynthSummary
from features.sources.synth.world import iter_chunks
from features.tables import Tables

logger = logging.getLogger(__name__)


class _TableWriters:
    """One open ParquetWriter per table, each writing to a temporary file until `commit`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.temporary: dict[str, Path] = {}

    def write(self, tables: Tables) -> None:
        for name, frame in tables.items():
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if name not in self.writers:
                # A hidden name in the same directory, so the final rename is atomic.
                tmp = self.out / f".{name}.parquet.{os.getpid()}.tmp"
                self.temporary[name] = tmp
                self.writers[name] = pq.ParquetWriter(tmp, table.schema)
            self.writers[name].write_table(table)

    def commit(self) -> list[Path]:
        """Close every file and move it to its final name."""
        for writer in self.writers.values():
            writer.close()
        targets = {name: self.out / f"{name}.parquet" for name in self.temporary}
        # Check every target first, so that a blocked one leaves all old files in place.
        for path in targets.values():
            if path.is_dir():
                raise IsADirectoryError(f"{path}: a directory is in the way; expected a file")
        for name, tmp in self.temporary.items():
            os.replace(tmp, targets[name])
        return list(targets.values())

    def discard(self) -> None:
        """Close and delete every temporary file (after a failure)."""
        for writer in self.writers.values():
            writer.close()
        for tmp in self.temporary.values():
            tmp.unlink(missing_ok=True)


def synthesize_to_directory(config: SynthConfig, out: Path, progress: bool = True) -> SynthSummary:
    """Generate the world of `config` and write one Parquet file per table into `out`.

    Memory stays bounded by `config.chunk_customers`; the files are the same bytes for the
    same seed whatever the machine.

    Args:
        config: what world to make.
        out: directory to write to (created if missing); existing table files are replaced.
        progress: show a progress bar over chunks on stderr.
    """
    began = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    writers = _TableWriters(out)
    summary = SummaryBuilder(config)
    chunks = -(-config.customers // config.chunk_customers)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        task = bar.add_task("synthesising chunks", total=chunks)
        try:
            for chunk in iter_chunks(config):
                writers.write(chunk.tables)
                summary.add(chunk)
                bar.advance(task)
            written = writers.commit()
        except BaseException:
            writers.discard()
            raise
    logger.info("wrote %s", ", ".join(str(p) for p in written))
    return summary.finish(time.perf_counter() - began, out)
