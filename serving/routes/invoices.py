"""GET /v1/customers/{customer_id}/invoices: the open invoices with their payment predictions."""

from __future__ import annotations

from fastapi import APIRouter, Path

from serving.deps import AuditDep, RequestIdDep, ScoringCaller, ServedDep
from serving.errors import UnknownCustomerError
from serving.invoice_record import CustomerInvoicesResponse
from serving.routes.answers import audit_row
from serving.routes.errors import ERROR_RESPONSES

router = APIRouter(tags=["customers"])


@router.get("/v1/customers/{customer_id}/invoices", responses=ERROR_RESPONSES)
def customer_invoices(
    caller: ScoringCaller,
    customer_id: str = Path(min_length=1, max_length=128),
    *,
    served: ServedDep,
    audit: AuditDep,
    request_id: RequestIdDep,
) -> CustomerInvoicesResponse:
    """The customer's invoices open at the online store's date, soonest due first, each with
    the probabilities of being paid on time or 1-30, 31-60, 61-90, over 90 days late (or
    never), days late p10/p50/p90, the predicted payment date and the top reasons (crm, risk).

    Scored when the server loads the model and the store (the invoice store beside it); empty
    for a customer with nothing open, or when the model has no invoice model. Audited like a
    score: the customer's score row with the invoices' on-time probability and payment date.
    """
    if customer_id not in served.scores and customer_id not in served.no_features:
        raise UnknownCustomerError(
            f"unknown customer {customer_id!r}: not in the online store as of "
            f"{served.features_as_of.isoformat()}"
        )
    response = CustomerInvoicesResponse(
        customer_id=customer_id,
        invoices=list(served.invoices.get(customer_id, ())),
        model_name=served.ref.name,
        model_version=served.ref.version,
        features_as_of=served.features_as_of,
    )
    score = served.answers.get(customer_id)
    if score is not None:  # a customer without features has no score row to audit beside
        predicted = [
            i.model_dump(
                mode="json",
                include={"invoice_id", "p_paid_on_time", "predicted_payment_date", "open_amount"},
            )
            for i in response.invoices
        ]
        row = audit_row(
            request_id=request_id,
            role=caller,
            endpoint="customers.invoices",
            score=score,
            served=served,
            extra={"invoices": predicted},
        )
        audit.write([row])
    return response
