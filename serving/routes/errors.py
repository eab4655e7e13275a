"""The error responses routes declare, so OpenAPI documents their shape."""

from __future__ import annotations

from typing import Any

from serving.schemas import ErrorResponse

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key"},
    403: {"model": ErrorResponse, "description": "The key's role may not call this endpoint"},
    404: {"model": ErrorResponse, "description": "Unknown customer"},
    409: {"model": ErrorResponse, "description": "Known customer without features"},
    422: {"model": ErrorResponse, "description": "Malformed request, naming the field"},
    503: {"model": ErrorResponse, "description": "Not ready, or the audit log is unavailable"},
}
