"""The wording table: a label and a sentence per catalog name pattern (see features/wording.py).

Kept apart from the code that uses it so that editing the words of a feature touches one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Style = Literal[
    "share",
    "signed_share",
    "days",
    "signed_days",
    "vs_due",
    "past_due",
    "amount",
    "signed_amount",
    "count",
    "signed_count",
    "ratio",
    "change",
    "points",
    "signed_points",
    "text",
    "yes_no",
]


@dataclass(frozen=True)
class Wording:
    """How one feature is said: a short label and a sentence around its value.

    Attributes:
        label: at most 40 characters, for tables and chart axes.
        sentence: a template with ``{value}``: the customer's value in `style`.
        style: how the value is written (see `format_value`).
    """

    label: str
    sentence: str
    style: Style


def _w(label: str, sentence: str, style: Style) -> Wording:
    return Wording(label, sentence, style)


WORDING_PATTERNS: dict[str, Wording] = {
    "customer_invoice_count_{w}d": _w(
        "Invoices issued, last {w} days", "{value} invoices issued in the last {w} days", "count"
    ),
    "customer_sales_amount_{w}d": _w(
        "Sales, last {w} days", "Invoiced {value} in the last {w} days", "amount"
    ),
    "customer_settled_count_{w}d": _w(
        "Invoices paid, last {w} days", "{value} invoices paid in the last {w} days", "count"
    ),
    "customer_late_share_count_{w}d": _w(
        "Late share, last {w} days", "Paid {value} of invoices late in the last {w} days", "share"
    ),
    "customer_late_share_amount_{w}d": _w(
        "Late share by amount, last {w} days",
        "Paid {value} of the amount late in the last {w} days",
        "share",
    ),
    "customer_early_share_count_{w}d": _w(
        "Early share, last {w} days",
        "Paid {value} of invoices before the due date in the last {w} days",
        "share",
    ),
    "customer_days_late_mean_{w}d": _w(
        "Average days late, last {w} days",
        "Paid on average {value}, last {w} days",
        "vs_due",
    ),
    "customer_days_late_p90_{w}d": _w(
        "Days late, worst tenth, last {w} days",
        "1 in 10 invoices paid later than {value}, last {w} days",
        "vs_due",
    ),
    "customer_days_late_max_{w}d": _w(
        "Most days late, last {w} days",
        "Paid at worst {value}, last {w} days",
        "vs_due",
    ),
    "customer_dispute_share_{w}d": _w(
        "Disputed share, last {w} days",
        "Disputed {value} of the invoices paid in the last {w} days",
        "share",
    ),
    "customer_partial_payment_share_{w}d": _w(
        "Paid in parts, last {w} days",
        "Paid {value} of invoices in several parts in the last {w} days",
        "share",
    ),
    "customer_days_late_trend_days": _w(
        "Change in days late",
        "Days late moved {value} in the last 90 days against the year before",
        "signed_days",
    ),
    "customer_severe_late_share_365d": _w(
        "Paid 30+ days late, last year",
        "Paid {value} of invoices more than 30 days late in the last year",
        "share",
    ),
    "customer_open_amount": _w("Open amount", "{value} is open", "amount"),
    "customer_overdue_amount": _w("Overdue amount", "{value} is past due", "amount"),
    "customer_aging_current_amount": _w(
        "Not yet due", "{value} of the open amount is not yet due", "amount"
    ),
    "customer_aging_1_30_amount": _w(
        "Overdue 1-30 days", "{value} is 1 to 30 days past due", "amount"
    ),
    "customer_aging_31_60_amount": _w(
        "Overdue 31-60 days", "{value} is 31 to 60 days past due", "amount"
    ),
    "customer_aging_61_90_amount": _w(
        "Overdue 61-90 days", "{value} is 61 to 90 days past due", "amount"
    ),
    "customer_aging_over_90_amount": _w(
        "Overdue over 90 days", "{value} is more than 90 days past due", "amount"
    ),
    "customer_aging_current_share": _w(
        "Share not yet due", "{value} of the open amount is not yet due", "share"
    ),
    "customer_aging_1_30_share": _w(
        "Share overdue 1-30 days", "{value} of the open amount is 1 to 30 days past due", "share"
    ),
    "customer_aging_31_60_share": _w(
        "Share overdue 31-60 days",
        "{value} of the open amount is 31 to 60 days past due",
        "share",
    ),
    "customer_aging_61_90_share": _w(
        "Share overdue 61-90 days",
        "{value} of the open amount is 61 to 90 days past due",
        "share",
    ),
    "customer_aging_over_90_share": _w(
        "Share overdue over 90 days",
        "{value} of the open amount is more than 90 days past due",
        "share",
    ),
    "customer_oldest_overdue_days": _w(
        "Oldest overdue invoice", "The oldest unpaid invoice is {value} past due", "days"
    ),
    "customer_dso_days": _w("DSO", "DSO is {value}", "days"),
    "customer_best_possible_dso_days": _w(
        "Best-possible DSO", "Best-possible DSO is {value}", "days"
    ),
    "customer_average_days_delinquent": _w(
        "Average days delinquent", "Average days delinquent: {value}", "days"
    ),
    "customer_dso_change_30d_days": _w(
        "DSO change, last 30 days", "DSO moved {value} in the last 30 days", "signed_days"
    ),
    "customer_dso_change_90d_days": _w(
        "DSO change, last 90 days", "DSO moved {value} in the last 90 days", "signed_days"
    ),
    "customer_credit_limit_utilisation": _w(
        "Credit limit used", "Uses {value} of the credit limit", "share"
    ),
    "customer_amount_due_next_30d": _w(
        "Falling due, next 30 days", "{value} falls due in the next 30 days", "amount"
    ),
    "customer_invoice_count_due_next_30d": _w(
        "Invoices due, next 30 days", "{value} invoices fall due in the next 30 days", "count"
    ),
    "customer_days_since_last_invoice": _w(
        "Days since last invoice", "Last invoiced {value} ago", "days"
    ),
    "customer_days_since_last_payment": _w(
        "Days since last payment", "Last paid {value} ago", "days"
    ),
    "customer_invoice_interval_mean_days_365d": _w(
        "Days between orders", "Orders every {value} on average (last year)", "days"
    ),
    "customer_order_volume_change_90d": _w(
        "Order volume change", "Order volume {value} on the 90 days before", "change"
    ),
    "customer_invoice_amount_mean_90d": _w(
        "Average invoice, last 90 days", "Average invoice {value} in the last 90 days", "amount"
    ),
    "customer_invoice_amount_change_90d": _w(
        "Invoice size change", "Average invoice {value} on the 90 days before", "change"
    ),
    "customer_deal_count_90d": _w(
        "Deals, last 90 days", "{value} deals opened in the last 90 days", "count"
    ),
    "customer_deal_amount_90d": _w(
        "Deal amount, last 90 days", "Deals worth {value} opened in the last 90 days", "amount"
    ),
    "signal_credit_rating_latest": _w("Credit rating", "Credit rating is {value}", "points"),
    "signal_credit_rating_change_{w}d": _w(
        "Credit rating change, {w} days",
        "Credit rating moved {value} in the last {w} days",
        "signed_points",
    ),
    "signal_credit_rating_days_since_observed": _w(
        "Credit rating age", "Credit rating last checked {value} ago", "days"
    ),
    "signal_bank_credit_line_latest": _w(
        "Bank credit line", "Bank credit line is {value}", "amount"
    ),
    "signal_bank_credit_line_change_{w}d": _w(
        "Bank line change, {w} days",
        "Bank credit line moved {value} in the last {w} days",
        "signed_amount",
    ),
    "signal_bank_credit_line_days_since_observed": _w(
        "Bank line age", "Bank credit line last checked {value} ago", "days"
    ),
    "signal_lawsuits_open_latest": _w(
        "Open lawsuits", "{value} open lawsuits by suppliers", "count"
    ),
    "signal_lawsuits_open_change_{w}d": _w(
        "Lawsuit change, {w} days",
        "Open lawsuits moved {value} in the last {w} days",
        "signed_count",
    ),
    "signal_lawsuits_open_days_since_observed": _w(
        "Lawsuit check age", "Lawsuits last checked {value} ago", "days"
    ),
    "signal_tax_grade_latest": _w("Tax-credit grade", "Tax-credit grade is {value}", "points"),
    "signal_tax_grade_change_{w}d": _w(
        "Tax grade change, {w} days",
        "Tax-credit grade moved {value} in the last {w} days",
        "signed_points",
    ),
    "signal_tax_grade_days_since_observed": _w(
        "Tax grade age", "Tax-credit grade last checked {value} ago", "days"
    ),
    "peer_dso_ratio_to_industry_median": _w(
        "DSO against industry", "DSO is {value} the industry's", "ratio"
    ),
    "peer_late_share_90d_difference_to_industry_median": _w(
        "Late share against industry",
        "Late share {value} against the industry (last 90 days)",
        "signed_share",
    ),
    "customer_industry": _w("Industry", "Industry: {value}", "text"),
    "customer_country": _w("Country", "Country: {value}", "text"),
    "customer_segment": _w("Size segment", "Size segment: {value}", "text"),
    "customer_terms_days": _w("Payment terms", "Payment terms of {value}", "days"),
    "customer_credit_limit": _w("Credit limit", "Credit limit {value}", "amount"),
    "customer_tenure_days": _w("Customer for", "Customer for {value}", "days"),
    # the invoice payment model's own features (features/invoices.py)
    "invoice_amount": _w("Invoice amount", "Invoice of {value}", "amount"),
    "invoice_amount_to_customer_median_ratio": _w(
        "Size against the usual invoice", "Invoice is {value} the customer's usual", "ratio"
    ),
    "invoice_terms_days": _w("Invoice terms", "Invoice on {value} terms", "days"),
    "invoice_days_past_due": _w("Days past due", "Invoice is {value}", "past_due"),
    "invoice_age_days": _w("Invoice age", "Issued {value} ago", "days"),
    "invoice_paid_share": _w("Already paid", "{value} of the invoice is already paid", "share"),
    "invoice_is_disputed": _w("Disputed", "Disputed invoice: {value}", "yes_no"),
    "invoice_is_paperless": _w("Sent electronically", "Sent electronically: {value}", "yes_no"),
    "invoice_due_days_before_month_end": _w(
        "Due before month end", "Due {value} before the month end", "days"
    ),
    "invoice_is_due_in_quarter_end_month": _w(
        "Due in a quarter-end month", "Due in a quarter-end month: {value}", "yes_no"
    ),
    "customer_days_late_median_365d": _w(
        "Median days late, last year",
        "Pays a typical invoice {value} (last year)",
        "vs_due",
    ),
}
"""Wording per catalog name pattern (``{w}`` = the group's window, as in the docstrings)."""
