"""A mapping's `derive` expressions: a date column plus or minus days, read without eval.

`due_date = issue_date + 30` or `cleared_date = issue_date + "Days to Pay"`: the days are a
whole number or a source column holding one per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DERIVE = re.compile(
    r"^\s*(?P<base>[a-z_][a-z0-9_]*)\s*(?P<sign>[+-])\s*"
    r"(?:(?P<days>\d+)|\"(?P<quoted>[^\"]+)\"|(?P<column>[^\s\"+-][^\"+]*?))\s*$"
)


@dataclass(frozen=True)
class Derivation:
    """A parsed ``derive`` expression: ``base ± offset`` in days.

    Attributes:
        base: canonical date column of the same table the days are added to.
        sign: +1 or -1.
        days: a fixed number of days, or None when `column` gives them per row.
        column: source column holding a whole number of days per row, or None.
    """

    base: str
    sign: int
    days: int | None
    column: str | None


def parse_derivation(expression: str) -> Derivation:
    """Parse ``date_column + N`` or ``date_column + source_column`` (also ``-``); no eval.

    Raises:
        ValueError: the expression has another shape (pydantic turns it into a mapping error).
    """
    match = _DERIVE.match(expression)
    if match is None:
        raise ValueError(
            f"cannot read derive {expression!r}; expected '<date column> + <days>' where days "
            'is a whole number or a source column (quote names with spaces: "Net Days")'
        )
    days = match["days"]
    return Derivation(
        base=match["base"],
        sign=1 if match["sign"] == "+" else -1,
        days=int(days) if days is not None else None,
        column=match["quoted"] or (match["column"].strip() if match["column"] else None),
    )
