"""Settings of the online scoring service, from `ARSIGHT_*` environment variables.

Nothing is read at import: entry points call `get_serving_settings()`, tests build
`ServingSettings(_env_file=None, ...)` directly. Every path has a default below `home`, so the
embedded set-up needs no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from features import locations


class ServingSettings(BaseSettings):
    """Where the server finds its model, store, policy, keys and audit log.

    Attributes:
        home: root for stores and outputs (`ARSIGHT_HOME`, default the current directory).
        online_store: Parquet path or SQLite/PostgreSQL URL of the online feature store;
            relative paths are below `home`.
        audit_db_url: SQLAlchemy URL of the audit log; default `sqlite:///<home>/audit/audit.db`.
        policy: risk-policy YAML; default the one shipped in the package.
        api_keys: development keys, `role:key` pairs separated by commas.
        api_keys_file: production keys, one `role:sha256-hex-of-key` a line.
        tracking_uri: MLflow tracking/registry URI (`MLFLOW_TRACKING_URI`); default a SQLite
            store at `<home>/models/mlflow.db`, the one training writes to.
        model_name, model_alias: the registered model and the alias served.
        poll_seconds: how often to look for a newer champion or store; 0 disables polling.
        reasons_top_k: reasons returned per output.
        freeze_heap: after each load, exclude long-lived objects from garbage collection
            (`serving.refresher.settle_heap`; tests turn it off to save a collection per app).
    """

    model_config = SettingsConfigDict(
        env_prefix="ARSIGHT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    home: Path = Path(".")
    online_store: str = locations.ONLINE_STORE
    audit_db_url: str | None = None
    policy: Path | None = None
    api_keys: SecretStr | None = None
    api_keys_file: Path | None = None
    tracking_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "tracking_uri")
    )
    model_name: str = "arsight"
    model_alias: str = "champion"
    poll_seconds: float = Field(default=30.0, ge=0.0)
    reasons_top_k: int = Field(default=3, ge=1, le=20)
    # Risk officers' pages (docs/pages.md): cookie-signing secret (None: random per process, so
    # sessions end at restart), batch runs directory and data directory, both below home.
    session_secret: SecretStr | None = None
    runs_dir: str = locations.RUNS_DIR
    data_dir: str = locations.DATA_DIR
    freeze_heap: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Deadlines of calls that may hang (docs/serving.md, "Timeouts"): one alias look-up, one
    # bundle download, one online-store call.
    registry_timeout_seconds: float = Field(default=30.0, gt=0.0)
    registry_load_timeout_seconds: float = Field(default=300.0, gt=0.0)
    store_timeout_seconds: float = Field(default=60.0, gt=0.0)
    # Limits (serving.limits, docs/serving.md "Limits"): body cap, read deadline of a whole
    # request, and failed authentications allowed per client address in a sliding window.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    request_read_timeout_seconds: float = Field(default=5.0, gt=0.0)
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0.0)
    # Notifications (serving.notifications, docs/collections.md "Notifications"): the nightly
    # job pushes new early warnings and the day's new collections actions to this webhook,
    # signed with HMAC-SHA256 under the secret; None: nothing is pushed or queued.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=5.0, gt=0.0)
    webhook_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_seconds: float = Field(default=0.5, ge=0.0)
    webhook_batch_size: int = Field(default=100, ge=1, le=10_000)

    @model_validator(mode="after")
    def _signed_webhook(self) -> ServingSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "ARSIGHT_WEBHOOK_URL is set but ARSIGHT_WEBHOOK_SECRET is not: "
                "arsight never pushes unsigned events"
            )
        return self

    def resolve(self, path: str | Path) -> Path:
        """`path` if absolute, else below `home`."""
        return locations.under_home(self.home, path)

    @property
    def online_store_location(self) -> str:
        """The store as `read_online_store` wants it: a URL as is, a path resolved below home."""
        return locations.location(self.home, self.online_store)

    @property
    def audit_url(self) -> str:
        """The audit database URL, defaulting to a SQLite file below home."""
        return locations.database_url(self.home, self.audit_db_url, locations.AUDIT_DB)

    @property
    def mlflow_uri(self) -> str:
        """The MLflow tracking URI, defaulting to the SQLite store training writes under home."""
        return locations.database_url(self.home, self.tracking_uri, locations.MLFLOW_DB)

    @property
    def model_uri(self) -> str:
        """The registry URI of the served model, e.g. `models:/arsight@champion`."""
        return f"models:/{self.model_name}@{self.model_alias}"


@lru_cache
def get_serving_settings() -> ServingSettings:
    """The process-wide settings, read once from the environment."""
    return ServingSettings()
