"""Commands of the batch job: `arsight score` and `arsight alerts`.

Exported as plain functions; the root app mounts them with `app.command("score")(score)`.
Settings (model registry, online store, audit database, policy) come from the serving
settings (`ARSIGHT_*`, `MLFLOW_TRACKING_URI`), as for `arsight serve`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from serving.batch.engine import Engine
    from serving.batch.types import BatchRequest
    from serving.settings import ServingSettings

console = Console()
errors = Console(stderr=True)

SCORE_HELP = "\n\n".join(
    [
        "Score every customer as of DATE with the champion model.",
        "Writes FILE (one row per customer: scores, tier, previous tier, reasons, expected "
        "overdue amount, recommended terms, or why it was not scored) and beside it "
        "alerts.parquet, worklist.parquet, worklist_invoices.parquet, contributions.parquet "
        "and rejects.csv; refreshes the online store; records alerts in the audit database "
        "and the run in MLflow (experiment arsight-scoring). Outputs are renamed into place "
        "when complete; a rerun skips unless --force.",
        "Exit codes:",
        "0: written, or skipped because FILE exists;",
        "1: more input rows rejected than --max-reject-share (see rejects.csv);",
        "2: bad input: data contract, options or policy;",
        "3: model registry, MLflow or audit database unavailable.",
        "Example: arsight score data/world --as-of 2026-11-23 --out runs/2026-11-23/scores.parquet",
    ]
)


def score(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Data directory, one file a table.")
    ],
    as_of: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="Score as of this date (YYYY-MM-DD).")
    ],
    out: Annotated[Path, typer.Option(help="Scores file (.parquet); a directory with Spark.")],
    force: Annotated[bool, typer.Option("--force", help="Rewrite existing outputs.")] = False,
    chunk_size: Annotated[int, typer.Option(min=1, help="Rows scored at once.")] = 10_000,
    max_reject_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fail above this share of rejected rows.")
    ] = 0.05,
    previous: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Previous run's scores file.")
    ] = None,
    online_store: Annotated[
        bool, typer.Option("--online-store/--no-online-store", help="Refresh the online store.")
    ] = True,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Log the run (and PSI) to MLflow.")
    ] = True,
    engine: Annotated[
        Literal["pandas", "spark"],
        typer.Option(help="pandas: one process; spark: Spark, FILE a directory (docs/spark.md)."),
    ] = "pandas",
    master: Annotated[
        str | None, typer.Option(help="Spark master URL; default SPARK_MASTER, else local[*].")
    ] = None,
    beyond_data: Annotated[
        bool,
        typer.Option(
            "--allow-as-of-beyond-data",
            help="Score even when DATE is more than the 30-day horizon after the data's last fact.",
        ),
    ] = False,
) -> None:
    from serving.batch.types import BatchRequest

    if out.suffix != ".parquet":
        errors.print(f"error: --out {out}: expected a .parquet file", markup=False)
        raise typer.Exit(2)
    request = BatchRequest(
        directory, as_of.date(), out, force, chunk_size, max_reject_share, previous,
        online_store, track, beyond_data,
    )  # fmt: skip
    _run_and_report(request, engine, master)


score.__doc__ = SCORE_HELP


def _run_and_report(request: BatchRequest, engine: Engine, master: str | None) -> None:
    """Run the job with a progress bar on stderr, then print its one-line summary."""
    from serving.batch.engine import run_scoring
    from serving.batch.types import BatchError
    from serving.settings import get_serving_settings

    with _progress() as progress:
        task = progress.add_task("scoring", total=None)
        try:
            result = run_scoring(
                engine,
                master,
                request,
                get_serving_settings(),
                lambda done, total: progress.update(task, completed=done, total=total),
            )
        except BatchError as err:
            progress.stop()
            errors.print(f"error: {err}", markup=False, soft_wrap=True)
            raise typer.Exit(int(err.exit_code)) from err
    tiers = ", ".join(f"{k} {v}" for k, v in result.tier_counts.items())
    console.print(
        f"{result.paths.scores}: {result.status}; {result.rows} customers, "
        f"{result.not_scored} not scored, {result.alerts} alerts; {tiers}",
        markup=False,
    )
    pushed = result.notifications
    if pushed is not None:
        console.print(
            f"webhook: {pushed.delivered} events delivered, {pushed.dead} dead "
            f"({pushed.requests} requests)",
            markup=False,
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


def alerts(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many alerts.")] = 50,
) -> None:
    """List the early warnings of the latest scoring run (tier worsened), worst first.

    Example: arsight alerts --limit 20
    """
    from serving.settings import get_serving_settings

    show_alerts(get_serving_settings(), limit)


def show_alerts(settings: ServingSettings, limit: int) -> None:
    """Print the latest run's early warnings from the audit database of `settings`."""
    from serving.audit import AuditLog
    from serving.batch.alerts import latest_alerts

    audit = AuditLog(settings.audit_url)
    audit.migrate()
    frame = latest_alerts(audit.engine)
    audit.dispose()
    if frame.empty:
        console.print("no alerts recorded yet: run `arsight score` first")
        return
    table = Table(title=f"{len(frame)} alert(s) as of {frame['as_of'].iloc[0]}")
    for column in ("customer", "tier", "credit risk", "what changed"):
        table.add_column(column)
    for row in frame.head(limit).itertuples(index=False):
        movers = "; ".join(
            f"{m.get('text', m['feature'])} ({m['contribution_change'] * 100:+.1f} pts)"
            for m in row.movers
        )
        table.add_row(
            str(row.customer_id),
            f"{row.previous_risk_tier} -> {row.risk_tier}",
            _risk_change(row.previous_delinquency_probability, row.delinquency_probability),
            movers,
        )
    console.print(table)


def _risk_change(before: float | None, now: float | None) -> str:
    """ "2% -> 9%", or "n/a" for alerts recorded before the credit model decided tiers."""
    if before is None or now is None or before != before or now != now:
        return "n/a"
    return f"{before:.0%} -> {now:.0%}"
