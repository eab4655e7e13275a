"""What the demo prints of the 13-week cash forecast (the demo itself is a slow test)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from arsight.demo_report import cash_table
from models.cash_forecast import forecast_receipts
from tests.model.test_cash_forecast import AS_OF, invoice


def test_the_demo_prints_the_portfolio_weeks() -> None:
    one = pd.DataFrame([invoice(19, (0, 1, 0, 0, 0), (10, 10, 10))])
    frame = forecast_receipts(one, AS_OF, 0).assign(industry="all")
    console = Console(record=True, width=100)
    console.print(cash_table(frame))
    text = console.export_text()
    assert "Cash expected in the next 13 weeks: 1,000" in text
    assert "│ 2026-01-30    │    1,000 │ 1,000 │ 1,000 │" in text  # week 5 holds the invoice
