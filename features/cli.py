"""Command-line sub-apps of the features package: `arsight data ...` and `arsight features ...`.

Command bodies only parse options, call one library function and report.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

data_app = typer.Typer(
    help=(
        "Raw data: synthesise a world, import ledgers, validate against the data contract.\n\n"
        "Example: arsight data validate data/world --rejects data/rejects"
    ),
    no_args_is_help=True,
)
features_app = typer.Typer(
    help=(
        "Point-in-time features and labels: training frames and the online store.\n\n"
        "Example: arsight features build data/world --out frame.parquet --snapshots month"
    ),
    no_args_is_help=True,
)

console = Console(stderr=True)

OutDir = Annotated[Path, typer.Option("--out", help="Directory to write canonical Parquet to.")]
DataDir = Annotated[
    Path,
    typer.Argument(exists=True, file_okay=False, help="Data directory, one file per table."),
]


@data_app.command("synth")
def synth(
    out: OutDir,
    customers: Annotated[int, typer.Option(min=1, help="Number of customers.")] = 1000,
    months: Annotated[int, typer.Option(min=1, help="Months of history.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same world.")] = 0,
    start: Annotated[
        str | None, typer.Option(help="First day of history, YYYY-MM-DD (default 2023-01-01).")
    ] = None,
) -> None:
    """Synthesise a realistic accounts-receivable world as canonical Parquet.

    Customers with industries, terms and habits, a latent financial health with crises and
    defaults, invoices, partial payments, disputes, health signals and CRM deals.

    Example: arsight data synth --customers 5000 --months 36 --seed 1 --out data/world
    """
    from features.sources.synth import SynthConfig, synthesize_to_directory

    config = SynthConfig(
        customers=customers,
        months=months,
        seed=seed,
        start=date.fromisoformat(start) if start else SynthConfig.start,
    )
    summary = synthesize_to_directory(config, out, progress=True)
    console.print(summary.to_rich())
