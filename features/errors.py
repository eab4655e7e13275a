"""Errors raised by the features package.

Messages say what went wrong, where, and what was expected, so a user can fix the input
without reading code.
"""


class FeaturesError(Exception):
    """Base class of every error the features package raises on purpose."""


class SchemaError(FeaturesError):
    """A table breaks the canonical data contract (missing table or column, bad values)."""


class SourceError(FeaturesError):
    """A source file cannot be turned into canonical tables (unreadable file, bad mapping)."""


class MappingError(SourceError):
    """An ERP column mapping (YAML) is malformed or refers to columns the export lacks."""


class StoreError(FeaturesError):
    """The online feature store cannot be read or written."""
