"""Errors raised by the training package; messages say what, where and what was expected."""


class TrainingError(Exception):
    """Base class of every error the training package raises on purpose."""


class DatasetError(TrainingError):
    """The training frame cannot support the requested backtest (too few snapshots or labels)."""


class RegistryError(TrainingError):
    """The MLflow registry does not hold what was asked for (model, alias, version)."""
