"""Printing a `ValidationReport` for people: a summary table per table and the problems.

Used by `arsight data validate`; kept apart from the CLI so the command body stays short.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from features.tables import write_tables
from features.validate.report import ValidationReport, write_rejects

MAX_PRINTED_PROBLEMS = 50


def print_report(
    report: ValidationReport, console: Console, max_lines: int = MAX_PRINTED_PROBLEMS
) -> None:
    """Print rows read/kept/rejected and extra columns per table, then the first problems."""
    summary = RichTable(title="Data contract validation")
    summary.add_column("table")
    for header in ("rows read", "rows kept", "rows rejected"):
        summary.add_column(header, justify="right")
    summary.add_column("extra columns")
    for name, rows in report.rows_read.items():
        rejected = len(report.rejects[name]) if name in report.rejects else 0
        extra = ", ".join(report.extra_columns.get(name, [])) or "-"
        summary.add_row(name, str(rows), str(rows - rejected), str(rejected), extra)
    console.print(summary)
    for problem in report.problems[:max_lines]:
        console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    if len(report.problems) > max_lines:
        console.print(f"... and {len(report.problems) - max_lines} more", highlight=False)
    console.print(verdict(report), markup=False, highlight=False, soft_wrap=True)


def verdict(report: ValidationReport) -> str:
    """One line: whether the data hold the contract and, if not, how much does not."""
    if report.ok:
        return "OK: the data hold the contract."
    rejected = sum(len(frame) for frame in report.rejects.values())
    errors = len(report.errors)
    unusable = "; a required table is unusable" if report.tables is None else ""
    return f"FAILED: {errors} problem(s), {rejected} row(s) rejected{unusable}."


def write_outputs(
    report: ValidationReport, rejects: Path | None, clean: Path | None, console: Console
) -> None:
    """Write rejects and problems (`--rejects`) and the good rows as Parquet (`--clean`)."""
    if rejects is not None:
        paths = write_rejects(report, rejects)
        console.print(f"Rejects: wrote {len(paths)} file(s) to {rejects}", markup=False)
    if clean is None:
        return
    if report.tables is None:
        console.print("Clean tables: not written, a required table is unusable.", markup=False)
        return
    paths = write_tables(report.tables, clean)
    console.print(f"Clean tables: wrote {len(paths)} file(s) to {clean}", markup=False)
