"""The main job end to end on embedded defaults: what `make demo` runs.

One pass through everything arsight does, in the order a company would use it:
synthesise a ledger -> validate it -> portfolio summary -> point-in-time features and the online
store -> train, backtest, register and promote a model -> two nightly batch scoring jobs (the
second one raises early warnings against the first) -> serve the API on 127.0.0.1 with demo keys.

Everything lives below `ARSIGHT_HOME` (the Makefile uses `.demo/`) in the embedded layout of
`features.locations` (data in `data/`, the SQLite MLflow store under `models/`, the online store,
the audit database under `audit/`, batch runs under `runs/`), so `arsight serve` or
`arsight score` run later with the same `ARSIGHT_HOME` find everything the demo made. The demo
configures each package by building its settings object for that home (nothing is written to
the environment). This module is the composition root, the one place that calls both
`training` and `serving`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from features.build import online_frame
from features.invoice_store import write_invoice_store
from features.portfolio import portfolio_by_month
from features.settings import FeaturesSettings
from features.sources.synth import SynthConfig, synthesize_to_directory
from features.store import write_online_store
from features.tables import Tables
from features.validate import ValidationReport, validate_directory

if TYPE_CHECKING:
    from serving.settings import ServingSettings


@dataclass(frozen=True)
class DemoOptions:
    """Size and budget of the demo; the defaults take a few minutes on two cores."""

    home: Path
    customers: int = 2000
    months: int = 36
    seed: int = 7
    trials: int = 8
    serve: bool = True
    port: int = 8000


@dataclass(frozen=True)
class DemoKeys:
    """API keys the demo sets up for each role, printed for the user."""

    risk: str
    crm: str
    collections: str
    admin: str

    def as_setting(self) -> str:
        return f"risk:{self.risk},crm:{self.crm},collections:{self.collections},admin:{self.admin}"


def demo_keys() -> DemoKeys:
    """Fresh random API keys for the four roles."""
    roles = ("risk", "crm", "collections", "admin")
    return DemoKeys(*(f"demo-{role}-{secrets.token_hex(8)}" for role in roles))


def serving_settings(options: DemoOptions, keys: DemoKeys) -> ServingSettings:
    """The server's and the batch job's settings for the demo home, with the demo keys.

    Anything not given here still comes from the environment (a `MLFLOW_TRACKING_URI` or an
    `ARSIGHT_AUDIT_DB_URL` the user set is honoured), exactly as for `arsight serve`.
    """
    from serving.settings import ServingSettings

    return ServingSettings(home=options.home, api_keys=keys.as_setting(), port=options.port)


def synthesise_and_validate(options: DemoOptions, console: Console) -> tuple[Tables, Path]:
    """Write the synthetic world and load it back through the data contract."""
    data_dir = FeaturesSettings(home=options.home).data_directory
    config = SynthConfig(customers=options.customers, months=options.months, seed=options.seed)
    console.rule("1. Synthesise a ledger")
    console.print(synthesize_to_directory(config, data_dir, progress=True).to_rich())
    console.rule("2. Validate it against the data contract")
    report = validate_directory(data_dir)
    console.print(validation_table(report))
    if not report.ok or report.tables is None:
        raise SystemExit(f"validation failed: {len(report.problems)} problems in {data_dir}")
    return report.tables, data_dir


def validation_table(report: ValidationReport) -> Table:
    """Rows kept and rejected per table."""
    table = Table(title="Validation", show_lines=False)
    for column in ("table", "rows kept", "rows rejected"):
        table.add_column(column, justify="left" if column == "table" else "right")
    assert report.tables is not None
    for name, frame in report.tables.items():
        rejected = len(report.rejects.get(name, ()))
        table.add_row(name, f"{len(frame):,}", f"{rejected:,}")
    return table


def portfolio_table(tables: Tables) -> Table:
    """Customers, invoices, late share and portfolio DSO by month (the last 12 months)."""
    monthly = portfolio_by_month(tables).tail(12)
    late = tables.invoices["cleared_date"] > tables.invoices["due_date"]
    cleared = tables.invoices["cleared_date"].notna()
    title = (
        f"Portfolio: {len(tables.customers):,} customers, {len(tables.invoices):,} invoices, "
        f"late share {late[cleared].mean():.1%} of cleared invoices"
    )
    table = Table(title=title)
    for column in ("month end", "open amount", "sales 90d", "DSO days", "late share"):
        table.add_column(column, justify="right")
    for row in monthly.itertuples():
        table.add_row(
            f"{row.month_end:%Y-%m-%d}",
            f"{row.open_amount:,.0f}",
            f"{row.sales_90d:,.0f}",
            f"{row.dso_days:.1f}",
            "-" if pd.isna(row.late_share_count) else f"{row.late_share_count:.1%}",
        )
    return table


def refresh_online_store(tables: Tables, options: DemoOptions, console: Console) -> pd.Timestamp:
    """Materialise the latest snapshot per customer into the online store."""
    console.rule("4. Online feature store")
    frame = online_frame(tables)
    location = FeaturesSettings(home=options.home).online_store_location
    as_of = pd.Timestamp(frame["as_of"].max())
    write_invoice_store(tables, as_of, location)
    write_online_store(frame, location)
    console.print(f"{len(frame):,} customers as of {as_of:%Y-%m-%d} -> {location}")
    return as_of


def build_training(
    tables: Tables, options: DemoOptions, console: Console
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The labelled month-end snapshot frame, written beside the data for inspection."""
    from training.workflow import DEFAULT_DEFINITION, build_frame

    console.rule("3. Point-in-time training frame")
    frame, end = build_frame(tables, None, DEFAULT_DEFINITION)
    path = options.home / "features" / "training.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    console.print(
        f"{len(frame):,} rows ({frame['as_of'].nunique()} month-end snapshots) x "
        f"{frame.shape[1]} columns -> {path}"
    )
    return frame, end


def train_model(
    tables: Tables,
    frame: pd.DataFrame,
    end: pd.Timestamp,
    options: DemoOptions,
    console: Console,
) -> str:
    """Backtest, tune, register and promote the customer, credit and invoice models; print the
    model card."""
    from training.dataset import tables_known_by
    from training.invoice_data import build_invoice_rows
    from training.registration import train_frame_and_register
    from training.settings import TrainingSettings
    from training.tune import follow_application_log_level
    from training.workflow import DEFAULT_DEFINITION

    follow_application_log_level()
    console.rule("5. Train, backtest, register and promote")
    settings = TrainingSettings(home=options.home, trials=options.trials, seed=options.seed)
    known = tables_known_by(tables, end)
    invoices = build_invoice_rows(known, frame, settings.invoice_max_rows, settings.seed)
    status = f"tuning ({options.trials} trials), backtesting {settings.folds} folds, fitting"
    with console.status(status):
        result = train_frame_and_register(
            frame,
            settings,
            end,
            DEFAULT_DEFINITION,
            trials=options.trials,
            promote=True,
            invoices=invoices,
        )
    console.print(
        Panel(result.model_card, title=f"Model card: {result.model_name} v{result.version}")
    )
    console.print(f"promoted to champion: {result.promoted} ({result.promotion_reason})")
    return result.version


def score_portfolio(
    data_dir: Path,
    as_of: pd.Timestamp,
    settings: ServingSettings,
    first_customer: str,
    console: Console,
) -> None:
    """Two nightly jobs a month apart, so the second raises early warnings against the first;
    then the tier mix and a few customers of the second as a risk officer reads them."""
    from arsight.demo_report import print_scoring_report
    from serving.batch.cli import show_alerts
    from serving.batch.job import run_batch
    from serving.batch.types import BatchRequest

    for day in (as_of - pd.offsets.MonthEnd(1), as_of):
        console.rule(f"6. Batch scoring as of {day:%Y-%m-%d}")
        out = settings.resolve(settings.runs_dir) / f"{day:%Y-%m-%d}" / "scores.parquet"
        result = run_batch(
            BatchRequest(directory=data_dir, as_of=day.date(), out=out, force=True), settings
        )
        tiers = ", ".join(f"{tier} {count:,}" for tier, count in result.tier_counts.items())
        console.print(
            f"{result.rows:,} customers scored ({result.not_scored:,} not scored): {tiers}"
        )
        console.print(f"{result.alerts:,} early warnings -> {result.paths.directory}")
    print_scoring_report(result.paths.scores, first_customer, console)
    show_alerts(settings, limit=10)


def curl_examples(keys: DemoKeys, port: int, customer_id: str) -> str:
    """Ready-to-paste requests against the demo server (a new customer's deal among them)."""
    base = f"http://127.0.0.1:{port}"
    auth = f'-H "Authorization: Bearer {keys.crm}"'
    json_header = '-H "Content-Type: application/json"'
    return "\n\n".join(
        [
            f"curl -s {base}/v1/scores {auth} {json_header} "
            f'-d \'{{"customer_ids": ["{customer_id}"]}}\'',
            f"curl -s {base}/v1/deals/assess {auth} {json_header} "
            f'-d \'{{"customer_id": "{customer_id}", "amount": 25000, '
            f'"payment_terms_days": 60}}\'',
            f'curl -s {base}/v1/customers/{customer_id} -H "Authorization: Bearer {keys.risk}"',
            f"curl -s {base}/v1/deals/assess {auth} {json_header} "
            '-d \'{"customer_id": "NEW-0001", "amount": 10000, "payment_terms_days": 30, '
            '"segment": "medium", "signals": {"lawsuits_open": 0}}\'',
            f"curl -s '{base}/v1/collections/actions?status=open' "
            f'-H "Authorization: Bearer {keys.collections}"',
        ]
    )


def run_demo(options: DemoOptions, console: Console | None = None) -> None:
    """Run the whole main job; serve until Ctrl-C when `options.serve`."""
    console = console or Console()
    options.home.mkdir(parents=True, exist_ok=True)
    keys = demo_keys()
    settings = serving_settings(options, keys)
    tables, data_dir = synthesise_and_validate(options, console)
    console.print(portfolio_table(tables))
    frame, end = build_training(tables, options, console)
    as_of = refresh_online_store(tables, options, console)
    train_model(tables, frame, end, options, console)
    customer_id = str(tables.customers["customer_id"].iloc[0])
    score_portfolio(data_dir, as_of, settings, customer_id, console)
    from arsight.demo_desk import credit_desk, policy_what_if

    console.print("Credit desk (the API, in process):", highlight=False)
    credit_desk(settings, {"crm": keys.crm, "risk": keys.risk}, customer_id, console)
    policy_what_if(settings, tables, as_of, console)
    console.rule("7. Serve")
    console.print(
        f"demo keys: risk={keys.risk}  crm={keys.crm}  collections={keys.collections}  "
        f"admin={keys.admin}\n"
        f"pages: http://127.0.0.1:{options.port}/  API docs: http://127.0.0.1:{options.port}/docs"
    )
    console.print(curl_examples(keys, options.port, customer_id), soft_wrap=True, highlight=False)
    console.print(
        f"Later, `ARSIGHT_HOME={options.home} arsight serve` serves the same home "
        "(set ARSIGHT_API_KEYS for keys).",
        soft_wrap=True,
        highlight=False,
    )
    if options.serve:
        from serving.cli import run_server

        run_server(settings, host="127.0.0.1", port=options.port)
