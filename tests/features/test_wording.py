"""Every feature has a label and a sentence a risk officer reads without the catalog."""

from __future__ import annotations

import re

import pytest

from features.catalog import FEATURES
from features.invoices import INVOICE_FEATURES
from features.wording import fill_sentence, format_value, wording_for

INTERVAL_OR_COLUMN = re.compile(r"[\[\]_]|\(t|t-\d|t\+\d|\bt\b")
LONG_VALUES = {
    "share": 0.987,
    "signed_share": -0.123,
    "days": 1234.0,
    "signed_days": -123.0,
    "vs_due": -123.0,
    "past_due": -123.0,
    "amount": 123_456_789.0,
    "signed_amount": -12_345_678.0,
    "count": 1234.0,
    "signed_count": -12.0,
    "ratio": 12.34,
    "change": -0.987,
    "points": 12.5,
    "signed_points": -2.5,
    "text": "construction",
    "yes_no": 1.0,
}


@pytest.mark.parametrize("spec", [*FEATURES, *INVOICE_FEATURES], ids=lambda s: s.name)
def test_every_feature_is_worded_within_the_limits(spec) -> None:  # type: ignore[no-untyped-def]
    wording = wording_for(spec.name)
    assert wording is not None, f"{spec.name} has no wording in features/wording.py"
    value = LONG_VALUES[wording.style]
    sentence = fill_sentence(wording, value)
    if wording.style != "text":
        sentence += f" (industry: {format_value(value, wording.style)})"
    assert len(wording.label) <= 40, wording.label
    assert len(sentence) <= 100, sentence
    assert not INTERVAL_OR_COLUMN.search(wording.label), wording.label
    assert not INTERVAL_OR_COLUMN.search(sentence), sentence
    assert (wording.style == "text") == (spec.kind == "categorical")


def test_sentences_read_as_business_words() -> None:
    late = wording_for("customer_late_share_count_365d")
    assert late is not None
    assert fill_sentence(late, 0.98) == "Paid 98% of invoices late in the last 365 days"
    due = wording_for("customer_invoice_count_due_next_30d")
    assert due is not None
    assert fill_sentence(due, 10.0) == "10 invoices fall due in the next 30 days"
    volume = wording_for("customer_order_volume_change_90d")
    assert volume is not None
    assert fill_sentence(volume, -0.3) == "Order volume down 30% on the 90 days before"
    trend = wording_for("customer_days_late_trend_days")
    assert trend is not None
    assert fill_sentence(trend, 1.0) == (
        "Days late moved +1 day in the last 90 days against the year before"
    )
    assert fill_sentence(trend, -12.0) == (
        "Days late moved -12 days in the last 90 days against the year before"
    )
    assert fill_sentence(trend, None) == "Change in days late: unknown"
    assert wording_for("customer_noise") is None
    assert wording_for("customer_late_share_count_abcd") is None


def test_days_against_the_due_date_read_as_before_or_after() -> None:
    mean = wording_for("customer_days_late_mean_365d")
    assert mean is not None
    assert fill_sentence(mean, -18.2) == "Paid on average 18 days before due, last 365 days"
    assert fill_sentence(mean, 1.0) == "Paid on average 1 day after due, last 365 days"
    assert fill_sentence(mean, 0.3) == "Paid on average on the due date, last 365 days"
    past_due = wording_for("invoice_days_past_due")
    assert past_due is not None
    assert fill_sentence(past_due, -10.0) == "Invoice is due in 10 days"
    assert fill_sentence(past_due, 5.0) == "Invoice is 5 days past due"
    assert fill_sentence(past_due, 0.0) == "Invoice is due today"
