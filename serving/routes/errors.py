"""The error responses routes declare, so OpenAPI documents every status the app can answer.

`ERROR_RESPONSES` is for the `/v1` routes (keyed, with a body or a path parameter);
`OPEN_RESPONSES` for the open operations endpoints. A status the app can return is listed
here, so a client generated from /openapi.json (and schemathesis) knows every answer.
"""

from __future__ import annotations

from typing import Any

from serving.schemas import ErrorResponse

OPEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Request body larger than the configured cap"},
    500: {"model": ErrorResponse, "description": "Unexpected error; quote the request id"},
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key"},
    403: {"model": ErrorResponse, "description": "The key's role may not call this endpoint"},
    404: {"model": ErrorResponse, "description": "Unknown customer"},
    409: {"model": ErrorResponse, "description": "Known customer without features"},
    422: {
        "model": ErrorResponse,
        "description": "Malformed request (not JSON, wrong type, out of range), naming the field",
    },
    429: {
        "model": ErrorResponse,
        "description": "Too many failed authentications from this address; see Retry-After",
    },
    503: {"model": ErrorResponse, "description": "Not ready, or the audit log is unavailable"},
    **OPEN_RESPONSES,
}

ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown action"},
    409: {"model": ErrorResponse, "description": "The action was superseded by a newer one"},
}

CASE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorResponse, "description": "Unknown case"},
    409: {"model": ErrorResponse, "description": "The case was decided already"},
}
