"""Which action each open invoice needs today: the dunning ladder applied to the predictions.

`plan_actions` is pure (predictions, tiers and each invoice's ladder history in; the new
actions out) and vectorised, so the nightly job plans every open invoice of a portfolio in one
pass. An invoice gets a new action when it has reached a stage (or a broken promise moves it
to the next one) that it has not had yet; the rules of `serving.collections.ladder_policy`
decide whether that stage goes out, is skipped (pre-due, reliable) or goes to a person first
(needs agreement). Every rule that fired is named on the action (`rules_fired`) and said in
`reason`.

Action ids are stable: the same invoice and stage give the same id on every rerun
(`action_id`), which is what makes generating a day twice create nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from features.wording import format_value
from serving.collections.ladder_policy import Ladder

ACTION_COLUMNS: tuple[str, ...] = (
    "action_id",
    "as_of",
    "invoice_id",
    "customer_id",
    "stage",
    "stage_index",
    "review",
    "owner_role",
    "channel",
    "due_date",
    "days_past_due",
    "open_amount",
    "predicted_payment_date",
    "p_late_over_30",
    "risk_tier",
    "reason",
    "message",
    "rules_fired",
)
"""An action as planned; the store adds status, closed_on and closed_reason."""
HISTORY_COLUMNS = (
    "last_stage",
    "last_review",
    "agreed_stage",
    "hold",
    "broken_promise",
    "promise_date",
)
"""Per invoice, from `serving.collections.history` (-1, -1, -1, "", False, NaT: no history)."""


def action_id(invoice_id: str, stage: str) -> str:
    """The stable id of `stage` for `invoice_id` (the same on every rerun)."""
    digest = hashlib.sha256(f"{invoice_id}|{stage}".encode()).hexdigest()
    return f"ACT-{digest[:16]}"


BEYOND = {
    30: ("p_late_31_60", "p_late_61_90", "p_late_over_90"),
    60: ("p_late_61_90", "p_late_over_90"),
    90: ("p_late_over_90",),
}
"""The delay buckets of "paid more than N days late, or never"."""


def late_beyond(invoices: pd.DataFrame, days: int) -> pd.Series:
    """The model's probability that the invoice is paid more than `days` late, or never."""
    return invoices[list(BEYOND[days])].sum(axis=1)


def late_over_30(invoices: pd.DataFrame) -> pd.Series:
    """The model's probability that the invoice is paid more than 30 days late, or never."""
    return late_beyond(invoices, 30)


def reached_stages(ladder: Ladder, invoices: pd.DataFrame) -> np.ndarray:
    """The highest stage each invoice's days past due has reached; -1 before the first."""
    days = np.array([s.day for s in ladder.stages])
    return np.searchsorted(days, invoices["days_past_due"].to_numpy(), side="right") - 1


def target_stages(ladder: Ladder, invoices: pd.DataFrame, reached: np.ndarray) -> np.ndarray:
    """The stage each invoice should be at: the highest reached, or the next after a broken
    promise (capped at the last stage); -1 before the first stage.

    The next after a promise counts from the latest stage the invoice had, sent or reviewed: a
    promise made to the reviewer of a stage that was held back moves the ladder past it."""
    had = np.maximum(invoices["last_stage"].to_numpy(), invoices["last_review"].to_numpy())
    after_promise = np.minimum(had + 1, len(ladder.stages) - 1)
    broken = invoices["broken_promise"].to_numpy(bool)
    return np.where(broken, np.maximum(reached, after_promise), reached)


def plan_actions(
    ladder: Ladder, invoices: pd.DataFrame, as_of: date
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The actions due at `as_of` that the invoices have not had yet, and counts of skips.

    Args:
        ladder: the policy's ladder.
        invoices: one row per open invoice: the invoice prediction columns
            (`serving.invoice_record.InvoicePrediction`), `risk_tier` of its customer,
            `disputed` (the ledger's flag) and `HISTORY_COLUMNS`.
        as_of: the date planned.

    Returns:
        The new actions (`ACTION_COLUMNS`, sorted by action_id) and the number of invoices
        held by a dispute, by a promise not yet due, by a reported payment, and skipped
        before the due date as reliable.
    """
    reached = reached_stages(ladder, invoices)
    frame = invoices.assign(
        reached=reached,
        target=target_stages(ladder, invoices, reached),
        p_late_over_30=late_over_30(invoices),
    )
    held = frame["hold"].astype("str")
    counts = {f"held_{kind}": int((held == kind).sum()) for kind in ("dispute", "promise", "paid")}
    frame = frame[(held == "") & (frame["target"] >= 0)]
    frame = frame.assign(needs=_needs_agreement(ladder, frame), p_beyond=_beyond(ladder, frame))
    by_person = frame["agreed_stage"].to_numpy() >= frame["target"].to_numpy()
    review = frame["needs"] & ~(_agreed(ladder, frame) | by_person)
    fresh = np.where(
        review, frame["target"] > frame["last_review"], frame["target"] > frame["last_stage"]
    )
    frame = frame.assign(review=review)[fresh]
    reliable = _reliable_before_due(ladder, frame)
    counts["skipped_reliable_before_due"] = int(reliable.sum())
    actions = _actions(ladder, frame[~reliable], as_of)
    return actions.sort_values("action_id", ignore_index=True), counts


def _needs_agreement(ladder: Ladder, frame: pd.DataFrame) -> np.ndarray:
    needs = np.array([s.needs_agreement for s in ladder.stages])
    return needs[frame["target"].to_numpy()]


def _beyond(ladder: Ladder, frame: pd.DataFrame) -> pd.Series:
    """Per invoice, the probability of paying later than its target stage's escalation bound."""
    bounds = np.array([s.escalate_beyond_days for s in ladder.stages])[frame["target"].to_numpy()]
    beyond = pd.Series(np.nan, index=frame.index, dtype="float64")
    for days in BEYOND:
        chosen = bounds == days
        beyond[chosen] = late_beyond(frame[chosen], days)
    return beyond


def _agreed(ladder: Ladder, frame: pd.DataFrame) -> pd.Series:
    """Tier or model calls for escalation, and the invoice is not disputed."""
    by_tier = frame["risk_tier"].isin(ladder.escalate_tiers)
    by_model = frame["p_beyond"] >= ladder.escalate_probability
    return (by_tier | by_model) & ~_disputed(frame)


def _disputed(frame: pd.DataFrame) -> pd.Series:
    return frame["disputed"].fillna(False).astype(bool)


def _reliable_before_due(ladder: Ladder, frame: pd.DataFrame) -> pd.Series:
    """Pre-due stage, a reliable tier, and predicted on time: not chased before it is late."""
    days = np.array([s.day for s in ladder.stages])
    pre_due = days[frame["target"].to_numpy()] < 0
    reliable = frame["risk_tier"].isin(ladder.reliable_tiers)
    on_time = frame["p_paid_on_time"] >= ladder.on_time_probability
    return pd.Series(pre_due, index=frame.index) & reliable & on_time


def _actions(ladder: Ladder, frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One action row per invoice of `frame` at its target stage (review where flagged)."""
    rows = [_action(ladder, row, as_of) for row in frame.to_dict("records")]
    return pd.DataFrame(rows, columns=list(ACTION_COLUMNS))


def _action(ladder: Ladder, row: Mapping[str, Any], as_of: date) -> dict[str, object]:
    stage = ladder.stages[row["target"]]
    review = bool(row["review"])
    rules = rules_fired(ladder, row, review)
    who = ladder.review if review else stage
    name = f"review_{stage.name}" if review else stage.name
    due = pd.Timestamp(row["due_date"]).date()
    paid = _date(row["predicted_payment_date"])
    values = {
        "invoice_id": row["invoice_id"],
        "customer_id": row["customer_id"],
        "open_amount": f"{row['open_amount']:,.2f}",
        "due_date": due.isoformat(),
        "days_past_due": int(row["days_past_due"]),
        "predicted_payment_date": paid.isoformat() if paid else "unknown",
    }
    return {
        "action_id": action_id(row["invoice_id"], name),
        "as_of": as_of,
        "invoice_id": row["invoice_id"],
        "customer_id": row["customer_id"],
        "stage": name,
        "stage_index": int(row["target"]),
        "review": review,
        "owner_role": who.owner_role,
        "channel": who.channel,
        "due_date": due,
        "days_past_due": int(row["days_past_due"]),
        "open_amount": float(row["open_amount"]),
        "predicted_payment_date": paid,
        "p_late_over_30": float(row["p_late_over_30"]),
        "risk_tier": row["risk_tier"],
        "reason": reason_text(ladder, rules, row),
        "message": who.template.format(**values),
        "rules_fired": json.dumps(rules),
    }


def _date(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()  # type: ignore[arg-type]


def rules_fired(ladder: Ladder, row: Mapping[str, Any], review: bool) -> list[str]:
    """The names of the rules that made this action, in the order they apply."""
    stage = ladder.stages[row["target"]]
    rules = ["stage_reached"] if row["reached"] == row["target"] else []
    if row["broken_promise"]:
        rules.append("broken_promise")
    if stage.day < 0:
        reliable = row["risk_tier"] in ladder.reliable_tiers
        rules.append("tier_not_reliable" if not reliable else "expected_late")
    if stage.needs_agreement and not review:
        if row["agreed_stage"] >= row["target"]:
            rules.append("reviewer_agrees")
        if row["risk_tier"] in ladder.escalate_tiers:
            rules.append("tier_agrees")
        if row["p_beyond"] >= ladder.escalate_probability:
            rules.append("model_agrees")
    if review:
        disputed = bool(row["disputed"]) if not pd.isna(row["disputed"]) else False
        rules.append("disputed_invoice" if disputed else "risk_does_not_agree")
        rules.append("person_decides")
    return rules


def reason_text(ladder: Ladder, rules: list[str], row: Mapping[str, Any]) -> str:
    """Why this action, in a collector's words, from the rules that fired."""
    stage = ladder.stages[row["target"]]
    when = format_value(int(row["days_past_due"]), "past_due")
    parts = [f"{when.capitalize()} (stage {stage.name} from day {stage.day:+d})"]
    beyond = stage.escalate_beyond_days
    said = {
        "broken_promise": f"promise to pay by {_iso(row['promise_date'])} broken",
        "expected_late": f"model gives {row['p_paid_on_time']:.0%} of paying on time",
        "tier_not_reliable": f"customer is {row['risk_tier']}",
        "reviewer_agrees": "a reviewer agreed to escalate",
        "tier_agrees": f"customer is {row['risk_tier']}",
        "model_agrees": f"model gives {row['p_beyond']:.0%} of paying {beyond}+ days late",
        "disputed_invoice": "the invoice is disputed",
        "risk_does_not_agree": (
            f"customer is {row['risk_tier']} and the model gives only "
            f"{row['p_beyond']:.0%} of paying {beyond}+ days late"
        ),
        "person_decides": "a person decides before escalating",
    }
    parts += [said[r] for r in rules if r in said]
    return "; ".join(parts)


def _iso(value: object) -> str:
    day = _date(value)
    return day.isoformat() if day else "unknown"
