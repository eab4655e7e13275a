"""The bundle as an MLflow pyfunc model: the only module of `models` that imports MLflow.

`log_bundle` saves a `ModelBundle` (portable files, see `models.bundle`) as the artifacts of a
pyfunc model; `load_bundle` gives the bundle back from any model URI (`runs:/...`,
`models:/arsight@champion`). The pyfunc's `predict` returns, per input row,
`overdue_probability`, `dso_30d`, `dso_30d_p10`, `dso_30d_p90` and the SHAP contributions of
both models as `shap_overdue__<feature>` / `shap_dso__<feature>` (plus `__expected_value`),
so that Spark or any MLflow client gets scores and reasons from the same code as serving.
The pyfunc is logged "from code" (models/pyfunc_entry.py): nothing of it is pickled.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc import PyFuncModel, PythonModel, PythonModelContext

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
    return pd.concat(
        [
            bundle.predict(features),
            explanation.overdue.add_prefix("shap_overdue__"),
            explanation.dso.add_prefix("shap_dso__"),
        ],
        axis=1,
    )


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
    name: str = "model",
    input_example: pd.DataFrame | None = None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Log `bundle` as a pyfunc model in the active run, with signature and input example.

    Args:
        bundle: the trained bundle.
        name: the model's name within the run.
        input_example: a few feature rows; the signature is inferred from them and the
            bundle's output on them.
        registered_model_name: also register a new version of this registered model.
    """
    signature = None
    if input_example is not None:
        signature = infer_signature(input_example, predict_with_reasons(bundle, input_example))
    with tempfile.TemporaryDirectory(prefix="arsight-bundle-") as tmp:
        directory = Path(tmp) / BUNDLE_ARTIFACT
        bundle.save(directory)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(ENTRY_FILE),
            artifacts={BUNDLE_ARTIFACT: str(directory)},
            signature=signature,
            input_example=input_example,
            registered_model_name=registered_model_name,
            pip_requirements=pip_requirements(),
        )


def load_pyfunc(model_uri: str) -> PyFuncModel:
    """The pyfunc model at `model_uri` (predict gives scores and SHAP columns)."""
    return mlflow.pyfunc.load_model(model_uri)


def load_bundle(model_uri: str) -> ModelBundle:
    """The `ModelBundle` behind the pyfunc model at `model_uri`, e.g. models:/arsight@champion."""
    model = load_pyfunc(model_uri).unwrap_python_model()
    bundle: ModelBundle = model.bundle
    return bundle
