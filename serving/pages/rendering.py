"""Rendering pages: one Jinja2 environment with autoescape on, filters, security headers.

Autoescape is on for every template (not only `.html`), so every value a page shows -- customer
names, ids, reason texts, error messages -- is escaped; only the SVG charts, built and escaped
in `serving.pages.charts`, are inserted as markup. Pages are sent with a strict Content
Security Policy (no script at all, nothing from another origin) and are never cached, since
they show credit data.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def money(value: object) -> str:
    """12,500 (no decimals; amounts are in the data's currency); em dash when unknown."""
    if not isinstance(value, int | float) or math.isnan(value):
        return "—"
    return f"{value:,.0f}"


def percent(value: object, digits: int = 1) -> str:
    """0.183 -> 18.3%; em dash when unknown."""
    if not isinstance(value, int | float) or math.isnan(value):
        return "—"
    return f"{value:.{digits}%}"


def days(value: object) -> str:
    """41.46 -> 41.5 days; em dash when unknown."""
    if not isinstance(value, int | float) or math.isnan(value):
        return "—"
    return f"{value:,.1f} days"


def signed(value: object) -> str:
    """+3 / -2 / 0 for a change of a count; em dash when there is nothing to compare with."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value:+,.0f}" if value else "0"


def decision_label(value: str) -> str:
    """approve_with_conditions -> approve with conditions."""
    return value.replace("_", " ")


def url_part(value: object) -> str:
    """A value made safe for one path segment or query value (ids may hold any character)."""
    return quote(str(value), safe="")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The pages' Jinja2 environment (built once, on first use)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        percent=percent,
        days=days,
        signed=signed,
        decision=decision_label,
        url_part=url_part,
    )
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template` with `context`, the security headers and the request id."""
    context.setdefault("session", None)
    context.setdefault("request_id", getattr(request.state, "request_id", ""))
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
