"""`arsight report`: the reports finance and credit read (the monthly KPIs from a data
directory, the terms review from the latest nightly run)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

report_app = typer.Typer(
    help="Reports for finance and credit: the monthly collections KPIs, the terms review.",
    no_args_is_help=True,
)
console = Console(stderr=True)


def _month_end(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError as err:
        raise typer.BadParameter(f"{text!r} is not a month YYYY-MM", param_hint=option) from err
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).normalize()


@report_app.command("kpis")
def kpis(
    directory: Annotated[Path, typer.Argument(help="Data directory (the data contract).")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    start: Annotated[
        str | None, typer.Option("--from", help="First month, YYYY-MM (default: the first).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last month, YYYY-MM (default: the data end).")
    ] = None,
) -> None:
    """Monthly collections KPIs for the portfolio ("all") and each industry.

    Columns: month_end, industry, dso_days, best_possible_dso_days, average_days_delinquent,
    cei (collection effectiveness index), on_time_collection_rate, collection_rate,
    overdue_share, over_90_share, bad_debt_rate (write-offs dated in the month / invoiced in
    the month; null without a credit_notes table), open_amount, invoiced_amount,
    collected_amount, written_off_amount. Definitions: features/kpis.py.

    Example: arsight report kpis data/world --from 2025-01 --to 2025-12 --out kpis.csv
    """
    from features.errors import FeaturesError
    from features.kpis import kpis_by_month
    from features.portfolio import month_ends_of
    from features.validate import load_valid_tables

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter(
            f"{out.name}: expected a .csv or .parquet file", param_hint="--out"
        )
    first, last = _month_end(start, "--from"), _month_end(end, "--to")
    try:
        tables = load_valid_tables(directory)
    except FeaturesError as err:
        console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from err
    months = [
        m
        for m in month_ends_of(tables)
        if (first is None or m >= first) and (last is None or m <= last)
    ]
    if not months:
        console.print(f"error: no month of {directory} falls in the range", markup=False)
        raise typer.Exit(2)
    frame = kpis_by_month(tables, months)
    write_report(frame, out)
    console.print(f"{len(months)} months x {frame['industry'].nunique()} groups -> {out}")


def write_report(frame: pd.DataFrame, out: Path) -> None:
    """`frame` as CSV or Parquet by the suffix, renamed into place only when complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    if out.suffix == ".csv":
        frame.to_csv(partial, index=False, float_format="%.6f")
    else:
        frame.to_parquet(partial, index=False)
    os.replace(partial, out)


def _check_suffix(out: Path) -> None:
    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter(
            f"{out.name}: expected a .csv or .parquet file", param_hint="--out"
        )


@report_app.command("terms-review")
def terms_review(
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    runs_dir: Annotated[
        Path | None,
        typer.Option(help="Nightly runs directory (default: ARSIGHT_RUNS_DIR below home)."),
    ] = None,
) -> None:
    """Customers whose terms should change, from the latest nightly run: cuts where the tier
    caps the agreed terms, rewards for punctual customers with large monthly orders (+15 days by
    default), the high-value stable flag, each with its reason (`terms_review:` in the policy).

    Exit codes: 0 written, 2 no completed run with a terms review.

    Example: arsight report terms-review --out review.csv
    """
    from serving.batch.runs import find_runs
    from serving.settings import get_serving_settings

    _check_suffix(out)
    settings = get_serving_settings()
    directory = runs_dir or settings.resolve(settings.runs_dir)
    runs = [r for r in find_runs(directory) if r.paths.terms_review.is_file()]
    if not runs:
        console.print(f"error: no nightly run with a terms review in {directory}", markup=False)
        raise typer.Exit(2)
    frame = pd.read_parquet(runs[-1].paths.terms_review)
    write_report(frame, out)
    kinds = frame["kind"].value_counts()
    console.print(
        f"run {runs[-1].as_of}: {kinds.get('cut', 0)} cuts, {kinds.get('reward', 0)} rewards "
        f"-> {out}",
        markup=False,
    )
