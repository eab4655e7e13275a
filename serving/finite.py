"""Refusing non-finite numbers before they reach an answer.

Amounts come from the data; two open invoices of 1e308 overflow the store's sums to infinity.
A decision computed from such a number ("exposure after the deal inf") is worse than no
decision, so the deal routes refuse it with `NonFiniteError` (409, as for a customer without
usable features), naming the customer, the field and the value; the pages show the same text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from serving.errors import NoFeaturesError


class NonFiniteError(NoFeaturesError):
    """A number an answer depends on is infinite or NaN (HTTP 409)."""


def require_finite(customer_id: str, where: str, values: Mapping[str, float | None]) -> None:
    """NonFiniteError naming the first of `values` (name -> number, None allowed) not finite."""
    for name, value in values.items():
        if value is not None and not math.isfinite(value):
            raise NonFiniteError(
                f"customer {customer_id!r}: {name} {where} is not a finite number ({value}); "
                "the deal cannot be assessed until the data is corrected"
            )
