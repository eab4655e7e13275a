"""The `arsight` console script: one Typer app mounting each package's commands."""

from __future__ import annotations

import logging
import os

import typer

from arsight.report import report_app
from features.cli import data_app, features_app
from serving.batch.cli import alerts, score
from serving.cli import serve
from serving.notifications.cli import notify
from serving.policy_cli import policy_app
from training.cli import evaluate, train

app = typer.Typer(
    name="arsight",
    help=(
        "Receivables risk: which customers will pay late, where their DSO is heading, and "
        "whether a deal should be approved.\n\n"
        "Example: arsight data synth --customers 500 --months 24 --seed 7 --out data/world"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(features_app, name="features")
app.add_typer(report_app, name="report")
app.add_typer(policy_app, name="policy")
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("score")(score)
app.command("alerts")(alerts)
app.command("serve")(serve)
app.command("notify")(notify)


@app.callback()
def configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """Set up logging once for every command."""
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # MLflow and Optuna attach their own INFO handlers ("Creating initial MLflow database
    # tables...", one line per trial; tuning commands quiet Optuna with
    # `training.tune.follow_application_log_level`). MLflow sets its
    # level from MLFLOW_LOGGING_LEVEL when it is imported, which may happen after this.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(level))
    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(level)


@app.command("demo")
def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API at the end."),
    customers: int = typer.Option(2000, min=50, help="Customers in the synthetic world."),
    months: int = typer.Option(36, min=12, help="Months of history."),
    seed: int = typer.Option(7, help="Seed of the synthetic world and of training."),
    trials: int = typer.Option(8, min=0, help="Optuna trials (0: default parameters)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to serve on."),
) -> None:
    """Run the main job end to end on embedded defaults, then serve it.

    Synthesises a ledger, validates it, prints a portfolio summary, builds point-in-time
    features and the online store, trains, backtests, registers and promotes a model (model
    card printed), runs two nightly batch jobs (alerts printed), then serves the API on
    127.0.0.1 with demo keys and ready-to-paste curl commands. Everything is written below
    ARSIGHT_HOME (default: the current directory; `make demo` uses .demo/).

    Example: arsight demo --no-serve --customers 500 --trials 2
    """
    from pathlib import Path

    from arsight.demo import DemoOptions, run_demo

    home = Path(os.environ.get("ARSIGHT_HOME", "."))
    run_demo(DemoOptions(home, customers, months, seed, trials, serve, port))


def main() -> None:
    """Entry point of the console script.

    MLflow 3 reports usage to its vendor over the network unless told not to; arsight runs on
    machines that must not call out, so the entry point opts out before anything loads MLflow.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    # MLflow's per-file download bars flood a terminal for a bundle of five small files.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    app()
