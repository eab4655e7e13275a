"""Every feature in a risk officer's words: a short label and a sentence template.

The catalog (features/catalog.py) holds what a feature *is* (definition, unit, window); this
module holds how it is *said*: a label for tables and the waterfall ("Late share, last 90
days") and a sentence with the customer's value ("Paid 45% of invoices late in the last 90
days"). The API, the batch files, the pages and the alerts all use these, so a reason reads
the same everywhere. Windowed features are written once with ``{w}`` (expanded like the
catalog); a sentence holds ``{value}``, formatted by `format_value` in the wording's `style`.

Rules a test enforces for every catalog feature: a wording exists, the label is at most 40
characters and the filled sentence at most 100 (with the industry comparison the reason text
appends), and neither holds interval notation or a column name.
"""

from __future__ import annotations

import math

import numpy as np

from features.wording_table import WORDING_PATTERNS, Style, Wording

__all__ = ["WORDING_PATTERNS", "Style", "Wording", "fill_sentence", "format_value", "wording_for"]


def wording_for(name: str) -> Wording | None:
    """The wording of feature `name` (window read from the name), or None when it has none."""
    found = WORDING_PATTERNS.get(name)
    if found is not None:
        return found
    for pattern, wording in WORDING_PATTERNS.items():
        if "{w}" not in pattern:
            continue
        head, tail = pattern.split("{w}")
        if name.startswith(head) and name.endswith(tail):
            middle = name[len(head) : len(name) - len(tail)]
            if middle.isdigit():
                return Wording(
                    wording.label.replace("{w}", middle),
                    wording.sentence.replace("{w}", middle),
                    wording.style,
                )
    return None


def _days(v: float) -> str:
    return "1 day" if round(v) == 1 else f"{v:,.0f} days"


def _vs_due(v: float) -> str:
    """Days relative to a due date: "3 days after due", "on the due date"."""
    if round(v) == 0:
        return "on the due date"
    return _days(abs(v)) + (" after due" if v > 0 else " before due")


def _past_due(v: float) -> str:
    """An open invoice's days past due: "5 days past due", "due in 10 days", "due today"."""
    if round(v) == 0:
        return "due today"
    return f"{_days(v)} past due" if v > 0 else f"due in {_days(-v)}"


def format_value(value: object, style: Style) -> str:
    """A value as a risk officer reads it: 45%, 62 days, +5 days, 3 days after due,
    12,500, down 30%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if style == "text" or not isinstance(value, int | float | np.number):
        return str(value)
    v = float(value)
    sign = "+" if v > 0 else ""
    formats = {
        "share": lambda: f"{v:.0%}",
        "signed_share": lambda: f"{sign}{v * 100:.0f} points",
        "days": lambda: _days(v),
        "signed_days": lambda: ("-" if v < 0 else sign) + _days(abs(v)),
        "vs_due": lambda: _vs_due(v),
        "past_due": lambda: _past_due(v),
        "amount": lambda: f"{v:,.0f}",
        "signed_amount": lambda: f"{sign}{v:,.0f}",
        "count": lambda: f"{v:,.0f}",
        "signed_count": lambda: f"{sign}{v:,.0f}",
        "ratio": lambda: f"{v:.2f}x",
        "change": lambda: ("up" if v >= 0 else "down") + f" {abs(v):.0%}",
        "points": lambda: f"{v:,.1f}".removesuffix(".0"),
        "signed_points": lambda: sign + f"{v:,.1f}".removesuffix(".0"),
        "yes_no": lambda: "yes" if v >= 0.5 else "no",
    }
    return formats[style]()


def fill_sentence(wording: Wording, value: object) -> str:
    """The wording's sentence with `value` written in its style; "<label>: unknown" for null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{wording.label}: unknown"
    return wording.sentence.format(value=format_value(value, wording.style))
