"""The `arsight` console script: one Typer app mounting each package's commands."""

from __future__ import annotations

import logging

import typer

from features.cli import data_app, features_app
from serving.batch_cli import alerts, score
from serving.cli import serve
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
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("score")(score)
app.command("alerts")(alerts)
app.command("serve")(serve)


@app.callback()
def configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    """Set up logging once for every command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Entry point of the console script."""
    app()
