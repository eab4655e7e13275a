"""How high can any point-in-time model rank on a synthetic world? An oracle row for quality.py.

The synthetic world keeps its hidden truth (`generate_world(..., include_latent=True)`): each
customer's weekly latent health, payment habit and baseline health. No ledger exposes these;
the features only estimate them from payments, receivables and health signals. Fitting the
untuned LightGBM baseline on the features PLUS the truth at t (health in the week of t, habit,
baseline) gives a reference ceiling: a model restricted to facts known at t has strictly less
information, and on this world tuning moves the same learner's AUC by about 0.001, so a
point-in-time model landing well above the reference would be a red flag for a leak. What is
left above it is the world's own noise (days-late noise, disputes raised later, health moving
after t). Reading a target against it tells whether the target is reachable on this world.
Used by `benchmarks/quality.py --ceiling`; nothing in the packages uses it.
"""

from __future__ import annotations

import pandas as pd

from features.sources.synth import SynthWorld
from training.baselines import UntunedLightGBM
from training.dataset import DSO, OVERDUE, Fold, labelled
from training.evaluate import evaluate_scored


def latent_columns(world: SynthWorld, frame: pd.DataFrame) -> pd.DataFrame:
    """The hidden truth at each (customer_id, as_of) of `frame`, indexed like it."""
    health = world.health.set_index(["customer_id", "week_start"])["health"]
    first = world.health["week_start"].min()
    week = frame["as_of"] - pd.to_timedelta((frame["as_of"] - first).dt.days % 7, unit="D")
    at_t = health.reindex(pd.MultiIndex.from_arrays([frame["customer_id"], week])).to_numpy()
    traits = world.traits.set_index("customer_id")
    return pd.DataFrame(
        {
            "latent_health_at_t": at_t,
            "latent_habit": traits["habit"].reindex(frame["customer_id"]).to_numpy(),
            "latent_baseline_health": traits["baseline_health"]
            .reindex(frame["customer_id"])
            .to_numpy(),
        },
        index=frame.index,
    )


def oracle_metrics(frame: pd.DataFrame, latent: pd.DataFrame, fold: Fold) -> dict[str, float]:
    """Metrics of the untuned LightGBM given the features and the hidden truth, on `fold`."""
    train, test = fold.split(pd.concat([frame, latent], axis=1))
    test = labelled(test, OVERDUE)
    scores = UntunedLightGBM().fit(train).score(test)
    return evaluate_scored(
        pd.concat([test[[OVERDUE, DSO]], scores[["overdue_probability"]]], axis=1)
    )
