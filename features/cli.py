"""Command-line sub-apps of the features package: `arsight data ...` and `arsight features ...`.

Command bodies only parse options, call one library function and report.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.sources.cli import import_app

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

data_app.add_typer(import_app, name="import")

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
    defaults, invoices, partial payments, disputes, credit notes for returns, write-offs of
    defaulted customers' invoices, health signals and CRM deals.

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


@data_app.command("validate")
def validate(
    directory: DataDir,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write <table>.csv of rejected rows (row, reason) and problems.csv."),
    ] = None,
    clean: Annotated[
        Path | None, typer.Option(help="Write the good rows as canonical Parquet to this folder.")
    ] = None,
) -> None:
    """Check a data directory against the data contract and report every problem.

    Reads each table file (Parquet or CSV), types every column and checks every rule.

    Prints rows read, kept and rejected and extra columns per table, then the problems.

    One line per problem (the first 50; --rejects writes them all to problems.csv).

    Rows are 1-based data rows as in the file: row 1 is the first row under the CSV header.

    Exit codes: 0 the data hold the contract, 1 problems found, 2 the directory cannot be read.

    Extra columns (outside the contract) are kept and reported, but are not errors.

    Example: arsight data validate data/world --rejects data/rejects --clean data/clean
    """
    from features.errors import FeaturesError
    from features.validate import validate_directory
    from features.validate.console import print_report, write_outputs

    try:
        report = validate_directory(directory)
    except FeaturesError as err:
        console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from err
    print_report(report, Console())
    write_outputs(report, rejects, clean, Console())
    raise typer.Exit(0 if report.ok else 1)


SnapshotMode = Annotated[
    str | None,
    typer.Option(
        "--snapshots",
        help="Training frame at snapshot dates: 'month' = month ends over the history.",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="One snapshot at this date, YYYY-MM-DD (features only; with --online: the "
        "store's date).",
    ),
]


def _parse_day(text: str | None, option: str) -> date | None:
    """An ISO date option, or a one-line usage error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from err


@features_app.command("build")
def build(
    directory: DataDir,
    out: Annotated[
        Path | None, typer.Option("--out", help="Frame to write, .parquet or .csv.")
    ] = None,
    snapshots: SnapshotMode = None,
    as_of: AsOf = None,
    online: Annotated[
        bool, typer.Option("--online", help="Write the latest snapshot to the online store.")
    ] = False,
    store: Annotated[
        str | None,
        typer.Option(help="Online store path or SQLAlchemy URL (default ARSIGHT_ONLINE_STORE)."),
    ] = None,
    horizon_days: Annotated[int, typer.Option(min=1, help="Label horizon in days.")] = 30,
    grace_days: Annotated[int, typer.Option(min=0, help="Label grace days after due.")] = 0,
) -> None:
    """Build point-in-time features (and labels) from a data directory.

    --snapshots month: training frame, one row per customer and month end, with labels.

    --as-of DATE: one snapshot, features only (the same rows as in the training frame).

    --online: the latest snapshot (or the one at --as-of) into the online store.

    Example: arsight features build data/world --out frame.parquet --snapshots month

    Example: arsight features build data/world --online --store sqlite:///store.db
    """
    from features.build_command import BuildRequest, run_build
    from features.errors import FeaturesError

    day = _parse_day(as_of, "--as-of")
    request = BuildRequest(directory, out, snapshots, day, online, store, horizon_days, grace_days)
    try:
        console.print(run_build(request, console), highlight=False, markup=False, soft_wrap=True)
    except FeaturesError as err:
        console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from err


@features_app.command("list")
def list_features(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown table instead.")
    ] = False,
) -> None:
    """List every model feature: name, business label, definition and unit.

    Definitions come from the code's docstrings, labels from features/wording.py (the words the
    reasons, pages and alerts use).

    Example: arsight features list --markdown > docs/feature-list.md
    """
    from features.build_command import feature_table, feature_table_markdown

    if markdown:
        typer.echo(feature_table_markdown())
    else:
        Console().print(feature_table())
