"""The invoice service: every open invoice's payment prediction, for the batch job and the API.

`predict_invoices` lists the invoices open at the as-of date with the invoice payment model of
the bundle (`ModelBundle.invoice_model`; models/invoice_model.py): the delay-bucket
probabilities, days late p10/p50/p90, the predicted payment date (due date + p50, whole days)
and the top reasons (exact TreeSHAP of the p50, in days; sentences as for customer scores, the
comparison being the industry's median over the open invoices). Its rows come from
`features.invoices.invoice_frame`, the definition training used, joined to the same customer
feature frame the customer scores are computed from.

`expected_overdue_amounts` is the collections figure of issue 14: per customer, the sum over
its open invoices falling due in (t, t+30d] of open amount x (1 - p_paid_on_time).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pandas as pd

from features.invoices import INVOICE_FEATURES, invoice_frame, join_customer_features
from features.tables import Tables
from models.bundle import ModelBundle
from models.invoice_model import BUCKETS, DAYS_COLUMNS, InvoiceModel
from serving.invoice_record import InvoicePrediction, Reason
from serving.reasons import feature_texts, industry_medians, top_reasons

logger = logging.getLogger(__name__)

INVOICE_COLUMNS: tuple[str, ...] = tuple(InvoicePrediction.model_fields)
"""The columns of `invoices.parquet`: the fields of `InvoicePrediction`, in order; `reasons` is
JSON text there (a list of {feature, value, contribution (days of the p50), text})."""
EXPECTATION_HORIZON_DAYS = 30
"""expected_overdue_amount counts the open invoices falling due in (t, t + this]."""
INDUSTRY = "customer_industry"


def empty_invoices() -> pd.DataFrame:
    """A frame with the invoice columns and no rows (a bundle without an invoice model)."""
    return pd.DataFrame({name: pd.Series(dtype="float64") for name in INVOICE_COLUMNS}).astype(
        {"invoice_id": "str", "customer_id": "str", "reasons": "str", "days_past_due": "int64"}
        | dict.fromkeys(("issue_date", "due_date", "predicted_payment_date"), "datetime64[ns]")
    )


def invoice_rows(model: InvoiceModel, tables: Tables, customer_frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input rows: invoices open at the frame's date with the customer features."""
    own = {s.name for s in INVOICE_FEATURES}
    customer = [name for name in model.feature_names if name not in own]
    return invoice_frame(tables, customer_frame, customer)


def reason_lists(model: InvoiceModel, rows: pd.DataFrame, top_k: int) -> list[str]:
    """The top `top_k` reasons of each row's p50, as JSON text."""
    if rows.empty:
        return []
    contributions = model.explain(rows).drop(columns="expected_value")
    texts = feature_texts(model.feature_names, model.categorical_features)
    numeric = [n for n in model.feature_names if n not in model.categorical_features]
    industry = rows[INDUSTRY] if INDUSTRY in rows else pd.Series(np.nan, index=rows.index)
    medians = industry_medians(rows, INDUSTRY, numeric) if INDUSTRY in rows else pd.DataFrame()
    reasons = top_reasons(contributions, rows, texts, medians, industry, top_k)
    return [json.dumps(r, sort_keys=True) for r in reasons]


def predict_invoices(
    bundle: ModelBundle, tables: Tables, customer_frame: pd.DataFrame, top_k: int = 3
) -> pd.DataFrame:
    """One row per invoice open at the customer frame's as-of date (module docstring).

    Args:
        bundle: the served bundle; without an invoice model the answer has no rows.
        tables: canonical tables (facts after the as-of date change nothing).
        customer_frame: the customer features at one as-of date (`features.build.online_frame`).
        top_k: reasons per invoice.

    Returns:
        `INVOICE_COLUMNS`, sorted by customer_id, due_date, invoice_id, on a RangeIndex.
    """
    model = bundle.invoice_model
    if model is None or customer_frame.empty:
        return empty_invoices()
    return predict_rows(model, invoice_rows(model, tables, customer_frame), top_k)


def predict_rows(model: InvoiceModel, rows: pd.DataFrame, top_k: int) -> pd.DataFrame:
    """`INVOICE_COLUMNS` for invoice rows (`features.invoices.invoice_frame` layout)."""
    if rows.empty:
        return empty_invoices()
    predictions = model.predict(rows)
    days = np.round(predictions[DAYS_COLUMNS[1]].to_numpy(float))
    frame = pd.DataFrame(
        {
            "invoice_id": rows["invoice_id"],
            "customer_id": rows["customer_id"],
            "issue_date": rows["issue_date"],
            "due_date": rows["due_date"],
            "open_amount": rows["open_amount"],
            "days_past_due": rows["invoice_days_past_due"].astype("int64"),
            **{c: predictions[c] for c in (*BUCKETS, *DAYS_COLUMNS)},
            "predicted_payment_date": rows["due_date"] + pd.to_timedelta(days, unit="D"),
            "reasons": pd.Series(reason_lists(model, rows, top_k), index=rows.index, dtype="str"),
        }
    )
    frame = frame.sort_values(["customer_id", "due_date", "invoice_id"], kind="stable")
    return frame.reset_index(drop=True)[list(INVOICE_COLUMNS)]


def served_invoices(
    bundle: ModelBundle,
    own_rows: pd.DataFrame | None,
    store_frame: pd.DataFrame,
    as_of: pd.Timestamp,
    top_k: int,
) -> dict[str, tuple[InvoicePrediction, ...]]:
    """Every open invoice of the invoice store, predicted, grouped by customer (the server's).

    Args:
        bundle: the served bundle (none without an invoice model).
        own_rows: `features.invoice_store.read_invoice_store` (None: no invoice store).
        store_frame: the online store's frame, indexed by customer_id.
        as_of: the online store's date; invoice rows of another date are stale and ignored.
        top_k: reasons per invoice.
    """
    model = bundle.invoice_model
    if model is None or own_rows is None:
        return {}
    current = own_rows.loc[pd.to_datetime(own_rows["as_of"]) == pd.Timestamp(as_of)]
    if len(current) < len(own_rows):
        logger.warning(
            "invoice store: %d rows not as of %s ignored", len(own_rows) - len(current), as_of
        )
    customers = (
        store_frame.rename_axis("customer_id").reset_index().assign(as_of=pd.Timestamp(as_of))
    )
    own = {s.name for s in INVOICE_FEATURES}
    names = [n for n in model.feature_names if n not in own]
    rows = join_customer_features(current.reset_index(drop=True), customers, names)
    frame = predict_rows(model, rows, top_k)
    grouped: dict[str, list[InvoicePrediction]] = {}
    for raw in frame.to_dict("records"):
        record: dict[str, Any] = {str(k): v for k, v in raw.items()}
        reasons = [Reason(**r) for r in json.loads(record.pop("reasons"))]
        for name in ("issue_date", "due_date", "predicted_payment_date"):
            record[name] = record[name].date()
        item = InvoicePrediction(**record, reasons=reasons)
        grouped.setdefault(item.customer_id, []).append(item)
    return {k: tuple(v) for k, v in grouped.items()}


def expected_overdue_amounts(invoices: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per customer: open amount x (1 - p_paid_on_time) over invoices due in (t, t+30d]."""
    t = pd.Timestamp(as_of).normalize()
    end = t + pd.Timedelta(days=EXPECTATION_HORIZON_DAYS)
    due = invoices.loc[(invoices["due_date"] > t) & (invoices["due_date"] <= end)]
    late = due["open_amount"] * (1.0 - due[BUCKETS[0]])
    return late.groupby(due["customer_id"]).sum().rename("expected_overdue_amount")


def with_invoice_expectation(
    rows: pd.DataFrame, invoices: pd.DataFrame, as_of: pd.Timestamp, has_model: bool
) -> pd.DataFrame:
    """Score rows whose `expected_overdue_amount` comes from the invoice model, where there is
    one (scored customers with nothing due in the window get 0); unchanged without it."""
    if not has_model:
        return rows
    expected = expected_overdue_amounts(invoices, as_of)
    values = rows["customer_id"].map(expected).fillna(0.0).astype("float64")
    return rows.assign(expected_overdue_amount=values.where(rows["scored"], np.nan))
