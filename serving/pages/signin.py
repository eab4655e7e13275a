"""Sign-in and sign-out routes, the session dependency and form parsing of the pages.

Forms are `application/x-www-form-urlencoded` and parsed here with the standard library (at
most 16 KB, 20 fields), so the pages need no multipart parser. A page request without a valid
session is redirected (303) to the sign-in page, which sends the officer back afterwards; the
`next` target is accepted only when it is a path below /ui, so the sign-in page cannot be
used to redirect anyone to another site.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from serving.auth import KeyRing
from serving.errors import AuthError, ForbiddenError
from serving.pages.rendering import render
from serving.pages.session import (
    COOKIE_PATH,
    LOGIN_COOKIE,
    LOGIN_MAX_AGE_SECONDS,
    MAX_AGE_SECONDS,
    RISK_PAGE_ROLES,
    SESSION_COOKIE,
    PageSession,
    SessionSigner,
    SessionTable,
    csrf_matches,
    session_secret,
    start_session,
    still_valid,
)

MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20
HOME = "/ui/"

router = APIRouter(include_in_schema=False)


def signer_of(request: Request) -> SessionSigner:
    """The signer for this app's session secret."""
    return SessionSigner(session_secret(request.app.state.settings))


def sessions_of(request: Request) -> SessionTable:
    """The app's open sessions (created with the app, see `serving.app.create_app`)."""
    table: SessionTable = request.app.state.page_sessions
    return table


def safe_next(target: str | None) -> str:
    """`target` when it is a path below /ui on this site, else the portfolio page."""
    if not target or not target.startswith("/ui") or "//" in target or "\\" in target:
        return HOME
    return target


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form (first value of each); 400/413/415 otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "expected an application/x-www-form-urlencoded form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, f"form larger than {MAX_FORM_BYTES} bytes")
    try:
        parsed = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "malformed form") from exc
    return {name: values[0] for name, values in parsed.items()}


def page_session(request: Request) -> PageSession:
    """The signed-in officer; a redirect to the sign-in page otherwise."""
    session_id = signer_of(request).load_session(request.cookies.get(SESSION_COOKIE))
    session = sessions_of(request).get(session_id)
    keys: KeyRing = request.app.state.keys
    if session is None or not still_valid(keys, session):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/ui/login?next={quote(safe_next(target), safe='')}"
        raise HTTPException(303, "sign in first", headers={"Location": location})
    request.state.role = session.role
    request.state.page_session_id = session_id
    return session


SessionDep = Annotated[PageSession, Depends(page_session)]


class PageForbiddenError(Exception):
    """A signed-in role opened a page it may not see (rendered as a 403 page)."""

    def __init__(self, session: PageSession, message: str) -> None:
        super().__init__(message)
        self.session = session


def risk_page_session(session: SessionDep) -> PageSession:
    """The signed-in officer when the role may see the credit pages (`RISK_PAGE_ROLES`)."""
    if session.role not in RISK_PAGE_ROLES:
        raise PageForbiddenError(
            session,
            f"The {session.role} role may not open the credit pages (risk role needed): "
            "the day's collections actions are on the Today page.",
        )
    return session


RiskSessionDep = Annotated[PageSession, Depends(risk_page_session)]


def forbidden_page(request: Request, exc: Exception) -> HTMLResponse:
    """The 403 page of `PageForbiddenError` (the app's exception handler for it)."""
    assert isinstance(exc, PageForbiddenError)
    return render(request, "error.html", 403, session=exc.session, message=str(exc))


def landing_page(session: PageSession, target: str) -> str:
    """Where sign-in goes: `target`, but collections lands on its Today page."""
    if target == HOME and session.role not in RISK_PAGE_ROLES:
        return "/ui/today"
    return target


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def _login_page(request: Request, status: int, error: str | None, target: str) -> HTMLResponse:
    signer = signer_of(request)
    nonce, token = signer.login_pair()
    response = render(
        request, "login.html", status_code=status, error=error, token=token, next=target
    )
    _set_cookie(request, response, LOGIN_COOKIE, nonce, LOGIN_MAX_AGE_SECONDS)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/ui/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    """The sign-in form."""
    return _login_page(request, 200, None, safe_next(next))


@router.post("/ui/login")
def login(request: Request, form: FormDep) -> Response:
    """Check the form token and the key; on success set the session cookie and go on."""
    target = safe_next(form.get("next"))
    if not signer_of(request).login_token_matches(
        form.get("token"), request.cookies.get(LOGIN_COOKIE)
    ):
        return _login_page(request, 400, "The sign-in form expired: please sign in again.", target)
    try:
        session = start_session(request.app.state.keys, form.get("api_key", ""))
    except AuthError:
        return _login_page(request, 401, "Invalid API key.", target)
    except ForbiddenError:
        return _login_page(
            request,
            403,
            "This key may not open the risk pages (risk or collections role needed).",
            target,
        )
    response = RedirectResponse(landing_page(session, target), status_code=303)
    cookie = signer_of(request).dump_session(sessions_of(request).open(session))
    _set_cookie(request, response, SESSION_COOKIE, cookie, MAX_AGE_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/ui/logout")
def logout(request: Request, session: SessionDep, form: FormDep) -> Response:
    """End the session (CSRF-checked, so no other site can sign an officer out).

    The session is deleted on the server, so the cookie stops working even where a copy of it
    survives (another tab's jar, an attacker's replay).
    """
    if not csrf_matches(session.csrf, form.get("csrf")):
        return render(request, "error.html", 403, session=session, message="Invalid form token.")
    sessions_of(request).revoke(request.state.page_session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
