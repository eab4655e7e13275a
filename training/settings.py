"""Settings of the training package, from `ARSIGHT_*` environment variables.

Nothing is read at import: call `get_training_settings()` from an entry point. MLflow's own
`MLFLOW_TRACKING_URI` is honoured; without it the embedded store is a SQLite file under
`<ARSIGHT_HOME>/models/` with artifacts beside it (the directory is created when a run starts).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from features import locations


class TrainingSettings(BaseSettings):
    """Training budget, backtest shape and where models are tracked.

    Attributes:
        home: root for data, stores and outputs (`ARSIGHT_HOME`).
        model_name: registered model name in MLflow.
        experiment: MLflow experiment that holds training runs.
        trials: Optuna trials per training run.
        timeout_seconds: wall-clock limit of the Optuna search (None: trials only).
        folds: rolling-origin backtest folds (at least 3).
        fold_snapshots: snapshots (months) per test block of a fold.
        seed: the one seed of sampler, LightGBM and baselines.
        max_rounds: upper bound on boosting rounds (early stopping picks fewer).
        threads: LightGBM threads per model (1 is fastest on a busy shared machine).
        invoice_max_rows: cap on the invoice model's training rows (a seeded sample above it;
            the multiclass booster fits 5 trees a round, so rows are its cost).
        mlflow_tracking_uri: MLflow tracking/registry URI (`MLFLOW_TRACKING_URI`); default the
            embedded SQLite store under `<home>/models/` (the one serving reads).
    """

    model_config = SettingsConfigDict(
        env_prefix="ARSIGHT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    home: Path = Path(".")
    model_name: str = "arsight"
    experiment: str = "arsight-training"
    trials: int = Field(default=30, ge=0)
    timeout_seconds: float | None = Field(default=None, gt=0)
    folds: int = Field(default=3, ge=3)
    fold_snapshots: int = Field(default=3, ge=1)
    seed: int = 0
    max_rounds: int = Field(default=1000, ge=10)
    threads: int = Field(default=1, ge=1)
    invoice_max_rows: int = Field(default=50_000, ge=100)
    mlflow_tracking_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "mlflow_tracking_uri")
    )

    @property
    def models_dir(self) -> Path:
        return locations.under_home(self.home, locations.MLFLOW_DB).parent

    @property
    def embedded_store(self) -> bool:
        """Whether the MLflow store is the embedded SQLite file below home (no URI set)."""
        return not self.mlflow_tracking_uri

    def tracking_uri(self) -> str:
        """`MLFLOW_TRACKING_URI` if set, else the embedded SQLite store under `models/`."""
        return locations.database_url(self.home, self.mlflow_tracking_uri, locations.MLFLOW_DB)

    def artifact_location(self) -> str:
        """Where new experiments store artifacts with a database store (SQLite, PostgreSQL)."""
        return (self.models_dir / "artifacts").resolve().as_uri()


@lru_cache
def get_training_settings() -> TrainingSettings:
    return TrainingSettings()
