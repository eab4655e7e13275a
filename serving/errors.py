"""Errors raised by the serving package, each mapped to one HTTP status in `serving.app`.

Messages say what went wrong, where, and what was expected; they are returned to the caller as
the `detail` of the error response, so they never contain secrets or stack traces.
"""

from __future__ import annotations


class ServingError(Exception):
    """Base class of every error the serving package raises on purpose."""

    status_code: int = 500


class PolicyError(ServingError):
    """The risk-policy YAML is missing, malformed or refers to unknown features."""


class AuthError(ServingError):
    """No API key, or a key that matches no configured key (HTTP 401)."""

    status_code = 401


class ForbiddenError(ServingError):
    """A valid key whose role may not call this endpoint (HTTP 403)."""

    status_code = 403


class UnknownCustomerError(ServingError):
    """The customer id is not in the online store nor in the audit history (HTTP 404)."""

    status_code = 404


class UnknownIndustryError(ServingError):
    """The industry is not among the latest cash forecast's industries (HTTP 404)."""

    status_code = 404


class NoRunError(ServingError):
    """No completed nightly run (or none with the asked output) to answer from (HTTP 503)."""

    status_code = 503


class QueryError(ServingError):
    """Query parameters that cannot be answered together (HTTP 422)."""

    status_code = 422


class NoFeaturesError(ServingError):
    """The customer is known but the online store holds no features for it (HTTP 409)."""

    status_code = 409


class ModelNotReadyError(ServingError):
    """No model or no online store is loaded yet, or they disagree (HTTP 503)."""

    status_code = 503


class ConsistencyError(ModelNotReadyError):
    """The champion's feature list differs from the online store's; the pair is refused."""


class ModelLoadError(ServingError):
    """The model registry is unreachable or the model cannot be loaded."""


class NotAnsweringError(ModelLoadError):
    """A registry or store call took longer than its deadline (`serving.deadline`)."""


class AuditError(ServingError):
    """An audit row could not be written; the decision is not returned unrecorded (HTTP 503)."""

    status_code = 503


class UnknownActionError(ServingError):
    """No collections action has this id (HTTP 404)."""

    status_code = 404


class ActionClosedError(ServingError):
    """The action was superseded; outcomes go on the invoice's current action (HTTP 409)."""

    status_code = 409


class OutcomeRejectedError(ServingError):
    """The outcome does not fit the action or the policy (HTTP 422): a promise dated before
    the collections day or beyond the policy's window, an escalation on a non-review action."""

    status_code = 422


class UnknownCaseError(ServingError):
    """No referral case has this id (HTTP 404)."""

    status_code = 404


class CaseDecidedError(ServingError):
    """The case was decided already; a decision is recorded once (HTTP 409)."""

    status_code = 409
