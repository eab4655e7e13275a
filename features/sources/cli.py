"""`arsight data import ...`: turn a ledger or an ERP export into validated canonical Parquet.

Each command maps its source, validates it, writes `<out>/<table>.parquet` and every rejected
row to `<out>/rejects/<table>.csv` with its reason, and prints rows in / written / rejected per
table. It exits 1 with a one-line message when the source cannot be imported (a required
table missing, unusable or left without a row, a file that cannot be read: the rejects are
written all the same, the tables are not), or when the share of rejected invoices exceeds
--max-reject-share (the files are written all the same, so the rejects can be read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from features.errors import FeaturesError, ImportRefused

if TYPE_CHECKING:
    from features.sources.importing import ImportResult

import_app = typer.Typer(
    help=(
        "Import a ledger into canonical Parquet: the IBM late-payment file, canonical "
        "tables, or any ERP export through a YAML mapping.\n\n"
        "Example: arsight data import csv export.csv --mapping mapping.yaml --out data/erp"
    ),
    no_args_is_help=True,
)

console = Console(stderr=True)

OutDir = Annotated[
    Path, typer.Option("--out", help="Directory to write canonical Parquet and rejects/ to.")
]
SourceFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="The export file (CSV).")
]
MaxRejectShare = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Exit 1 when more than this share of invoice rows is rejected (1 = never).",
    ),
]


def _run(importer: Callable[[], ImportResult], max_reject_share: float) -> None:
    """Run an import, print its counts; one-line error and exit 1 on failure."""
    try:
        result = importer()
    except (FeaturesError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True, markup=True, highlight=False)
        if isinstance(exc, ImportRefused) and exc.reject_files:
            folder = exc.reject_files[0].parent
            console.print(
                f"nothing imported; rejected rows, each with its reason: see {folder}/",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(1) from None
    console.print(result.to_rich())
    console.print(f"canonical tables written to {result.out_dir}/", highlight=False, soft_wrap=True)
    for table, columns in result.extra_columns.items():
        console.print(
            f"{table}: extra columns kept as read: {columns}", highlight=False, soft_wrap=True
        )
    if result.total_rejected:
        folder = result.out_dir / "rejects"
        console.print(
            f"{result.total_rejected:,} row(s) rejected, each with its reason: see {folder}/",
            highlight=False,
            soft_wrap=True,
        )
    invoices_in = result.rows_in.get("invoices", 0)
    share = result.rows_rejected.get("invoices", 0) / invoices_in if invoices_in else 0.0
    if share > max_reject_share:
        console.print(
            f"[red]error:[/red] {share:.1%} of invoice rows rejected, above "
            f"--max-reject-share {max_reject_share:.1%}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


@import_app.command("ibm-ar")
def ibm_ar(path: SourceFile, out: OutDir, max_reject_share: MaxRejectShare = 1.0) -> None:
    """Import IBM's "late payment histories" ledger (WA_Fn-UseC_-Accounts-Receivable.csv).

    DaysToSettle and DaysLate are checked against the dates; rows that disagree are rejected.

    Example: arsight data import ibm-ar WA_Fn-UseC_-Accounts-Receivable.csv --out data/ibm
    """
    from features.sources.ibm_ar import import_ibm_ar

    _run(lambda: import_ibm_ar(path, out), max_reject_share)


@import_app.command("canonical")
def canonical(
    path: Annotated[
        Path,
        typer.Argument(exists=True, file_okay=False, help="Directory, one CSV/Parquet per table."),
    ],
    out: OutDir,
    max_reject_share: MaxRejectShare = 1.0,
) -> None:
    """Validate tables already in the canonical layout and write them as typed Parquet.

    Example: arsight data import canonical exports/warehouse --out data/warehouse
    """
    from features.sources.canonical import import_canonical

    _run(lambda: import_canonical(path, out), max_reject_share)


@import_app.command("csv")
def csv(
    path: SourceFile,
    mapping: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="YAML mapping (see docs/importers.md)."),
    ],
    out: OutDir,
    max_reject_share: MaxRejectShare = 1.0,
) -> None:
    """Import an ERP export (CSV) through a YAML column mapping.

    Example: arsight data import csv fbl5n.csv --mapping examples/mappings/sap_fbl5n.yaml --out sap
    """
    from features.sources.mapped_csv import import_mapped_csv

    _run(lambda: import_mapped_csv(path, mapping, out), max_reject_share)
