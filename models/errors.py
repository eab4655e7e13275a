"""Errors raised by the models package.

Messages name what is wrong and what was expected, so that serving can return them verbatim.
"""


class ModelError(Exception):
    """Base class of every error the models package raises on purpose."""


class FeatureMismatchError(ModelError):
    """The frame given to a bundle lacks features the model was trained on, or has unknown ones."""


class ArtifactError(ModelError):
    """A saved bundle is missing a file or holds a file that cannot be read."""
