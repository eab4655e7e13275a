"""What the collections API reads and answers: an action, an outcome request, the lists.

`ActionRecord` is one row of the `collection_actions` table as the API and the pages show it;
`OutcomeRequest` is what a collector records on an action (contacted, promise to pay with date
and amount, dispute raised with a reason, dispute resolved, paid, no answer, and on a review
action `escalate`: the person agrees that the held-back stage goes out). Its rules say
which fields each outcome needs, so a promise without a date is a 422 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import Field, model_validator

from serving.response import Response

Outcome = Literal[
    "contacted",
    "promise_to_pay",
    "dispute_raised",
    "dispute_resolved",
    "paid",
    "no_answer",
    "escalate",
]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
Status = Literal["open", "done", "superseded"]
KEEPS_OPEN = ("no_answer",)
"""Outcomes after which the action stays open (try again); every other one closes it."""


class OutcomeRequest(Response):
    """An outcome recorded on an action."""

    outcome: Outcome
    promise_date: date | None = Field(default=None, description="promise_to_pay: paid by")
    promise_amount: float | None = Field(default=None, gt=0, description="promise_to_pay")
    dispute_reason: str | None = Field(default=None, min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _needs(self) -> OutcomeRequest:
        if self.outcome == "promise_to_pay":
            for name in ("promise_date", "promise_amount"):
                if getattr(self, name) is None:
                    raise ValueError(f"{name} is required when outcome is promise_to_pay")
        if self.outcome == "dispute_raised" and self.dispute_reason is None:
            raise ValueError("dispute_reason is required when outcome is dispute_raised")
        return self


class OutcomeRecord(Response):
    """An outcome as stored: the request, who recorded it and when."""

    outcome: Outcome
    promise_date: date | None
    promise_amount: float | None
    dispute_reason: str | None
    note: str | None
    business_date: date = Field(description="the collections day it was recorded on")
    caller_role: str
    request_id: str
    recorded_at: datetime


class ActionRecord(Response):
    """One collections action with its status and the outcomes recorded on it."""

    action_id: str = Field(examples=["ACT-3f9a0c1d2e4b5a67"])
    as_of: date = Field(description="the day it was planned")
    invoice_id: str
    customer_id: str
    stage: str = Field(examples=["formal_reminder"])
    review: bool = Field(description="a person decides before this stage goes out")
    owner_role: str = Field(examples=["collections"])
    channel: str = Field(examples=["email"])
    due_date: date
    days_past_due: int = Field(description="when planned")
    open_amount: float = Field(description="when planned")
    predicted_payment_date: date | None
    p_late_over_30: float
    risk_tier: str
    reason: str
    message: str
    rules_fired: list[str]
    policy_version: str
    status: Status
    closed_on: date | None
    closed_reason: str | None
    outcomes: list[OutcomeRecord]


class ActionList(Response):
    """The actions open on a day (or of a status), soonest planned first."""

    date: date | None
    actions: list[ActionRecord]
