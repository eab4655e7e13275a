"""What the portfolio page shows, read from the batch job's outputs and the data directory.

The batch job (`arsight score`) writes one directory per run below the runs directory
(`runs/<date>/scores.parquet` plus alerts.parquet and worklist.parquet beside it, see
`serving.batch.outputs`; `serving.batch.runs.find_runs` lists them); the scores file's metadata
carries the run's tier counts and expected overdue amount. The page shows the latest run and
compares its tier counts with the run before. The portfolio DSO trend is
`features.portfolio.portfolio_by_month` over the data directory, the same definition as the
customer feature, cached until a table file changes.
Whatever is missing is returned as a plain sentence for the page, never raised.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from features.errors import FeaturesError
from features.kpis import PORTFOLIO, kpis_by_month
from features.portfolio import month_ends_of, portfolio_by_month
from features.validate import validate_directory
from serving.batch.runs import Run, find_runs
from serving.cash import portfolio_cash
from serving.policy import TIERS

logger = logging.getLogger(__name__)

TREND_MONTHS = 24
ALERTS_SHOWN = 25
AT_RISK_SHOWN = 15
SORTABLE = {
    "rank": "rank",
    "customer": "customer_id",
    "tier": "tier_rank",
    "probability": "overdue_probability",
    "expected": "expected_overdue_amount",
    "open": "open_amount",
    "overdue": "overdue_amount",
    "oldest": "oldest_overdue_days",
}
"""Worklist sort keys accepted in the query string -> column."""

KPI_PANEL = (
    ("dso_days", "DSO", "days"),
    ("best_possible_dso_days", "Best-possible DSO", "days"),
    ("average_days_delinquent", "Average days delinquent", "days"),
    ("cei", "Collection effectiveness index", "share"),
    ("on_time_collection_rate", "Collected on time (of the amount due)", "share"),
    ("collection_rate", "Collection rate", "share"),
    ("overdue_share", "Overdue share of receivables", "share"),
    ("over_90_share", "Over 90 days past due", "share"),
)
"""The KPIs on the portfolio page: (column of features.kpis, label, how the value is written)."""


@dataclass(frozen=True)
class TierCount:
    """Customers in a tier in the latest run and the change since the run before."""

    tier: str
    count: int
    change: int | None


@dataclass
class PortfolioView:
    """Everything the portfolio page renders; `notes` says plainly what is missing."""

    latest: Run | None = None
    previous: Run | None = None
    tiers: list[TierCount] = field(default_factory=list)
    expected_overdue_amount: float | None = None
    alerts: pd.DataFrame | None = None
    alerts_total: int = 0
    worklist: pd.DataFrame | None = None
    worklist_total: int = 0
    at_risk_invoices: pd.DataFrame | None = None
    trend: pd.DataFrame | None = None
    kpis: pd.DataFrame | None = None
    cash_forecast: pd.DataFrame | None = None
    cash_received: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def kpi_rows(self) -> list[dict[str, object]]:
        """The portfolio's KPIs of the last month with the change on the month before."""
        if self.kpis is None or self.kpis.empty:
            return []
        portfolio = self.kpis[self.kpis["industry"] == PORTFOLIO].set_index("month_end")
        latest = portfolio.iloc[-1]
        before = portfolio.iloc[-2] if len(portfolio) > 1 else None
        return [
            {
                "name": name,
                "label": label,
                "style": style,
                "value": latest[name],
                "change": None if before is None else latest[name] - before[name],
            }
            for name, label, style in KPI_PANEL
        ]

    def alert_rows(self) -> list[dict[str, object]]:
        """Early warnings as records, `movers` parsed from its JSON text."""
        if self.alerts is None:
            return []
        rows = self.alerts.to_dict(orient="records")
        return [r | {"movers": json.loads(str(r["movers"]))} for r in rows]

    def worklist_rows(self) -> list[dict[str, object]]:
        """The shown part of the worklist as records."""
        if self.worklist is None:
            return []
        return [{str(k): v for k, v in r.items()} for r in self.worklist.to_dict(orient="records")]


def tier_counts(latest: Run, previous: Run | None) -> list[TierCount]:
    """Counts per tier, worst last, with the change against `previous` (None without one)."""
    now = latest.tier_counts()
    before = previous.tier_counts() if previous is not None else None
    return [TierCount(t, now[t], None if before is None else now[t] - before[t]) for t in TIERS]


def sorted_worklist(frame: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """The worklist ordered by an accepted key (unknown keys fall back to rank), ties by rank."""
    column = SORTABLE.get(sort, "rank")
    ranked = frame.assign(tier_rank=frame["risk_tier"].map({t: i for i, t in enumerate(TIERS)}))
    ordered = ranked.sort_values(
        [column, "rank"], ascending=[not descending, True], kind="stable", na_position="last"
    )
    return ordered.drop(columns="tier_rank")


def worst_first(alerts: pd.DataFrame) -> pd.DataFrame:
    """Early warnings by current tier (red first), then by how much the probability rose."""
    ranked = alerts.assign(tier_rank=alerts["risk_tier"].map({t: i for i, t in enumerate(TIERS)}))
    ordered = ranked.sort_values(
        ["tier_rank", "probability_change", "customer_id"],
        ascending=[False, False, True],
        kind="stable",
    )
    return ordered.drop(columns="tier_rank").reset_index(drop=True)


def _read(path: Path, what: str, notes: list[str]) -> pd.DataFrame | None:
    if not path.is_file():
        notes.append(f"The latest run has no {what} ({path.name} is missing).")
        return None
    return pd.read_parquet(path)


def build_portfolio_view(
    runs_dir: Path, data_dir: Path, sort: str = "rank", descending: bool = False, limit: int = 100
) -> PortfolioView:
    """The portfolio page's content from the runs and data directories."""
    view = PortfolioView()
    runs = find_runs(runs_dir)
    if not runs:
        view.notes.append(
            f"No scoring run found in {runs_dir}: run `arsight score DIR --as-of DATE "
            f"--out {runs_dir}/DATE/scores.parquet` to see tiers, early warnings and the worklist."
        )
    else:
        view.latest = runs[-1]
        view.previous = runs[-2] if len(runs) > 1 else None
        view.tiers = tier_counts(view.latest, view.previous)
        view.expected_overdue_amount = view.latest.expected_overdue_amount()
        alerts = _read(view.latest.paths.alerts, "early warnings", view.notes)
        if alerts is not None:
            view.alerts_total = len(alerts)
            view.alerts = worst_first(alerts).head(ALERTS_SHOWN)
        worklist = _read(view.latest.paths.worklist, "collections worklist", view.notes)
        if worklist is not None:
            view.worklist_total = len(worklist)
            view.worklist = sorted_worklist(worklist, sort, descending).head(limit)
        if view.latest.paths.invoices.is_file():
            view.at_risk_invoices = likely_over_30(pd.read_parquet(view.latest.paths.invoices))
        view.cash_forecast, view.cash_received = portfolio_cash(view.latest)
    trend = portfolio_trend(data_dir)
    if isinstance(trend, str):
        view.notes.append(trend)
    else:
        view.trend, view.kpis = trend
    return view


def likely_over_30(invoices: pd.DataFrame, shown: int = AT_RISK_SHOWN) -> pd.DataFrame:
    """The open invoices most likely to be paid more than 30 days late (or never), by that
    probability and then amount at stake, with `p_late_over_30` added."""
    over = invoices[["p_late_31_60", "p_late_61_90", "p_late_over_90"]].sum(axis=1)
    ranked = invoices.assign(p_late_over_30=over, at_stake=over * invoices["open_amount"])
    ranked = ranked.sort_values(
        ["p_late_over_30", "at_stake", "invoice_id"], ascending=[False, False, True]
    )
    return ranked.head(shown).reset_index(drop=True)


def portfolio_trend(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """Portfolio DSO by month end (last 24 months) and the KPIs of the last two months, or a
    sentence saying why there are none."""
    if not data_dir.is_dir():
        return (
            f"No portfolio DSO trend: data directory {data_dir} not found "
            "(set ARSIGHT_DATA_DIR to the canonical data directory)."
        )
    files = sorted(p for p in data_dir.iterdir() if p.suffix in (".parquet", ".csv"))
    signature = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _cached_trend(str(data_dir), signature)


@lru_cache(maxsize=4)
def _cached_trend(
    directory: str, signature: tuple[tuple[str, int, int], ...]
) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """`portfolio_trend` for one state of the directory (`signature` is the cache key)."""
    del signature  # only part of the cache key
    try:
        report = validate_directory(Path(directory))
    except FeaturesError as exc:
        return f"No portfolio DSO trend: {exc}"
    if report.tables is None:
        return f"No portfolio DSO trend: the tables in {directory} break the data contract."
    trend = portfolio_by_month(report.tables)
    logger.info("portfolio trend computed over %d month ends from %s", len(trend), directory)
    kpis = kpis_by_month(report.tables, list(month_ends_of(report.tables)[-2:]))
    return trend.tail(TREND_MONTHS).reset_index(drop=True), kpis
