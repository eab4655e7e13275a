"""The feature catalog: every model feature's name, group, definition and unit, in frame order.

One source of truth: each group function's docstring has a ``Columns:`` section with one entry
per output column, ``name (unit): definition``, continuation lines indented further. Windowed
columns are written once with ``{w}`` and expanded over the group's ``WINDOWS``. The catalog
parses those docstrings, so `arsight features list` prints exactly what the code documents, and
a test checks that the built frame has exactly these columns in this order.

A unit of ``category`` makes the feature categorical; every other unit is numeric.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from features import activity, health, payment_history, peers, receivables, static

ENTRY = re.compile(r"^(?P<name>[a-z0-9_{}]+) \((?P<unit>[^)]+)\): (?P<definition>.+)$")


@dataclass(frozen=True)
class FeatureSpec:
    """One model feature as `arsight features list` shows it.

    Attributes:
        name: the frame column, `<entity>_<measure>[_<window>]`.
        group: the business concept (module) computing it.
        definition: meaning, window and what a null means; from the group's docstring.
        unit: days, currency, share, count, ratio, signal units or category.
        kind: "categorical" for unit category, else "numeric".
    """

    name: str
    group: str
    definition: str
    unit: str
    kind: Literal["numeric", "categorical"]


def parse_columns(doc: str) -> list[tuple[str, str, str]]:
    """The (name, unit, definition) entries of a docstring's ``Columns:`` section, in order.

    Raises:
        ValueError: the docstring has no ``Columns:`` section or an entry is malformed.
    """
    lines = doc.expandtabs().splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Columns:"]
    if not starts:
        raise ValueError("docstring has no 'Columns:' section")
    entries: list[list[str]] = []
    entry_indent: int | None = None
    for line in lines[starts[0] + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        entry_indent = indent if entry_indent is None else entry_indent
        if indent < entry_indent:
            break
        if indent == entry_indent:
            match = ENTRY.match(line.strip())
            if match is None:
                raise ValueError(f"malformed Columns entry: {line.strip()!r}")
            entries.append([match["name"], match["unit"], match["definition"]])
        else:
            entries[-1][2] += " " + line.strip()
    return [(name, unit, definition) for name, unit, definition in entries]


def group_specs(module: ModuleType, function: Callable[..., object]) -> list[FeatureSpec]:
    """The specs documented by one group function, windows expanded in order of WINDOWS."""
    group = module.__name__.rsplit(".", 1)[-1]
    windows: tuple[int, ...] = getattr(module, "WINDOWS", ())
    specs: list[FeatureSpec] = []
    for name, unit, definition in parse_columns(function.__doc__ or ""):
        expansions = windows if "{w}" in name else (None,)
        for w in expansions:
            specs.append(
                FeatureSpec(
                    name=name.replace("{w}", str(w)),
                    group=group,
                    definition=definition.replace("{w}", str(w)),
                    unit=unit,
                    kind="categorical" if unit == "category" else "numeric",
                )
            )
    return specs


def build_catalog() -> tuple[FeatureSpec, ...]:
    """Every model feature, in the column order of `build_feature_frame`."""
    specs: list[FeatureSpec] = []
    for module, function in (
        (payment_history, payment_history.payment_history),
        (receivables, receivables.receivables),
        (activity, activity.activity),
        (health, health.health),
        (peers, peers.peers),
        (static, static.static),
    ):
        specs += group_specs(module, function)
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"feature names documented twice: {duplicates}")
    return tuple(specs)


FEATURES: tuple[FeatureSpec, ...] = build_catalog()
"""Every model feature in frame column order; definitions from the group docstrings."""


def feature_names() -> list[str]:
    """The model's feature columns, in frame order."""
    return [s.name for s in FEATURES]


def categorical_names() -> list[str]:
    """The categorical features (pandas "str" columns in the frame)."""
    return [s.name for s in FEATURES if s.kind == "categorical"]
