"""What `arsight features build` and `arsight features list` do, outside the Typer layer.

`run_build` loads a validated data directory, builds the requested frame with a rich progress
bar and writes it (a Parquet/CSV file or the online store); the list renders the catalog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from features.build import build_feature_frame, build_steps, build_training_frame, online_frame
from features.catalog import FEATURES
from features.errors import FeaturesError
from features.invoice_store import write_invoice_store
from features.labels import LabelDefinition
from features.locations import location
from features.settings import get_features_settings
from features.snapshots import month_end_snapshots
from features.store import write_online_store
from features.tables import write_parquet_atomic
from features.wording import wording_for

logger = logging.getLogger(__name__)

SNAPSHOT_MODES = ("month",)


@dataclass(frozen=True)
class BuildRequest:
    """The options of one `arsight features build` call."""

    directory: Path
    out: Path | None
    snapshots: str | None
    as_of: date | None
    online: bool
    store: str | None
    horizon_days: int = 30
    grace_days: int = 0


def check_request(request: BuildRequest) -> None:
    """Refuse contradictory options with a one-line message naming them."""
    if request.snapshots is not None and request.snapshots not in SNAPSHOT_MODES:
        raise FeaturesError(f"--snapshots {request.snapshots!r}: expected one of {SNAPSHOT_MODES}")
    if request.online:
        if request.snapshots is not None or request.out is not None:
            raise FeaturesError("--online writes the store; it takes no --snapshots or --out")
        return
    if request.out is None:
        raise FeaturesError("--out FILE is required (or --online)")
    if request.out.suffix not in (".parquet", ".csv"):
        raise FeaturesError(f"--out {request.out}: expected a .parquet or .csv file")
    if request.snapshots is not None and request.as_of is not None:
        raise FeaturesError("give --as-of DATE or --snapshots month, not both")


def write_frame(frame: pd.DataFrame, out: Path) -> None:
    """Write a frame to .parquet (atomically) or .csv with ISO dates."""
    if out.suffix == ".parquet":
        write_parquet_atomic(frame, out)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False, date_format="%Y-%m-%d")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def run_build(request: BuildRequest, console: Console) -> str:
    """Load, build and write what `request` asks for; return a one-line summary.

    Raises:
        FeaturesError: bad options, invalid data, or an unwritable store.
    """
    from features.validate import load_valid_tables

    check_request(request)
    tables = load_valid_tables(request.directory)
    as_of = pd.Timestamp(request.as_of) if request.as_of is not None else None
    if request.online:
        settings = get_features_settings()
        target = location(settings.home, request.store or settings.online_store)
        frame = online_frame(tables, as_of)
        when = pd.Timestamp(frame["as_of"].iloc[0]) if len(frame) else as_of
        if when is not None:  # the open invoices beside the store, written before it
            write_invoice_store(tables, when, target)
        write_online_store(frame, target)
        return f"online store {target}: {len(frame)} customers as of {when and when.date()}"
    assert request.out is not None  # check_request guarantees it
    definition = LabelDefinition(request.horizon_days, request.grace_days)
    with _progress(console) as progress:
        if as_of is not None:
            task = progress.add_task("features", total=build_steps(1))
            frame = build_feature_frame(tables, as_of, on_step=lambda _: progress.advance(task))
        else:
            dates = month_end_snapshots(tables, definition)
            if not dates:
                raise FeaturesError(f"{request.directory}: history too short for any snapshot")
            task = progress.add_task(f"{len(dates)} snapshots", total=build_steps(len(dates)))
            frame = build_training_frame(
                tables, dates, definition, on_step=lambda _: progress.advance(task)
            )
    write_frame(frame, request.out)
    return f"{request.out}: {len(frame)} rows, {frame['as_of'].nunique()} snapshot(s)"


def _label(name: str) -> str:
    """The feature's business label (features/wording.py)."""
    wording = wording_for(name)
    return wording.label if wording is not None else ""


def feature_table() -> Table:
    """The catalog as a rich table (name, label, definition, unit)."""
    table = Table(title=f"arsight features ({len(FEATURES)})", show_lines=False)
    table.add_column("name", overflow="fold")
    table.add_column("label", overflow="fold")
    table.add_column("definition", overflow="fold")
    table.add_column("unit", no_wrap=True)
    for spec in FEATURES:
        table.add_row(spec.name, _label(spec.name), spec.definition, spec.unit)
    return table


def feature_table_markdown() -> str:
    """The catalog as a Markdown table, for the docs."""
    lines = ["| name | label | group | definition | unit |", "|---|---|---|---|---|"]
    for spec in FEATURES:
        definition = spec.definition.replace("|", "\\|")
        label = _label(spec.name)
        lines.append(f"| `{spec.name}` | {label} | {spec.group} | {definition} | {spec.unit} |")
    return "\n".join(lines)
