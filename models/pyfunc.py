"""The bundle as an MLflow pyfunc model: the only module of `models` that imports MLflow.

`log_bundle` saves a `ModelBundle` (portable files, see `models.bundle`) as the artifacts of a
pyfunc model in a given run and registers it; `load_bundle` gives the bundle back from any model
URI (`runs:/...`, `models:/arsight@champion`). Both name the MLflow store explicitly (a client,
or a tracking URI): nothing here reads or sets MLflow's process-wide tracking or registry URI,
so two stores in one process (a test, a notebook comparing registries) never mix. The pyfunc's
`predict` returns, per input row, `overdue_probability`, `dso_30d`, `dso_30d_p10`,
`dso_30d_p90`, `delinquency_probability` (NaN for a bundle without the delinquency model) and
the SHAP contributions of the models as `shap_overdue__<feature>` / `shap_dso__<feature>` /
`shap_delinquency__<feature>` (the last only where the bundle has the delinquency model; each
plus `__expected_value`), so that Spark or any MLflow client gets scores and reasons from the
same code as serving.
The pyfunc is logged "from code" (models/pyfunc_entry.py): nothing of it is pickled.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.pyfunc import PyFuncModel, PythonModel, PythonModelContext
from mlflow.tracking import MlflowClient

from models.bundle import ModelBundle

BUNDLE_ARTIFACT = "bundle"
ENTRY_FILE = Path(__file__).with_name("pyfunc_entry.py")
"""The models-from-code file MLflow runs to build the pyfunc when a model is loaded."""
RUNTIME_PACKAGES = ("lightgbm", "pandas", "numpy", "pyarrow", "mlflow", "scikit-learn")


def pip_requirements() -> list[str]:
    """The installed versions of what the pyfunc needs, pinned.

    Given explicitly so that MLflow does not spawn a subprocess to infer requirements.
    """
    return [f"{package}=={version(package)}" for package in RUNTIME_PACKAGES]


def predict_with_reasons(bundle: ModelBundle, features: pd.DataFrame) -> pd.DataFrame:
    """Predictions plus flattened SHAP contributions: the pyfunc output, one row per input."""
    explanation = bundle.explain(features)
    parts = [
        bundle.predict(features),
        explanation.overdue.add_prefix("shap_overdue__"),
        explanation.dso.add_prefix("shap_dso__"),
    ]
    if explanation.delinquency is not None:
        parts.append(explanation.delinquency.add_prefix("shap_delinquency__"))
    return pd.concat(parts, axis=1)


class ArsightModel(PythonModel):
    """Pyfunc wrapper around a saved `ModelBundle`."""

    def load_context(self, context: PythonModelContext) -> None:
        self.bundle = ModelBundle.load(Path(context.artifacts[BUNDLE_ARTIFACT]))

    def predict(
        self,
        context: PythonModelContext,  # noqa: ARG002 (pyfunc protocol)
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,  # noqa: ARG002 (pyfunc protocol)
    ) -> pd.DataFrame:
        return predict_with_reasons(self.bundle, model_input)


def log_bundle(
    bundle: ModelBundle,
    client: MlflowClient,
    run_id: str,
    name: str = "model",
    input_example: pd.DataFrame | None = None,
    registered_model_name: str | None = None,
) -> str:
    """Log `bundle` as a pyfunc model in run `run_id` of `client`'s store; maybe register it.

    The model is saved locally (signature and input example included), uploaded as the run's
    artifacts under `name`, and, with `registered_model_name`, registered as a new version
    whose source is that artifact directory (`mlflow.pyfunc.log_model` would need MLflow's
    process-wide URIs and active run).

    Args:
        bundle: the trained bundle.
        client: the MLflow store (explicit tracking and registry URI).
        run_id: the run that made the bundle.
        name: the model's artifact directory within the run.
        input_example: a few feature rows; the signature is inferred from them and the
            bundle's output on them.
        registered_model_name: also register a new version of this registered model.

    Returns:
        The new version number, or the `runs:/` URI of the model when not registered.
    """
    signature = None
    if input_example is not None:
        signature = infer_signature(input_example, predict_with_reasons(bundle, input_example))
    with tempfile.TemporaryDirectory(prefix="arsight-bundle-") as tmp:
        directory = Path(tmp) / BUNDLE_ARTIFACT
        bundle.save(directory)
        model_dir = Path(tmp) / name
        mlflow.pyfunc.save_model(
            str(model_dir),
            python_model=str(ENTRY_FILE),
            artifacts={BUNDLE_ARTIFACT: str(directory)},
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements(),
        )
        client.log_artifacts(run_id, str(model_dir), artifact_path=name)
    if registered_model_name is None:
        return f"runs:/{run_id}/{name}"
    return register_version(client, registered_model_name, run_id, name)


def register_version(client: MlflowClient, model_name: str, run_id: str, name: str) -> str:
    """A new version of `model_name` (created if new) from the model `name` of run `run_id`."""
    try:
        client.create_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    source = f"{client.get_run(run_id).info.artifact_uri}/{name}"
    return str(client.create_model_version(model_name, source, run_id=run_id).version)


def artifact_uri_of(model_uri: str, tracking_uri: str) -> str:
    """Where the files of `model_uri` live: a `models:/` URI resolved with an explicit client.

    MLflow resolves `models:/` URIs against its process-wide registry URI whatever store a
    download names, so the registry is asked here, with `tracking_uri` as registry too.
    """
    if not model_uri.startswith("models:/"):
        return model_uri
    name, _, rest = model_uri.removeprefix("models:/").partition("/")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    if "@" in name:
        name, alias = name.split("@", 1)
        version = str(client.get_model_version_by_alias(name, alias).version)
    else:
        version = rest.split("/", 1)[0]
    return str(client.get_model_version_download_uri(name, version))


def load_pyfunc(model_uri: str, tracking_uri: str) -> PyFuncModel:
    """The pyfunc model at `model_uri` in the store at `tracking_uri` (scores and SHAP columns).

    The model is downloaded with the store named explicitly, then loaded from the local copy.
    """
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri_of(model_uri, tracking_uri),
        tracking_uri=tracking_uri,
        registry_uri=tracking_uri,
    )
    return mlflow.pyfunc.load_model(local)


def load_bundle(model_uri: str, tracking_uri: str) -> ModelBundle:
    """The `ModelBundle` behind the pyfunc model at `model_uri`, e.g. models:/arsight@champion."""
    model = load_pyfunc(model_uri, tracking_uri).unwrap_python_model()
    bundle: ModelBundle = model.bundle
    return bundle
