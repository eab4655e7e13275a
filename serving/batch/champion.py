"""The model and policy a scoring job runs with, loaded once, checked against this code."""

from __future__ import annotations

from dataclasses import dataclass

from features.build import FEATURE_PIPELINE_VERSION
from models.bundle import ModelBundle
from models.errors import ModelError
from serving.batch.types import BatchError, ExitCode
from serving.errors import ModelLoadError, PolicyError
from serving.model_loader import ModelRef, ModelSource
from serving.policy import Policy, load_policy
from serving.scoring import require_credit_model
from serving.settings import ServingSettings


@dataclass(frozen=True)
class Champion:
    """The registered model (reference and bundle) and the risk policy of one run."""

    ref: ModelRef
    bundle: ModelBundle
    policy: Policy

    def provenance(self) -> dict[str, str]:
        """The record's provenance fields: model name and version, policy version."""
        return {
            "model_name": self.ref.name,
            "model_version": self.ref.version,
            "policy_version": self.policy.version,
        }

    def numeric_features(self) -> list[str]:
        """The bundle's features that are not categorical."""
        bundle = self.bundle
        return [n for n in bundle.feature_names if n not in bundle.categorical_features]


def load_model(settings: ServingSettings) -> Champion:
    """The champion (or configured alias) and the risk policy.

    Raises:
        BatchError: registry unavailable (exit 3), bad policy, a bundle trained on another
            feature pipeline or without the delinquency model (exit 2).
    """
    source = ModelSource.from_settings(settings)
    try:
        ref = source.resolve()
        bundle = source.load(ref)
    except ModelLoadError as exc:
        raise BatchError(str(exc), ExitCode.UNAVAILABLE) from exc
    try:
        policy = load_policy(settings.policy)
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    if str(bundle.pipeline_version) != FEATURE_PIPELINE_VERSION:
        raise BatchError(
            f"{ref.uri} was trained on feature pipeline {bundle.pipeline_version}; this code "
            f"builds pipeline {FEATURE_PIPELINE_VERSION}: retrain or score with matching code",
            ExitCode.BAD_INPUT,
        )
    try:
        require_credit_model(bundle, ref.uri)
    except ModelError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    return Champion(ref, bundle, policy)
