"""Errors raised by the features package.

Messages say what went wrong, where, and what was expected, so a user can fix the input
without reading code.
"""

from __future__ import annotations

from pathlib import Path


class FeaturesError(Exception):
    """Base class of every error the features package raises on purpose."""


class SchemaError(FeaturesError):
    """A table breaks the canonical data contract (missing table or column, bad values)."""


class ImportRefused(SchemaError):
    """An import kept nothing usable (a required table unusable or empty, a file unreadable).

    The rejects were written all the same, so that they can be read: `reject_files`.
    """

    def __init__(self, message: str, reject_files: list[Path]) -> None:
        super().__init__(message)
        self.reject_files = reject_files


class SourceError(FeaturesError):
    """A source file cannot be turned into canonical tables (unreadable file, bad mapping)."""


class MappingError(SourceError):
    """An ERP column mapping (YAML) is malformed or refers to columns the export lacks."""


class StoreError(FeaturesError):
    """The online feature store cannot be read or written."""
