"""The "Today" page: each owner role's collections actions of the day, with one-click outcomes.

It reads and writes through the functions behind the collections API
(`serving.collections.outcomes`), so a page outcome is recorded exactly as an API one is: with
the signed-in role and the request id. Forms carry the session's CSRF token.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from serving.collections.ladder_policy import OWNER_ROLES
from serving.collections.outcomes import latest_date, list_actions, record_outcome
from serving.collections.records import OutcomeRequest
from serving.deps import AuditDep, RequestIdDep, ServedDep
from serving.errors import ServingError
from serving.pages.rendering import render, url_part
from serving.pages.session import PageSession, csrf_matches
from serving.pages.signin import FormDep, SessionDep

router = APIRouter(include_in_schema=False)
QUICK_OUTCOMES = ("contacted", "no_answer", "paid")
"""Outcomes recorded with one click; a promise or a dispute also needs its fields."""


@router.get("/ui/today")
def today(
    request: Request, session: SessionDep, audit: AuditDep, owner_role: str = "collections"
) -> HTMLResponse:
    """The open actions of the latest planned day for one owner role."""
    role = owner_role if owner_role in OWNER_ROLES else "collections"
    return _page(request, session, audit, role)


@router.post("/ui/today/actions/{action_id}/outcome")
def record(
    request: Request,
    action_id: str,
    session: SessionDep,
    form: FormDep,
    audit: AuditDep,
    served: ServedDep,
    request_id: RequestIdDep,
) -> Response:
    """Record the form's outcome on the action, then back to the owner role's list."""
    role = form.get("owner_role", "collections")
    if not csrf_matches(session.csrf, form.get("csrf")):
        return _page(request, session, audit, role, 403, "Invalid form token: reload the page.")
    fields = {k: v for k, v in form.items() if k not in ("csrf", "owner_role") and v.strip()}
    try:
        body = OutcomeRequest.model_validate(fields, strict=False)  # form fields are text
        ladder = served.policy.dunning
        record_outcome(audit.engine, action_id, body, session.role, request_id, ladder)
    except ValidationError as exc:
        message = "; ".join(e["msg"] for e in exc.errors())
        return _page(request, session, audit, role, 422, message)
    except ServingError as exc:
        return _page(request, session, audit, role, exc.status_code, str(exc))
    return RedirectResponse(f"/ui/today?owner_role={url_part(role)}", status_code=303)


def _page(
    request: Request,
    session: PageSession,
    audit: AuditDep,
    role: str,
    status: int = 200,
    message: str | None = None,
) -> HTMLResponse:
    """The owner role's open actions of the latest planned day, with `message` if any."""
    day: date | None = latest_date(audit.engine)
    actions = [] if day is None else list_actions(audit.engine, day, role, "open")
    return render(
        request,
        "today.html",
        status,
        session=session,
        day=day,
        owner_role=role,
        owner_roles=OWNER_ROLES,
        actions=actions,
        quick=QUICK_OUTCOMES,
        errors=[message] if message else [],
    )
