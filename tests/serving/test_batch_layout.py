"""The batch package's import direction: the pandas and Spark engines meet only in the shared
modules (see `serving/batch/__init__.py`)."""

from __future__ import annotations

import ast
from pathlib import Path

import serving.batch

PACKAGE = Path(serving.batch.__file__).parent
PANDAS_ENGINE = {"run", "finish", "job", "alerts", "worklist", "drift"}
"""Modules of the pandas engine (`serving.batch.<name>`)."""
DISPATCH = {"engine", "cli"}
"""The modules that may name either engine."""


def _imports(path: Path) -> set[str]:
    """Every module `path` imports from (absolute names), including inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_spark_engine_never_imports_the_pandas_engine() -> None:
    for path in sorted((PACKAGE / "spark").glob("*.py")):
        wrong = {m for m in _imports(path) if m.removeprefix("serving.batch.") in PANDAS_ENGINE}
        assert wrong == set(), f"{path.name} imports {sorted(wrong)}"


def test_shared_modules_and_pandas_engine_never_import_spark() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in DISPATCH:
            continue
        wrong = {m for m in _imports(path) if m.startswith("serving.batch.spark")}
        assert wrong == set(), f"{path.name} imports {sorted(wrong)}"


def test_shared_modules_never_import_the_pandas_engine() -> None:
    shared = [p for p in PACKAGE.glob("*.py") if p.stem not in PANDAS_ENGINE | DISPATCH]
    for path in sorted(shared):
        wrong = {m for m in _imports(path) if m.removeprefix("serving.batch.") in PANDAS_ENGINE}
        assert wrong == set(), f"{path.name} imports {sorted(wrong)}"
