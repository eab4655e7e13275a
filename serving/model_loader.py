"""The MLflow side of serving: which version the alias points at, and loading it.

The only module in serving that talks to MLflow. The registry is asked for the alias's
version on every poll (cheap); the bundle is downloaded only when that version changes. Any
registry failure surfaces as `ModelLoadError`, which the refresher turns into "keep serving the
last good model and say so on /readyz".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from models.bundle import ModelBundle
from models.errors import ModelError
from models.pyfunc import load_bundle
from serving.errors import ModelLoadError

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
    """Resolves `models:/<name>@<alias>` against one MLflow tracking/registry URI."""

    def __init__(self, tracking_uri: str, name: str, alias: str) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.alias = alias

    def resolve(self) -> ModelRef:
        """The version the alias points at now; ModelLoadError if the registry cannot say."""
        try:
            client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            version = client.get_model_version_by_alias(self.name, self.alias)
        except (MlflowException, OSError) as exc:
            raise ModelLoadError(
                f"model registry at {masked(self.tracking_uri)}: cannot resolve "
                f"models:/{self.name}@{self.alias}: {_first_line(exc)}"
            ) from exc
        return ModelRef(self.name, str(version.version), self.alias, version.run_id)

    def load(self, ref: ModelRef) -> ModelBundle:
        """Download and open the bundle of `ref`; ModelLoadError if that fails."""
        try:
            bundle = load_bundle(ref.uri, self.tracking_uri)
        except (MlflowException, OSError, ModelError) as exc:
            raise ModelLoadError(f"cannot load {ref.uri}: {_first_line(exc)}") from exc
        logger.info("loaded %s (%d features)", ref.uri, len(bundle.feature_names))
        return bundle


def masked(uri: str) -> str:
    """`uri` with any password replaced by ***: messages reach /readyz, which has no auth."""
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except ArgumentError:  # not a database URL (a path, http://...): no password to hide
        return uri


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
