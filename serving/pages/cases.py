"""The referral cases page: open cases oldest first, each decided with one form.

It reads and decides through the functions behind the cases API, so a decision made here is
recorded exactly as an API one (in the case and the audit log, with the signed-in role and the
request id). Only risk officers decide; forms carry the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from serving.cases.records import CaseDecision
from serving.cases.service import list_cases
from serving.deps import AuditDep, RefresherDep, RequestIdDep
from serving.errors import ServingError
from serving.pages.rendering import render
from serving.pages.session import PageSession, csrf_matches
from serving.pages.signin import FormDep, RiskSessionDep
from serving.routes.cases import record_decision

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, session: PageSession, audit: AuditDep, status: int = 200, error: str = ""
) -> HTMLResponse:
    cases = list_cases(audit.engine, "open")
    return render(request, "cases.html", status, session=session, cases=cases, error=error)


@router.get("/ui/cases")
def cases_page(request: Request, session: RiskSessionDep, audit: AuditDep) -> HTMLResponse:
    """Open referral cases, oldest first, with the deal each holds."""
    return _page(request, session, audit)


@router.post("/ui/cases/{case_id}/decision")
def decide(
    request: Request,
    case_id: str,
    session: RiskSessionDep,
    form: FormDep,
    audit: AuditDep,
    state: RefresherDep,
    request_id: RequestIdDep,
) -> Response:
    """Record the form's decision, then back to the open cases."""
    if not csrf_matches(session.csrf, form.get("csrf")):
        return _page(request, session, audit, 403, "Invalid form token: reload the page.")
    conditions = [c.strip() for c in form.get("conditions", "").splitlines() if c.strip()]
    fields = {"decision": form.get("decision", ""), "reason": form.get("reason", "").strip()}
    try:
        body = CaseDecision.model_validate({**fields, "conditions": conditions})
        record_decision(audit, state.current(), case_id, body, session.role, request_id)
    except ValidationError as exc:
        message = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors()
        )
        return _page(request, session, audit, 422, message)
    except ServingError as exc:
        return _page(request, session, audit, exc.status_code, str(exc))
    return RedirectResponse("/ui/cases", status_code=303)
