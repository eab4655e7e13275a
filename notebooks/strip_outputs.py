"""Strip notebooks before committing: outputs, execution counts and papermill's traces.

Committed notebooks carry code and prose only (outputs hold data, bloat diffs and go stale);
`make test` fails on a notebook with outputs (tests/notebooks/test_notebooks.py). Usage:

    .venv/bin/python notebooks/strip_outputs.py notebooks/*.ipynb          # strip in place
    .venv/bin/python notebooks/strip_outputs.py --check notebooks/*.ipynb  # exit 1 if dirty

Besides outputs and counts it removes the cell papermill injects with the parameters it was
run with ("injected-parameters") and papermill's run metadata, so that running a notebook with
papermill into itself and stripping it gives back the committed file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from rich.console import Console

INJECTED_TAG = "injected-parameters"
RUN_METADATA = ("papermill", "execution")


def strip(notebook: nbformat.NotebookNode) -> bool:
    """Strip `notebook` in place; True if anything was removed."""
    changed = False
    kept = []
    for cell in notebook.cells:
        if INJECTED_TAG in cell.get("metadata", {}).get("tags", []):
            changed = True
            continue
        for key in RUN_METADATA:
            changed |= cell.metadata.pop(key, None) is not None
        if cell.cell_type == "code":
            changed |= bool(cell.outputs) or cell.execution_count is not None
            cell.outputs = []
            cell.execution_count = None
        kept.append(cell)
    notebook.cells = kept
    changed |= notebook.metadata.pop("papermill", None) is not None
    return changed


def main(argv: list[str] | None = None) -> int:
    """Strip (or with --check, only report) each notebook; exit 1 on --check if any is dirty."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report, do not write")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    dirty = []
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        if not strip(notebook):
            continue
        dirty.append(path)
        if not args.check:
            nbformat.write(notebook, path)
            console.print(f"stripped {path}", markup=False, soft_wrap=True)
    if args.check and dirty:
        listing = ", ".join(map(str, dirty))
        console.print(
            f"outputs present (run notebooks/strip_outputs.py): {listing}",
            markup=False,
            soft_wrap=True,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
