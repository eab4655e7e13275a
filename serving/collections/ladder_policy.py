"""The dunning ladder as policy: stages by days from the due date, and the rules that let risk
drive it (`dunning:` in serving/policy_default.yaml; DOMAIN "Collections escalation").

A stage is reached when an open invoice is at least `day` days past its due date (negative:
before it). Three rules let the model and the tier decide what the calendar alone would not:

- a pre-due stage (day < 0) goes only to invoices the model expects to be paid late, or to
  customers outside the `reliable_tiers` (a reliable customer whose invoice is predicted on
  time is not chased before it is late: over-chasing good customers costs orders);
- a stage with `needs_agreement` (the lawyer's letter, legal action) goes out only when the
  customer's tier is in `escalate_tiers` or the model gives the invoice at least
  `escalate_probability` of being paid more than the stage's `escalate_beyond_days` late (or
  never), and the invoice is not disputed; otherwise a person decides first (the `review`
  stage). The bound grows with the stage: at 30 days past due an invoice is certainly more
  than 30 days late, so legal action asks whether it will be more than 60 days late;
- outcomes hold the ladder: a promise to pay until its date (broken: the next stage at once),
  a dispute until it is resolved, a reported payment for `paid_hold_days`; `escalate` on a
  review action is the person's agreement, and the held-back stage goes out the next night.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OwnerRole = Literal["account_manager", "collections", "relationship_manager", "legal"]
OWNER_ROLES: tuple[str, ...] = ("account_manager", "collections", "relationship_manager", "legal")
Channel = Literal["email", "phone", "letter", "court", "internal"]
TierName = Literal["green", "yellow", "orange", "red"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Strict):
    """One rung: reached `day` days after the due date (negative: before), done by `owner_role`.

    `template` is the message, with {invoice_id}, {customer_id}, {open_amount}, {due_date},
    {days_past_due} and {predicted_payment_date} filled in per action.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    day: int
    owner_role: OwnerRole
    channel: Channel
    template: str = Field(min_length=1)
    needs_agreement: bool = False
    escalate_beyond_days: Literal[30, 60, 90] = 30
    """With `needs_agreement`: the model agrees when it gives at least the ladder's
    `escalate_probability` of the invoice being paid more than this many days late, or never
    (a delay bucket bound, so it is a sum of the model's bucket probabilities)."""


class ReviewStage(_Strict):
    """What replaces a stage that needs agreement when tier and model do not agree."""

    owner_role: OwnerRole
    channel: Channel
    template: str = Field(min_length=1)


class Ladder(_Strict):
    """The whole ladder: stages in increasing `day`, and the rules that let risk drive it."""

    stages: list[Stage] = Field(min_length=1)
    review: ReviewStage
    reliable_tiers: list[TierName]
    on_time_probability: float = Field(gt=0.0, le=1.0)
    escalate_tiers: list[TierName]
    escalate_probability: float = Field(gt=0.0, le=1.0)
    paid_hold_days: int = Field(ge=0)
    max_promise_days: int = Field(ge=1)
    """A promise to pay is dated from the collections day to this many days after it; a
    later date is a payment plan, agreed outside the ladder."""

    @model_validator(mode="after")
    def _check(self) -> Ladder:
        days = [s.day for s in self.stages]
        if days != sorted(set(days)):
            raise ValueError(f"dunning.stages: `day` must strictly increase, got {days}")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"dunning.stages: names must be unique, got {names}")
        return self

    def stage_index_at(self, days_past_due: int) -> int:
        """The index of the highest stage reached at `days_past_due`; -1 before the first."""
        reached = [i for i, s in enumerate(self.stages) if s.day <= days_past_due]
        return reached[-1] if reached else -1
