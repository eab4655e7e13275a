"""Validation of raw tables against the canonical data contract (`features.schema`).

The package's modules, by job:
- `contract`: `validate_tables` / `validate_directory` / `load_valid_tables`, the entry points;
- `report`: what they return (`Problem`, `ValidationReport`) and `write_rejects`;
- `table`: validating one table (coercion, the row rules in order, kept rows and rejects);
- `rules`: the vectorised row rules; `values`: coercing one raw column to its canonical dtype;
- `console`: printing a report for people (`arsight data validate`).

The names other packages use are re-exported here: `from features.validate import ...`.
"""

from features.validate.contract import load_valid_tables, validate_directory, validate_tables
from features.validate.report import MISSING_TABLE, Problem, ValidationReport, write_rejects
from features.validate.table import EXTRA_COLUMN, MISSING_COLUMN

__all__ = [
    "EXTRA_COLUMN",
    "MISSING_COLUMN",
    "MISSING_TABLE",
    "Problem",
    "ValidationReport",
    "load_valid_tables",
    "validate_directory",
    "validate_tables",
    "write_rejects",
]
