"""Property: facts dated after t never change the features at t (nor labels past the horizon).

Hypothesis draws a small random ledger (customers, invoices, partial payments, credit notes and
write-offs, signals, deals), then adds, deletes or changes any fact dated after the cut-off,
including clearing (or re-clearing) invoices that are open at it and crediting or writing off
invoices after it. The frames must be identical.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_feature_frame
from features.labels import LabelDefinition, build_labels
from features.schema import SIGNAL_NAMES
from features.tables import Tables
from tests.features.builders import make_tables

BASE = pd.Timestamp("2024-01-01")
T = 200  # the snapshot, in days after BASE
HORIZON = LabelDefinition().horizon_days
CUSTOMERS = ("A", "B", "C")


def iso(offset: int) -> str:
    return (BASE + pd.Timedelta(days=offset)).date().isoformat()


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """Rows of a random small world, dates as day offsets from BASE."""
    customers = [
        {
            "customer_id": c,
            "industry": draw(st.sampled_from(["x", "y", None])),
            "credit_limit": draw(st.sampled_from([None, 0.0, 500.0])),
            "onboarding": draw(st.one_of(st.none(), st.integers(0, 260))),
        }
        for c in CUSTOMERS
    ]
    invoices, payments, credits = [], [], []
    for n in range(draw(st.integers(1, 12))):
        issue = draw(st.integers(0, 330))
        due = issue + draw(st.integers(0, 60))
        cleared = draw(st.one_of(st.none(), st.integers(issue, issue + 120)))
        amount = float(draw(st.integers(1, 1000)))
        invoices.append(
            {
                "invoice_id": f"I{n}",
                "customer_id": draw(st.sampled_from(CUSTOMERS)),
                "issue": issue,
                "due": due,
                "cleared": cleared,
                "amount": amount,
                "disputed": draw(st.sampled_from([True, False, None])),
            }
        )
        for m in range(draw(st.integers(0, 2))):
            payments.append(
                {
                    "payment_id": f"P{n}_{m}",
                    "invoice_id": f"I{n}",
                    "date": draw(st.integers(issue, issue + 120)),
                    "amount": amount / 3,
                }
            )
        if draw(st.booleans()):
            credits.append(
                {
                    "credit_note_id": f"K{n}",
                    "invoice_id": f"I{n}",
                    "date": draw(st.integers(issue, issue + 150)),
                    "amount": amount / 4,
                    "kind": draw(st.sampled_from(["credit_note", "write_off"])),
                }
            )
    signals = [
        {
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "date": draw(st.integers(0, 330)),
            "name": draw(st.sampled_from([*SIGNAL_NAMES, "other"])),
            "value": float(draw(st.integers(0, 10))),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    deals = [
        {
            "deal_id": f"D{k}",
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "date": draw(st.integers(0, 330)),
            "amount": float(draw(st.integers(1, 100))),
        }
        for k in range(draw(st.integers(0, 4)))
    ]
    return {"customers": customers, "invoices": invoices, "payments": payments,
            "signals": signals, "deals": deals, "credit_notes": credits}  # fmt: skip


def to_tables(ledger: dict[str, list[dict[str, Any]]]) -> Tables:
    """Canonical tables of a drawn ledger."""

    def when(offset: int | None) -> str | None:
        return None if offset is None else iso(offset)

    customers = [
        {
            **{k: v for k, v in c.items() if k != "onboarding"},
            "onboarding_date": when(c["onboarding"]),
        }
        for c in ledger["customers"]
    ]
    invoices = [
        {"invoice_id": i["invoice_id"], "customer_id": i["customer_id"],
         "issue_date": iso(i["issue"]), "due_date": iso(i["due"]),
         "cleared_date": when(i["cleared"]), "amount": i["amount"], "disputed": i["disputed"]}
        for i in ledger["invoices"]
    ]  # fmt: skip
    payments = [
        {"payment_id": p["payment_id"], "invoice_id": p["invoice_id"],
         "payment_date": iso(p["date"]), "amount": p["amount"]}
        for p in ledger["payments"]
    ]  # fmt: skip
    signals = [
        {"customer_id": s["customer_id"], "observed_date": iso(s["date"]), "name": s["name"],
         "value": s["value"]}
        for s in ledger["signals"]
    ]  # fmt: skip
    deals = [
        {"deal_id": d["deal_id"], "customer_id": d["customer_id"],
         "created_date": iso(d["date"]), "amount": d["amount"]}
        for d in ledger["deals"]
    ]  # fmt: skip
    credit_notes = [
        {"credit_note_id": k["credit_note_id"], "invoice_id": k["invoice_id"],
         "credit_date": iso(k["date"]), "amount": k["amount"], "kind": k["kind"]}
        for k in ledger["credit_notes"]
    ]  # fmt: skip
    return make_tables(customers, invoices, payments, signals, deals, credit_notes)


def rewrite_after(
    ledger: dict[str, list[dict[str, Any]]], cut: int, draw: st.DrawFn
) -> dict[str, list[dict[str, Any]]]:
    """A copy of `ledger` where facts dated after day `cut` are deleted, changed or added."""
    later = st.integers(cut + 1, cut + 150)
    invoices, payments = [], []
    for i in ledger["invoices"]:
        i = dict(i)
        if i["issue"] > cut:
            if draw(st.booleans()):
                continue  # deleted, with its payments below
            i["amount"] = float(draw(st.integers(1, 5000)))
            i["disputed"] = draw(st.sampled_from([True, False, None]))
        if i["cleared"] is None or i["cleared"] > cut:
            # open at the cut-off: clear it at any later date, or leave it open
            i["cleared"] = draw(st.one_of(st.none(), later.filter(lambda d, x=i: d >= x["issue"])))
        invoices.append(i)
    kept = {i["invoice_id"]: i for i in invoices}
    for p in ledger["payments"]:
        if p["invoice_id"] not in kept:
            continue
        if p["date"] > cut:
            if draw(st.booleans()):
                continue
            p = {**p, "date": draw(later), "amount": p["amount"] / 2}
        payments.append(p)
    new = {"invoice_id": "NEW", "customer_id": draw(st.sampled_from(CUSTOMERS)), "issue": cut + 1,
           "due": cut + 5, "cleared": draw(st.one_of(st.none(), st.just(cut + 2))),
           "amount": 777.0, "disputed": True}  # fmt: skip
    invoices.append(new)
    target = draw(st.sampled_from([i["invoice_id"] for i in invoices]))
    payments.append({"payment_id": "PNEW", "invoice_id": target, "date": cut + 1, "amount": 1.0})

    def future(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = [
            {**r, "date": draw(later)} if r["date"] > cut and draw(st.booleans()) else r
            for r in rows
            if r["date"] <= cut or draw(st.booleans())
        ]
        return out

    signals = future(ledger["signals"]) + [
        {"customer_id": "A", "date": cut + 1, "name": "credit_rating", "value": 99.0}
    ]
    deals = future(ledger["deals"]) + [
        {"deal_id": "DNEW", "customer_id": "B", "date": cut + 1, "amount": 5.0}
    ]
    ids = [i["invoice_id"] for i in invoices]
    credits = [k for k in future(ledger["credit_notes"]) if k["invoice_id"] in kept] + [
        {"credit_note_id": "KNEW", "invoice_id": draw(st.sampled_from(ids)),
         "date": cut + 1, "amount": draw(st.sampled_from([1.0, 5000.0])), "kind": "credit_note"},
        {"credit_note_id": "WNEW", "invoice_id": draw(st.sampled_from(ids)),
         "date": cut + 2, "amount": 5000.0, "kind": "write_off"},
    ]  # fmt: skip
    return {"customers": ledger["customers"], "invoices": invoices, "payments": payments,
            "signals": signals, "deals": deals, "credit_notes": credits}  # fmt: skip


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_facts_after_t_never_change_features_at_t(
    ledger: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    t = BASE + pd.Timedelta(days=T)
    before = build_feature_frame(to_tables(ledger), t)
    after = build_feature_frame(to_tables(rewrite_after(ledger, T, data.draw)), t)
    pd.testing.assert_frame_equal(before, after)


@SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_labels_use_nothing_after_the_horizon(
    ledger: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    t = BASE + pd.Timedelta(days=T)
    end = BASE + pd.Timedelta(days=T + HORIZON)
    before = build_labels(to_tables(ledger), [t], data_end=end)
    after = build_labels(
        to_tables(rewrite_after(ledger, T + HORIZON, data.draw)), [t], data_end=end
    )
    pd.testing.assert_frame_equal(before, after)
