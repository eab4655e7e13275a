"""Commands of the training package: `arsight train` and `arsight evaluate`.

Exported as plain functions; the root app mounts them with `app.command("train")(train)`.
Command bodies parse options, call one library function and report. Expected failures (bad
data, too short a history, unknown model URI) exit 1 with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from features.errors import FeaturesError
from models.errors import ModelError
from training.errors import TrainingError

console = Console()
errors = Console(stderr=True)

DataDir = Annotated[
    Path, typer.Argument(exists=True, file_okay=False, help="Data directory, one file per table.")
]
DATE_FORMATS = ["%Y-%m-%d"]
SHOWN = ("auc", "pr_auc", "brier", "ece", "lift_top_decile", "dso_mae", "dso_coverage_p10_p90")


@contextmanager
def failures_exit() -> Iterator[None]:
    """Turn the packages' own errors into a one-line message and exit code 1."""
    try:
        yield
    except (FeaturesError, ModelError, TrainingError) as err:
        errors.print(f"error: {err}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from err


def metrics_table(title: str, rows: dict[str, dict[str, float]]) -> Table:
    """A rich table of the headline metrics, one row per model."""
    table = Table(title=title)
    table.add_column("model")
    for name in SHOWN:
        table.add_column(name, justify="right")
    for model, metrics in rows.items():
        table.add_row(model, *(f"{metrics[n]:.3f}" if n in metrics else "" for n in SHOWN))
    return table


def train(
    directory: DataDir,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Train as if today were this date."),
    ] = None,
    trials: Annotated[int | None, typer.Option(min=0, help="Optuna trials (0: defaults).")] = None,
    timeout: Annotated[float | None, typer.Option(min=1, help="Seconds for the search.")] = None,
    promote: Annotated[
        bool, typer.Option("--promote/--no-promote", help="Move champion here if it wins.")
    ] = False,
) -> None:
    """Train, backtest against baselines, register as challenger, optionally promote.

    Example: arsight train data/world --as-of 2025-06-30 --trials 30 --promote
    """
    from features.validate import load_valid_tables
    from training.registration import train_and_register
    from training.settings import get_training_settings
    from training.tune import follow_application_log_level

    follow_application_log_level()
    with failures_exit():
        tables = load_valid_tables(directory)
        cutoff = pd.Timestamp(as_of) if as_of else None
        result = train_and_register(
            tables, get_training_settings(), cutoff, trials, timeout, promote
        )
    console.print(
        metrics_table("Last backtest fold", {"model": result.metrics, **result.baseline_metrics})
    )
    console.print(f"{result.model_name} version {result.version} (run {result.run_id}): challenger")
    if promote:
        verdict = "promoted to champion" if result.promoted else "not promoted"
        console.print(f"{verdict}: {result.promotion_reason}")


def evaluate(
    directory: DataDir,
    model_uri: Annotated[str, typer.Option(help="e.g. models:/arsight@champion")],
    date_from: Annotated[datetime, typer.Option("--from", formats=DATE_FORMATS, help="First day.")],
    date_to: Annotated[datetime, typer.Option("--to", formats=DATE_FORMATS, help="Last day.")],
) -> None:
    """Score the month-end snapshots in a window with a registered model; report its metrics.

    Example: arsight evaluate data/world --model-uri models:/arsight@champion
    --from 2025-01-01 --to 2025-06-30
    """
    from features.validate import load_valid_tables
    from training.scoring import evaluate_window
    from training.settings import get_training_settings
    from training.tracking import load_model, open_store

    with failures_exit():
        bundle = load_model(open_store(get_training_settings()), model_uri)
        start, end = pd.Timestamp(date_from), pd.Timestamp(date_to)
        report = evaluate_window(load_valid_tables(directory), bundle, start, end)
    title = f"{model_uri}, {start.date()} to {end.date()} ({report['snapshots']} snapshots)"
    console.print(metrics_table(title, {"model": report["metrics"]}))
