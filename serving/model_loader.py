"""The MLflow side of serving: which version the alias points at, and loading it.

The only module in serving that talks to MLflow. The registry is asked for the alias's
version on every poll (cheap); the bundle is downloaded only when that version changes. Any
registry failure surfaces as `ModelLoadError`, which the refresher turns into "keep serving the
last good model and say so on /readyz". Three failures get special care:

- a registry that hangs: every call has a deadline (`serving.deadline`), `timeout_seconds` to
  resolve the alias and `load_timeout_seconds` to download a bundle;
- a registry that refuses connections: whatever the database driver raises (SQLAlchemy's
  errors, not only MLflow's) is a `ModelLoadError`, so the server starts and says why;
- an embedded SQLite registry that is missing: serving and scoring only read a registry, so a
  missing file is refused instead of letting MLflow create an empty one in its place; when the
  file comes back (restored from a backup, a new inode), MLflow's pooled connections to the old
  file are closed so the next call opens the restored one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from mlflow.exceptions import MlflowException
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistrySqlStore
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore as TrackingSqlStore
from mlflow.tracking import MlflowClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from models.bundle import ModelBundle
from models.errors import ModelError
from models.pyfunc import load_bundle
from serving.deadline import Deadline
from serving.errors import ModelLoadError
from serving.settings import ServingSettings

T = TypeVar("T")
REGISTRY_ERRORS = (MlflowException, OSError, SQLAlchemyError)
"""What a registry call may raise when the registry, not our code, is at fault."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRef:
    """One registered model version as served."""

    name: str
    version: str
    alias: str
    run_id: str | None

    @property
    def uri(self) -> str:
        """The immutable URI of this version (not the moving alias)."""
        return f"models:/{self.name}/{self.version}"


class ModelSource:
    """Resolves `models:/<name>@<alias>` against one MLflow tracking/registry URI.

    Args:
        tracking_uri: the MLflow store (tracking and registry).
        name, alias: the registered model and the alias served.
        timeout_seconds: deadline of one alias look-up.
        load_timeout_seconds: deadline of one bundle download and load.
    """

    def __init__(
        self,
        tracking_uri: str,
        name: str,
        alias: str,
        timeout_seconds: float = 30.0,
        load_timeout_seconds: float = 300.0,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.alias = alias
        self._resolve_deadline = Deadline(timeout_seconds)
        self._load_deadline = Deadline(load_timeout_seconds)
        self._sqlite_inode: int | None = None

    @classmethod
    def from_settings(cls, settings: ServingSettings) -> ModelSource:
        """The configured alias with the configured deadlines (server and batch job alike)."""
        return cls(
            settings.mlflow_uri,
            settings.model_name,
            settings.model_alias,
            timeout_seconds=settings.registry_timeout_seconds,
            load_timeout_seconds=settings.registry_load_timeout_seconds,
        )

    @property
    def where(self) -> str:
        """The registry as messages name it (password hidden)."""
        return f"model registry at {masked(self.tracking_uri)}"

    def resolve(self) -> ModelRef:
        """The version the alias points at now; ModelLoadError if the registry cannot say."""
        target = f"models:/{self.name}@{self.alias}"
        version = self._call(self._resolve_deadline, f"cannot resolve {target}", self._alias)
        return ModelRef(self.name, str(version.version), self.alias, version.run_id)

    def _alias(self) -> object:
        client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return client.get_model_version_by_alias(self.name, self.alias)

    def load(self, ref: ModelRef) -> ModelBundle:
        """Download and open the bundle of `ref`; ModelLoadError if that fails."""
        try:
            bundle = self._call(
                self._load_deadline,
                f"cannot load {ref.uri}",
                lambda: load_bundle(ref.uri, self.tracking_uri),
            )
        except ModelError as exc:
            raise ModelLoadError(f"cannot load {ref.uri}: {_first_line(exc)}") from exc
        logger.info("loaded %s (%d features)", ref.uri, len(bundle.feature_names))
        return bundle

    def _call(self, deadline: Deadline, action: str, call: Callable[[], T]) -> T:
        """`call` under `deadline` once the registry (file or server) is known to be there."""
        self._check_sqlite_file()

        def checked() -> T:
            self._probe_server(deadline.seconds)
            return call()

        try:
            return deadline.run("registry", self.where, checked)
        except ModelLoadError:
            raise
        except REGISTRY_ERRORS as exc:
            raise ModelLoadError(f"{self.where}: {action}: {_first_line(exc)}") from exc

    def _check_sqlite_file(self) -> None:
        """Refuse a missing SQLite registry; reconnect when its file was replaced."""
        if not self.tracking_uri.startswith("sqlite:///"):
            return
        path = Path(self.tracking_uri.removeprefix("sqlite:///"))
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            raise ModelLoadError(
                f"{self.where}: the registry database does not exist (serving and scoring never "
                "create one: train a model, or point MLFLOW_TRACKING_URI at the registry)"
            ) from None
        if self._sqlite_inode is not None and inode != self._sqlite_inode:
            dispose_engines(self.tracking_uri)
            logger.warning("%s: the database file was replaced; reconnected", self.where)
        self._sqlite_inode = inode

    def _probe_server(self, timeout: float) -> None:
        """Connect once, briefly, before MLflow opens its first engine to a database server.

        MLflow creates an engine under one process-wide lock and retries a refused connection
        for about 100 s before giving up, blocking every other store in the process meanwhile;
        a probe of our own fails in at most `timeout` with the driver's reason instead.
        """
        if not self.tracking_uri.startswith(("postgresql", "mysql")):
            return
        if self.tracking_uri in getattr(TrackingSqlStore, "_engine_map", {}):
            return
        url = make_url(self.tracking_uri)
        arguments = {"connect_timeout": int(timeout) + 1}  # the deadline speaks first
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=arguments)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()


def dispose_engines(uri: str) -> None:
    """Close MLflow's pooled connections to `uri` (its stores cache one engine per URI)."""
    for store in (TrackingSqlStore, RegistrySqlStore):
        engine = getattr(store, "_engine_map", {}).get(uri)
        if engine is not None:
            engine.dispose()


def masked(uri: str) -> str:
    """`uri` with any password replaced by ***: messages reach /readyz, which has no auth."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except ArgumentError:  # not a database URL (a path, http://...): no password to hide
        return uri


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
