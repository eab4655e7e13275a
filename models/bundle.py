"""What a trained arsight model IS: four boosters, a calibrator, an encoder and their context.

A `ModelBundle` holds the LightGBM classifier for `overdue_30d` (its raw log-odds are
calibrated into `overdue_probability`), the LightGBM regressor for `dso_30d` and the two
quantile regressors giving its p10-p90 interval (with its out-of-time CQR adjustment, see
models/interval.py), plus everything needed to use and audit them:
the ordered feature list, which features are categorical and how they are encoded, the label
definitions, the feature-pipeline version, a fingerprint of the training data, the monotone
constraints and the evaluation report. It is policy-free: tiers and decisions live in serving.
Where `delinquent_90d` is known it also holds the credit-risk classifier and its calibrator
(`delinquency_probability`, NaN in older bundles), and where invoices were given the invoice
payment model (`invoice_model`, models/invoice_model.py; None in older bundles).

On disk (see `save`/`load`) every part has a portable format: boosters as LightGBM model text,
the encoder and calibrator as JSON, the rest in `bundle.json`. Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.contributions import tree_contributions
from models.encoding import CategoricalEncoder
from models.errors import ArtifactError, FeatureMismatchError
from models.interval import dso_interval
from models.invoice_model import DIRECTORY as INVOICE_DIRECTORY
from models.invoice_model import InvoiceModel

KEY_COLUMNS = ("customer_id", "as_of")
"""Key columns a feature frame may carry; the bundle ignores them (predictions never use ids)."""

BOOSTER_FILES = {
    "classifier": "classifier.txt",
    "regressor": "regressor.txt",
    "regressor_p10": "regressor_p10.txt",
    "regressor_p90": "regressor_p90.txt",
}
OPTIONAL_BOOSTER_FILES = {"delinquency_classifier": "delinquency_classifier.txt"}
"""Boosters a bundle may lack (saved before they existed, or no label to train them on)."""


@dataclass(frozen=True)
class Calibrator:
    """Maps the classifier's raw log-odds to a calibrated probability.

    Platt scaling is `1 / (1 + exp(-(slope * raw + intercept)))`; isotonic is the piecewise
    linear step function through (`x`, `y`), clipped at both ends (as scikit-learn's
    `IsotonicRegression(out_of_bounds="clip")` predicts). Stored as numbers, not a pickle.
    """

    method: Literal["platt", "isotonic"]
    slope: float = 1.0
    intercept: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.slope * raw + self.intercept)))
        return np.interp(raw, np.asarray(self.x), np.asarray(self.y))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "slope": self.slope,
            "intercept": self.intercept,
            "x": list(self.x),
            "y": list(self.y),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        return cls(
            method=data["method"],
            slope=float(data["slope"]),
            intercept=float(data["intercept"]),
            x=tuple(float(v) for v in data["x"]),
            y=tuple(float(v) for v in data["y"]),
        )


@dataclass(frozen=True)
class Explanation:
    """Exact TreeSHAP contributions (LightGBM `pred_contrib`'s values), one row per input row.

    Attributes:
        overdue: one column per feature plus `expected_value`, in raw log-odds of the
            uncalibrated classifier; a row sums to the classifier's raw score.
        dso: the same for the DSO regressor, in days; a row sums to the predicted dso_30d.
        delinquency: the same for the delinquency classifier, in its raw log-odds; None when
            the bundle has no delinquency classifier.
    """

    overdue: pd.DataFrame
    dso: pd.DataFrame
    delinquency: pd.DataFrame | None = None


@dataclass
class ModelBundle:
    """A trained model with its context; see the module docstring.

    `interval_adjustment_days` is the CQR adjustment of the p10-p90 interval, fitted on the
    backtest's held-out folds (training/intervals.py); 0.0 leaves the quantile models' raw
    interval, which is also what bundles saved before the adjustment existed get.
    `delinquency_classifier` and `delinquency_calibrator` give `delinquency_probability`
    (the calibrated probability of delinquent_90d); None in bundles without them.
    """

    classifier: lgb.Booster
    regressor: lgb.Booster
    regressor_p10: lgb.Booster
    regressor_p90: lgb.Booster
    calibrator: Calibrator
    encoder: CategoricalEncoder
    feature_names: list[str]
    categorical_features: list[str]
    pipeline_version: str
    label_definition: dict[str, Any]
    data_fingerprint: str
    monotone: dict[str, int] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    interval_adjustment_days: float = 0.0
    delinquency_classifier: lgb.Booster | None = None
    delinquency_calibrator: Calibrator | None = None
    invoice_model: InvoiceModel | None = None

    def encode(self, features: pd.DataFrame) -> pd.DataFrame:
        """The model matrix: features in training order, categories as codes, all float64.

        Raises:
            FeatureMismatchError: features are missing, or columns other than the trained
                features and the key columns (`customer_id`, `as_of`) are present.
        """
        self._check_columns(features)
        return self.encoder.transform(features[self.feature_names])

    def _check_columns(self, features: pd.DataFrame) -> None:
        """Raise FeatureMismatchError unless `features` has exactly the model's columns."""
        columns = set(features.columns)
        missing = [name for name in self.feature_names if name not in columns]
        extra = sorted(columns - set(self.feature_names) - set(KEY_COLUMNS))
        if missing or extra:
            raise FeatureMismatchError(
                f"feature frame does not match the model: missing {missing}, extra {extra}; "
                f"expected the {len(self.feature_names)} features of pipeline "
                f"{self.pipeline_version}"
            )

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        """`encode` as a float64 array: converted once, then read by every booster."""
        self._check_columns(features)
        return self.encoder.transform_array(features[self.feature_names])

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Calibrated overdue probability, DSO forecast and its p10-p90 interval per row, and
        the calibrated `delinquency_probability` (NaN without a delinquency classifier).

        The interval is `models.interval.dso_interval` of the two quantile models with the
        bundle's CQR adjustment: p10 <= p90 on every row; the point forecast is not forced
        inside it.
        """
        matrix = self._matrix(features)
        raw = np.asarray(self.classifier.predict(matrix, raw_score=True))
        p10, p90 = dso_interval(
            np.asarray(self.regressor_p10.predict(matrix)),
            np.asarray(self.regressor_p90.predict(matrix)),
            self.interval_adjustment_days,
        )
        return pd.DataFrame(
            {
                "overdue_probability": self.calibrator.transform(raw),
                "dso_30d": np.asarray(self.regressor.predict(matrix)),
                "dso_30d_p10": p10,
                "dso_30d_p90": p90,
                "delinquency_probability": self._delinquency_probability(matrix),
            },
            index=features.index,
        )

    def predict_delinquency(self, features: pd.DataFrame) -> np.ndarray:
        """Only the calibrated delinquency probability per row (NaN without the model): what a
        what-if re-scoring needs, without the other four boosters."""
        return self.delinquency_from_matrix(self._matrix(features))

    def model_matrix(self, features: pd.DataFrame) -> np.ndarray:
        """The encoded float64 matrix every booster reads, rows in `features` order: built
        once per snapshot so a request's what-if edits a row of numbers, not a frame."""
        return self._matrix(features)

    def delinquency_from_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """`predict_delinquency` on rows already encoded (`model_matrix`)."""
        return self._delinquency_probability(matrix)

    def _delinquency_probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of delinquent_90d; NaN where the bundle has no such model."""
        if self.delinquency_classifier is None or self.delinquency_calibrator is None:
            return np.full(len(matrix), np.nan)
        raw = np.asarray(self.delinquency_classifier.predict(matrix, raw_score=True))
        return self.delinquency_calibrator.transform(raw)

    def raw_overdue_score(self, features: pd.DataFrame) -> np.ndarray:
        """The uncalibrated classifier's raw log-odds (what SHAP contributions sum to)."""
        return np.asarray(self.classifier.predict(self._matrix(features), raw_score=True))

    def explain(self, features: pd.DataFrame) -> Explanation:
        """Per-row SHAP contributions of both models; see `Explanation`.

        Computed by `models.contributions.tree_contributions` (equal to `pred_contrib` to
        1e-9, several times faster on both cores).
        """
        matrix = self._matrix(features)
        columns = [*self.feature_names, "expected_value"]

        def contributions(booster: lgb.Booster) -> pd.DataFrame:
            values = tree_contributions(booster, matrix)
            return pd.DataFrame(values, index=features.index, columns=columns)

        return Explanation(
            overdue=contributions(self.classifier),
            dso=contributions(self.regressor),
            delinquency=None
            if self.delinquency_classifier is None
            else contributions(self.delinquency_classifier),
        )

    def save(self, directory: Path) -> None:
        """Write the bundle to `directory`: model text per booster plus JSON files."""
        directory.mkdir(parents=True, exist_ok=True)
        for attribute, filename in {**BOOSTER_FILES, **OPTIONAL_BOOSTER_FILES}.items():
            if getattr(self, attribute) is not None:
                getattr(self, attribute).save_model(str(directory / filename))
        meta = {
            "feature_names": self.feature_names,
            "categorical_features": self.categorical_features,
            "pipeline_version": self.pipeline_version,
            "label_definition": self.label_definition,
            "data_fingerprint": self.data_fingerprint,
            "monotone": self.monotone,
            "params": self.params,
            "metrics": self.metrics,
            "report": self.report,
            "interval_adjustment_days": self.interval_adjustment_days,
            "calibrator": self.calibrator.to_dict(),
            "encoder": self.encoder.to_dict(),
        }
        if self.delinquency_calibrator is not None:
            meta["delinquency_calibrator"] = self.delinquency_calibrator.to_dict()
        (directory / "bundle.json").write_text(json.dumps(meta, indent=2, default=str))
        if self.invoice_model is not None:
            self.invoice_model.save(directory / INVOICE_DIRECTORY)

    @classmethod
    def load(cls, directory: Path) -> ModelBundle:
        """Read a bundle written by `save`.

        A `bundle.json` without `interval_adjustment_days` (saved before the interval was
        conformalised) loads with 0.0: its interval is exactly what it served before; one
        without a delinquency classifier file or calibrator loads with None for both, one
        without an `invoice_model/` directory with `invoice_model=None`.

        Raises:
            ArtifactError: a file is missing or unreadable.
        """
        meta_path = directory / "bundle.json"
        try:
            meta = json.loads(meta_path.read_text())
            boosters = {
                attribute: lgb.Booster(model_file=str(directory / filename))
                for attribute, filename in BOOSTER_FILES.items()
            }
            boosters |= {
                attribute: lgb.Booster(model_file=str(directory / filename))
                for attribute, filename in OPTIONAL_BOOSTER_FILES.items()
                if (directory / filename).exists()
            }
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ArtifactError(f"{directory}: cannot read model bundle: {exc}") from exc
        return cls(
            **boosters,
            calibrator=Calibrator.from_dict(meta["calibrator"]),
            encoder=CategoricalEncoder.from_dict(meta["encoder"]),
            feature_names=list(meta["feature_names"]),
            categorical_features=list(meta["categorical_features"]),
            pipeline_version=meta["pipeline_version"],
            label_definition=meta["label_definition"],
            data_fingerprint=meta["data_fingerprint"],
            monotone={k: int(v) for k, v in meta["monotone"].items()},
            params=meta["params"],
            metrics={k: float(v) for k, v in meta["metrics"].items()},
            report=meta["report"],
            interval_adjustment_days=float(meta.get("interval_adjustment_days", 0.0)),
            delinquency_calibrator=(
                Calibrator.from_dict(meta["delinquency_calibrator"])
                if "delinquency_calibrator" in meta
                else None
            ),
            invoice_model=(
                InvoiceModel.load(directory / INVOICE_DIRECTORY)
                if (directory / INVOICE_DIRECTORY).is_dir()
                else None
            ),
        )
