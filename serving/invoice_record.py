"""The one invoice prediction record: what the batch file and the API say about an open invoice.

`InvoicePrediction` is written once here; the columns of `invoices.parquet`
(`serving.invoices.INVOICE_COLUMNS`) are its fields in order (reasons as JSON text there),
and `GET /v1/customers/{id}/invoices` answers a list of them (`CustomerInvoicesResponse`).
Reason contributions are days of the predicted p50 days late.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from serving.record import Reason, Response


class InvoicePrediction(Response):
    """When one open invoice will be paid: delay buckets, days late, payment date, reasons."""

    invoice_id: str = Field(examples=["INV000000087"])
    customer_id: str = Field(examples=["C000000"])
    issue_date: date = Field(examples=["2025-10-31"])
    due_date: date = Field(examples=["2026-01-29"])
    open_amount: float = Field(examples=[46049.56])
    days_past_due: int = Field(examples=[-29], description="negative: days left until due")
    p_paid_on_time: float = Field(ge=0.0, le=1.0, examples=[0.58])
    p_late_1_30: float = Field(ge=0.0, le=1.0, examples=[0.41])
    p_late_31_60: float = Field(ge=0.0, le=1.0, examples=[0.005])
    p_late_61_90: float = Field(ge=0.0, le=1.0, examples=[0.001])
    p_late_over_90: float = Field(ge=0.0, le=1.0, examples=[0.001], description="or never")
    predicted_days_late_p10: float = Field(examples=[-5.9])
    predicted_days_late_p50: float = Field(examples=[-2.8])
    predicted_days_late_p90: float = Field(examples=[10.3])
    predicted_payment_date: date = Field(examples=["2026-01-26"])
    reasons: list[Reason]


class CustomerInvoicesResponse(Response):
    """The customer's open invoices at the store's date, soonest due first."""

    customer_id: str = Field(examples=["C000000"])
    invoices: list[InvoicePrediction]
    model_name: str = Field(examples=["arsight"])
    model_version: str = Field(examples=["3"])
    features_as_of: date
