"""What every test package shares: the factories of tiny real models and frames, and where the
real public ledger lives, if anywhere.

- `synthetic_world`: a synthetic world's tables; `tiny_world`: with its training frame from the
  real feature code;
- `make_training_frame`: a small labelled snapshot frame shaped like
  `features.build.build_training_frame` output, customers with a latent riskiness that drives
  both their history features and their outcomes, so a model learns something in a few trees;
- `fit_tiny_bundle`: the one tiny bundle (a few trees per model through the training code's
  `fit_models`, Platt calibrators, the recipe kept) on any frame with features and labels;
- `fit_tiny_invoice_model`: the invoice payment model (5 trees per booster) on the invoice rows
  of real tables at the snapshots of a real training frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from features.build import FEATURE_PIPELINE_VERSION, build_training_frame
from features.labels import LabelDefinition
from features.snapshots import month_end_snapshots
from features.sources.synth import SynthConfig, generate_world
from features.tables import Tables, data_end_of
from models.bundle import Calibrator, ModelBundle
from models.encoding import CategoricalEncoder
from models.invoice_model import InvoiceModel
from training.calibrate import fit_calibrator
from training.dataset import DELINQUENT, DSO, OVERDUE, categorical_columns, feature_columns
from training.invoice import TASKS, fit_invoice_model
from training.invoice_data import build_invoice_rows, training_rows
from training.train import CORE_TASKS, DEFAULT_PARAMS, DELINQUENCY_TASK, Recipe, fit_models


def pytest_configure() -> None:
    """No test may call out to MLflow's usage telemetry (CI has no network but registries)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")


SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IBM_AR_CSV = SHARED_DATA / "ibm-ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"


@pytest.fixture(scope="session")
def ibm_ar_csv() -> Path:
    """The IBM late-payment ledger from ../shared/data; skips the test where it is absent."""
    if not IBM_AR_CSV.exists():
        pytest.skip(f"real data not present: {IBM_AR_CSV} (a clone without ../shared/data)")
    return IBM_AR_CSV


INDUSTRIES = np.array(["construction", "retail", "software", "wholesale"])
SEGMENTS = np.array(["small", "medium", "large"])


def synthetic_world(customers: int, months: int, seed: int) -> Tables:
    """The synthetic world generator's tables (features/sources/synth), in memory."""
    return generate_world(SynthConfig(customers=customers, months=months, seed=seed))


def tiny_world(customers: int, months: int, seed: int) -> tuple[Tables, pd.DataFrame]:
    """A synthetic world and its labelled month-end training frame (the real feature code)."""
    world = synthetic_world(customers, months, seed)
    return world, build_training_frame(world, month_end_snapshots(world))


def make_training_frame(customers: int = 300, months: int = 18, seed: int = 0) -> pd.DataFrame:
    """Month-end snapshots x customers with features, overdue_30d, dso_30d and delinquent_90d
    (the severe tail of the same latent outcome, unknown in the last 90 days)."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=customers)
    industry = INDUSTRIES[rng.integers(0, len(INDUSTRIES), customers)]
    segment = SEGMENTS[rng.integers(0, len(SEGMENTS), customers)]
    snapshots = pd.date_range("2024-01-31", periods=months, freq="ME")
    frames = []
    for month, as_of in enumerate(snapshots):
        drift = risk + 0.3 * np.sin(month / 3 + risk) + rng.normal(scale=0.5, size=customers)
        late_share = 1 / (1 + np.exp(-(drift - 0.5)))
        dso_now = 35 + 12 * drift + rng.normal(scale=4, size=customers)
        outcome = drift + 0.4 * (industry == "construction") + rng.normal(scale=0.8, size=customers)
        overdue = (outcome > 0.8).astype(float)
        delinquent = (outcome > 1.6).astype(float)  # the severe tail of the same outcome
        overdue[rng.random(customers) < 0.15] = np.nan  # no invoice due in the window
        dso_future = dso_now + 3 * drift + rng.normal(scale=5, size=customers)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": [f"C{i:04d}" for i in range(customers)],
                    "as_of": as_of,
                    "customer_late_share_count_180d": np.where(
                        rng.random(customers) < 0.05, np.nan, late_share
                    ),
                    "customer_dso_days": dso_now,
                    "customer_open_amount": rng.lognormal(9, 1, customers),
                    "customer_noise": rng.normal(size=customers),
                    "customer_industry": pd.Series(industry, dtype="str").where(
                        rng.random(customers) > 0.03
                    ),
                    "customer_segment": pd.Series(segment, dtype="str"),
                    "overdue_30d": overdue,
                    "dso_30d": dso_future,
                    "delinquent_90d": delinquent,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    last = snapshots[-1]
    frame.loc[frame["as_of"] == last, ["overdue_30d", "dso_30d"]] = np.nan  # not yet known
    horizon = last - pd.Timedelta(days=90)
    frame.loc[frame["as_of"] > horizon, "delinquent_90d"] = np.nan  # 90-day outcome unknown
    return frame


TINY_PARAMS: dict[str, object] = {"num_leaves": 7, "learning_rate": 0.2, "min_data_in_leaf": 20}
"""Small trees, fast learning: a few rounds learn the frame's signal."""


def fit_tiny_bundle(
    frame: pd.DataFrame,
    names: list[str] | None = None,
    rounds: int = 10,
    calibrator: Calibrator | None = None,
) -> ModelBundle:
    """The tiny bundle every test uses, fitted by the training code's `fit_models`.

    Classifier, DSO regressor, p10/p90 on `names` (default: every feature column of `frame`),
    `rounds` trees each, plus the delinquency model where `frame` has delinquent_90d (serving
    refuses a bundle without it); Platt calibrators fitted in sample unless `calibrator` is
    given; the recipe is kept (promotion refits a champion's recipe).
    """
    names = names or feature_columns(frame)
    labels = [c for c in (OVERDUE, DSO, DELINQUENT) if c in frame]
    train = frame[["customer_id", "as_of", *names, *labels]]
    credit = DELINQUENT in frame and frame[DELINQUENT].nunique() >= 2
    tasks = (*CORE_TASKS, DELINQUENCY_TASK) if credit else CORE_TASKS
    recipe = Recipe(dict(TINY_PARAMS), dict.fromkeys(tasks, rounds), seed=0)
    models = fit_models(recipe, train, tasks)
    boosters = models.boosters
    return ModelBundle(
        classifier=boosters["classifier"],
        regressor=boosters["regressor"],
        regressor_p10=boosters["regressor_p10"],
        regressor_p90=boosters["regressor_p90"],
        calibrator=calibrator or _platt(boosters["classifier"], models.encoder, train, OVERDUE),
        encoder=models.encoder,
        feature_names=list(names),
        categorical_features=categorical_columns(train),
        pipeline_version=FEATURE_PIPELINE_VERSION,
        label_definition=LabelDefinition().to_dict(),
        data_fingerprint="tests",
        metrics={"auc": 0.75},
        params={**recipe.params, "rounds": recipe.rounds, "seed": recipe.seed},
        delinquency_classifier=boosters.get(DELINQUENCY_TASK),
        delinquency_calibrator=(
            _platt(boosters[DELINQUENCY_TASK], models.encoder, train, DELINQUENT)
            if credit
            else None
        ),
    )


def _platt(
    booster: lgb.Booster, encoder: CategoricalEncoder, frame: pd.DataFrame, label: str
) -> Calibrator:
    """Platt scaling of `booster`'s raw scores on the rows of `frame` where `label` is known."""
    known = frame[frame[label].notna()]
    raw = booster.predict(encoder.transform(known[booster.feature_name()]), raw_score=True)
    return fit_calibrator("platt", raw, known[label].to_numpy(dtype=int))


def fit_tiny_invoice_model(tables: Tables, frame: pd.DataFrame, rounds: int = 5) -> InvoiceModel:
    """The invoice model on every decided invoice row of `tables` at `frame`'s snapshots."""
    rows = training_rows(build_invoice_rows(tables, frame), data_end_of(tables), grace_days=0)
    params = {**DEFAULT_PARAMS, "num_threads": 1}
    return fit_invoice_model(params, dict.fromkeys(TASKS, rounds), rows, seed=0, grace_days=0)
