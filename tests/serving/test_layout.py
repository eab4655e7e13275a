"""The serving package's direction: routes and pages call services, never the reverse."""

from __future__ import annotations

from pathlib import Path

import serving
from tests.serving.test_batch_layout import _imports

PACKAGE = Path(serving.__file__).parent
FRONT = ("serving.routes", "serving.pages")
TOP = {"app.py", "cli.py", "deps.py"}
"""The app, its command and the routes' dependencies: they compose the front and services."""


def test_services_never_import_routes_or_pages() -> None:
    services = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.relative_to(PACKAGE).parts[0] not in ("routes", "pages", "migrations")
        and p.name not in TOP
    ]
    assert len(services) > 50
    for path in services:
        wrong = {m for m in _imports(path) if m.startswith(FRONT)}
        assert wrong == set(), f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_training_and_serving_never_import_each_other() -> None:
    root = PACKAGE.parent
    for package, other in (("serving", "training"), ("training", "serving")):
        for path in sorted((root / package).rglob("*.py")):
            wrong = {m for m in _imports(path) if m == other or m.startswith(f"{other}.")}
            assert wrong == set(), f"{path.relative_to(root)} imports {sorted(wrong)}"
