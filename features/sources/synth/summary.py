"""What was synthesised: row counts, history span and the portfolio's headline figures.

The figures are computed chunk by chunk while writing (sums and counts only), so a summary of
a world too large for memory costs nothing extra. Definitions follow ARCHITECTURE.md: late =
not cleared by the due date; portfolio DSO = open amount on the last day of history (invoiced
less paid, credited and written off) / sales in the last 90 days x 90.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table as RichTable

from features.sources.synth.config import SynthConfig
from features.sources.synth.world import Chunk


@dataclass(frozen=True)
class SynthSummary:
    """Headline figures of a synthetic world.

    Attributes:
        config: the configuration it was made from.
        rows: rows per table, in contract order.
        history_start, history_end: first day of history and the first day after it.
        customers_onboarded_during_history: customers whose relationship began inside history.
        customers_defaulted: customers that defaulted inside history (their invoices stay open).
        invoices_due: invoices due before the end of history.
        late_share: share of those not cleared by their due date.
        disputed_share: share of all invoices flagged disputed.
        partially_paid_share: share of invoices with two or more payments.
        open_invoices_at_end: invoices not cleared on the last day of history and not written
            off (the generator writes off an invoice's whole rest).
        written_off_invoices: invoices written off during history.
        portfolio_dso_days: portfolio DSO on the last day of history (None without recent sales).
        seconds: wall time of the generation.
        out: directory written to, if any.
    """

    config: SynthConfig
    rows: dict[str, int]
    history_start: date
    history_end: date
    customers_onboarded_during_history: int
    customers_defaulted: int
    invoices_due: int
    late_share: float
    disputed_share: float
    partially_paid_share: float
    open_invoices_at_end: int
    portfolio_dso_days: float | None
    written_off_invoices: int
    seconds: float
    out: Path | None = None

    def to_rich(self) -> RichTable:
        """A two-column table for the terminal."""
        table = RichTable(title="Synthetic world", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value", justify="right")
        table.add_row("history", f"{self.history_start} to {self.history_end} (end excluded)")
        table.add_row("seed", str(self.config.seed))
        for name, count in self.rows.items():
            table.add_row(f"{name} rows", f"{count:,}")
        table.add_row("onboarded during history", f"{self.customers_onboarded_during_history:,}")
        table.add_row("customers defaulted", f"{self.customers_defaulted:,}")
        table.add_row("late share (invoices due)", f"{self.late_share:.1%}")
        table.add_row("disputed share", f"{self.disputed_share:.1%}")
        table.add_row("partially paid share", f"{self.partially_paid_share:.1%}")
        table.add_row("open invoices at end", f"{self.open_invoices_at_end:,}")
        table.add_row("invoices written off", f"{self.written_off_invoices:,}")
        dso = "n/a" if self.portfolio_dso_days is None else f"{self.portfolio_dso_days:.1f} days"
        table.add_row("portfolio DSO at end", dso)
        table.add_row("seconds", f"{self.seconds:.1f}")
        if self.out is not None:
            table.add_row("written to", str(self.out))
        return table


@dataclass
class SummaryBuilder:
    """Adds up the figures of a `SynthSummary` one chunk at a time."""

    config: SynthConfig
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, chunk: Chunk) -> None:
        """Count one chunk's rows and sums."""
        last_day = pd.Timestamp(self.config.end_day) - pd.Timedelta(days=1)
        for name, frame in chunk.tables.items():
            self._bump(f"rows_{name}", len(frame))
        customers, invoices = chunk.tables.customers, chunk.tables.invoices
        start = pd.Timestamp(self.config.start_day)
        self._bump("onboarded", int((customers["onboarding_date"] >= start).sum()))
        self._bump("defaulted", int((chunk.traits["default_date"] <= last_day).sum()))
        due = invoices["due_date"] <= last_day
        on_time = invoices["cleared_date"].notna() & (
            invoices["cleared_date"] <= invoices["due_date"]
        )
        self._bump("due", int(due.sum()))
        self._bump("late", int((due & ~on_time).sum()))
        self._bump("disputed", int(invoices["disputed"].sum()))
        credits = chunk.tables.credit_notes
        written_off: set[str] = set()
        if credits is not None:
            self._bump("credited", float(credits["amount"].sum()))
            written_off = set(credits.loc[credits["kind"] == "write_off", "invoice_id"])
            self._bump("written_off", len(written_off))
        uncleared = invoices["cleared_date"].isna() & ~invoices["invoice_id"].isin(written_off)
        self._bump("open", int(uncleared.sum()))
        self._bump("invoiced", float(invoices["amount"].sum()))
        recent = invoices["issue_date"] > last_day - pd.Timedelta(days=90)
        self._bump("recent_sales", float(invoices.loc[recent, "amount"].sum()))
        if chunk.tables.payments is not None:
            payments = chunk.tables.payments
            self._bump("paid", float(payments["amount"].sum()))
            per_invoice = payments["invoice_id"].value_counts()
            self._bump("partial", int((per_invoice > 1).sum()))

    def _bump(self, key: str, value: float) -> None:
        self.counts[key] = self.counts.get(key, 0) + value

    def finish(self, seconds: float, out: Path | None = None) -> SynthSummary:
        """The summary of every chunk added so far."""
        c = self.counts
        invoices = int(c.get("rows_invoices", 0))
        sales = c.get("recent_sales", 0.0)
        open_amount = c.get("invoiced", 0.0) - c.get("paid", 0.0) - c.get("credited", 0.0)
        names = ("customers", "invoices", "payments", "signals", "deals", "credit_notes")
        return SynthSummary(
            config=self.config,
            rows={name: int(c.get(f"rows_{name}", 0)) for name in names},
            history_start=self.config.start,
            history_end=pd.Timestamp(self.config.end_day).date(),
            customers_onboarded_during_history=int(c.get("onboarded", 0)),
            customers_defaulted=int(c.get("defaulted", 0)),
            invoices_due=int(c.get("due", 0)),
            late_share=_share(c.get("late", 0), c.get("due", 0)),
            disputed_share=_share(c.get("disputed", 0), invoices),
            partially_paid_share=_share(c.get("partial", 0), invoices),
            open_invoices_at_end=int(c.get("open", 0)),
            portfolio_dso_days=float(open_amount / sales * 90.0) if sales > 0 else None,
            written_off_invoices=int(c.get("written_off", 0)),
            seconds=seconds,
            out=out,
        )


def _share(part: float, whole: float) -> float:
    return float(np.divide(part, whole)) if whole else 0.0
