"""Batch-scoring benchmark: rows per second against LightGBM's own, peak memory, 1M projection.

1. A model like the champion: the four LightGBM models fitted by `training.train.fit_models`
   (31 leaves, `--trees` rounds each) on a smaller synthetic world, Platt-calibrated.
2. The 100,000-customer world (`--world`, default the features helper's cache): validation and
   the feature build are timed (or the features are read from `--features-cache`).
3. Scoring, chunk by chunk as the job does (`--chunk-size`), each measured in the same run:
   - LightGBM predict: the four boosters' `predict` on the encoded chunk;
   - batch without reasons: `ModelBundle.predict` + policy tiers (the job's predict path);
   - LightGBM predict + pred_contrib: the four predicts plus `pred_contrib` of the two models
     that are explained;
   - batch with reasons: `serving.batch.rows.score_chunks`, the job's scoring (scores, SHAP,
     probability points, tiers, overlays, top reasons as text, JSON).
   The ratios batch / LightGBM are the targets (>= 0.8).
4. Peak RSS of the process, and the projected time of a 1,000,000-customer night (every stage
   scaled linearly from the measured one).

Usage: .venv/bin/python benchmarks/batch.py [--world DIR] [--trees 300] [--chunk-size 10000]
       [--features-cache FILE.parquet] [--no-reasons]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

console = Console()
WORLD = Path("/tmp/arsight-bench/world-100k")
MODEL_CACHE = Path("/tmp/arsight-bench/batch-bundle")


def fit_bundle(trees: int, customers: int, seed: int) -> object:
    """Four boosters of `trees` rounds on a synthetic world, as training fits them."""
    from features.build import FEATURE_PIPELINE_VERSION, build_training_frame
    from features.snapshots import month_end_snapshots
    from features.sources.synth import SynthConfig, generate_world
    from models.bundle import ModelBundle
    from training.calibrate import fit_calibrator
    from training.dataset import (
        OVERDUE,
        categorical_columns,
        data_fingerprint,
        feature_columns,
        labelled,
    )
    from training.train import DEFAULT_PARAMS, TASK_TARGET, Recipe, fit_models

    world = generate_world(SynthConfig(customers=customers, months=24, seed=seed))
    frame = build_training_frame(world, month_end_snapshots(world)).reset_index(drop=True)
    recipe = Recipe(dict(DEFAULT_PARAMS), dict.fromkeys(TASK_TARGET, trees), seed)
    fitted = fit_models(recipe, frame)
    rows = labelled(frame, OVERDUE)
    names = feature_columns(frame)
    raw = fitted.boosters["classifier"].predict(
        fitted.encoder.transform(rows[names]), raw_score=True
    )
    return ModelBundle(
        **fitted.boosters,
        calibrator=fit_calibrator("platt", np.asarray(raw), rows[OVERDUE].to_numpy(float)),
        encoder=fitted.encoder,
        feature_names=names,
        categorical_features=categorical_columns(frame),
        pipeline_version=FEATURE_PIPELINE_VERSION,
        label_definition={"horizon_days": 30, "grace_days": 0},
        data_fingerprint=data_fingerprint(frame),
    )


def load_bundle(trees: int) -> object:
    """The benchmark model, fitted once and cached as bundle files."""
    from models.bundle import ModelBundle

    cache = MODEL_CACHE.with_name(f"{MODEL_CACHE.name}-{trees}")
    if (cache / "bundle.json").is_file():
        return ModelBundle.load(cache)
    bundle = fit_bundle(trees, customers=2000, seed=11)
    bundle.save(cache)  # type: ignore[attr-defined]
    return bundle


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def features_of(world: Path, cache: Path | None) -> tuple[pd.DataFrame, dict[str, float]]:
    """The 100k feature frame, and the seconds validation and the build took."""
    from features.build import online_frame
    from features.validate import load_valid_tables

    if cache is not None and cache.is_file():
        return pd.read_parquet(cache), {}
    seconds_validate, tables = timed(lambda: load_valid_tables(world))
    seconds_build, frame = timed(lambda: online_frame(tables))  # type: ignore[arg-type]
    if cache is not None:
        frame.to_parquet(cache)
    return frame, {"validate": seconds_validate, "features": seconds_build}


def measure(
    frame: pd.DataFrame, bundle: object, chunk_size: int, reasons: bool = True
) -> dict[str, float]:
    """Seconds of each scoring variant over the whole frame (see the module docstring).

    The variants take turns on each chunk, so that load from other processes on a shared
    machine weighs on all of them alike and the ratios stay meaningful. Without `reasons`, only
    the two predict variants run.
    """
    from serving.batch.rows import score_chunks
    from serving.policy import assign_tiers, load_policy
    from serving.scoring import build_reason_context

    policy = load_policy()
    features = frame.set_index("customer_id", drop=False)
    boosters = [bundle.classifier, bundle.regressor, bundle.regressor_p10, bundle.regressor_p90]  # type: ignore[attr-defined]
    matrix = bundle.encode(features[bundle.feature_names])  # type: ignore[attr-defined]
    context = build_reason_context(features, bundle, policy, 3)  # type: ignore[arg-type]

    def lgb_predict(rows: slice) -> None:
        for booster in boosters:
            booster.predict(matrix.iloc[rows])

    def batch_predict(rows: slice) -> None:
        chunk = features.iloc[rows]
        predicted = bundle.predict(chunk[bundle.feature_names])  # type: ignore[attr-defined]
        assign_tiers(policy, predicted["overdue_probability"], chunk)

    def lgb_contrib(rows: slice) -> None:
        lgb_predict(rows)
        boosters[0].predict(matrix.iloc[rows], pred_contrib=True)
        boosters[1].predict(matrix.iloc[rows], pred_contrib=True)

    def batch_reasons(rows: slice) -> None:
        chunk = features.iloc[rows]
        score_chunks(chunk, bundle, policy, context, len(chunk))  # type: ignore[arg-type]

    variants = {
        "lgb_predict": lgb_predict,
        "batch_predict": batch_predict,
        "lgb_contrib": lgb_contrib,
        "batch_reasons": batch_reasons,
    }
    if not reasons:
        variants = {k: v for k, v in variants.items() if k in ("lgb_predict", "batch_predict")}
    seconds = dict.fromkeys(variants, 0.0)
    for begin in range(0, len(features), chunk_size):
        rows = slice(begin, begin + chunk_size)
        for name, variant in variants.items():
            seconds[name] += timed(lambda v=variant, r=rows: v(r))[0]  # type: ignore[misc]
    return seconds


def report(rows: int, seconds: dict[str, float], stages: dict[str, float]) -> None:
    table = Table(title=f"batch scoring, {rows:,} customers")
    for column in ("variant", "seconds", "rows/s"):
        table.add_column(column, justify="right")
    for name, value in seconds.items():
        table.add_row(name, f"{value:.2f}", f"{rows / value:,.0f}")
    console.print(table)
    console.print(f"ratio without reasons: {seconds['lgb_predict'] / seconds['batch_predict']:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if "batch_reasons" not in seconds:
        console.print(f"peak RSS: {peak:,.0f} MiB")
        return
    console.print(f"ratio with reasons:    {seconds['lgb_contrib'] / seconds['batch_reasons']:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak RSS: {peak:,.0f} MiB")
    total = sum(stages.values()) + seconds["batch_reasons"]
    for name, value in {**stages, "scoring with reasons": seconds["batch_reasons"]}.items():
        console.print(f"stage {name}: {value:.1f} s for {rows:,}")
    console.print(f"projected 1,000,000 customers: {total * 1_000_000 / rows / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=WORLD)
    parser.add_argument("--features-cache", type=Path, default=None)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument(
        "--no-reasons",
        action="store_true",
        help="time only the predict variants (skips SHAP and reasons, much faster)",
    )
    args = parser.parse_args()
    seconds_model, bundle = timed(lambda: load_bundle(args.trees))
    console.print(f"model: 4 x {args.trees} trees ({seconds_model:.1f} s to fit or load)")
    frame, stages = features_of(args.world, args.features_cache)
    report(len(frame), measure(frame, bundle, args.chunk_size, not args.no_reasons), stages)


if __name__ == "__main__":
    main()
