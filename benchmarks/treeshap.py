"""Exact SHAP contributions: candidates against LightGBM's own `pred_contrib` (issue 18, item 1).

A model shaped like production: LightGBM with training.train's parameters (31 leaves, 63 bins),
`--trees` rounds, 98 features of which 4 categorical integer codes split natively, 5% NaN,
fitted on synthetic rows. Per chunk size (1,000 and 10,000 rows: the batch job's chunk and a
smaller one) each candidate runs on the same rows, the candidates taking turns so that load
from other processes weighs on all alike; each prints rows/s, its ratio to `pred_contrib` and
its max abs difference from it. Target: >= 3x `pred_contrib` and equal to 1e-9 (PASS/FAIL).

Candidates: `arsight` (models.contributions.tree_contributions, what `ModelBundle.explain`
uses), `fasttreeshap-fixed` v1 and v2, `woodelf-explainer`; a package not installed is
skipped (only numba is a project dependency). All on 2 threads. Preparation (the kernel's
compile and tables, explainer construction) runs once before the timing, as a long-lived job
or server pays it once per model.

Usage: .venv/bin/python benchmarks/treeshap.py [--trees 300] [--objective binary|huber|quantile]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402

FEATURES, CATEGORIES = 98, (12, 3, 25, 6)
THREADS = 2
TARGET_RATIO, TOLERANCE = 3.0, 1e-9
Explain = Callable[[np.ndarray], np.ndarray]


def synthetic_rows(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(rows, FEATURES))
    for position, count in enumerate(CATEGORIES):
        matrix[:, position] = rng.integers(0, count, rows)
    matrix[rng.random(matrix.shape) < 0.05] = np.nan
    return matrix


def fit(trees: int, objective: str) -> lgb.Booster:
    from training.train import BASE_PARAMS, DEFAULT_PARAMS, TASK_PARAMS

    task = {"binary": "classifier", "huber": "regressor", "quantile": "regressor_p90"}[objective]
    x = synthetic_rows(20_000, seed=0)
    rng = np.random.default_rng(1)
    signal = np.nan_to_num(x[:, 4]) + (x[:, 0] % 3 == 1) + np.nan_to_num(x[:, 5] * x[:, 6])
    y = signal + rng.normal(size=len(x))
    y = (y > 0.5).astype(float) if objective == "binary" else 30 + 10 * y
    params = {**BASE_PARAMS, **TASK_PARAMS[task], **DEFAULT_PARAMS, "seed": 0}
    data = lgb.Dataset(x, y, categorical_feature=list(range(len(CATEGORIES))), params=params)
    return lgb.train(params, data, num_boost_round=trees)


def with_expected(values: object, expected: object) -> np.ndarray:
    """shap-style output (maybe one array per class) -> pred_contrib layout."""
    array = np.asarray(values[-1] if isinstance(values, list) else values, dtype=float)
    base = np.ravel(np.asarray(expected, dtype=float))[-1]
    return np.column_stack([array, np.full(len(array), base)])


def candidates(booster: lgb.Booster, warm: np.ndarray) -> dict[str, Explain]:
    """Name -> explain function, each prepared (and run once) on `warm`."""
    from models.contributions import tree_contributions

    found: dict[str, Explain] = {
        "pred_contrib": lambda m: np.asarray(
            booster.predict(m, pred_contrib=True, num_threads=THREADS)
        ),
        "arsight": lambda m: tree_contributions(booster, m),
    }
    try:
        import fasttreeshap_fixed as fasttreeshap

        for algorithm in ("v1", "v2"):
            explainer = fasttreeshap.TreeExplainer(booster, algorithm=algorithm, n_jobs=THREADS)
            found[f"fasttreeshap {algorithm}"] = lambda m, e=explainer: with_expected(
                e.shap_values(m, check_additivity=False), e.expected_value
            )
    except ImportError:
        print("fasttreeshap-fixed not installed: skipped")  # noqa: T201
    try:
        import pandas as pd
        from woodelf.explainer import WoodelfExplainer

        woodelf = WoodelfExplainer(booster)
        columns = [f"f{i}" for i in range(FEATURES)]
        found["woodelf"] = lambda m: with_expected(
            woodelf.shap_values(pd.DataFrame(m, columns=columns), verbose=False),
            woodelf.expected_value,
        )
    except ImportError:
        print("woodelf-explainer not installed: skipped")  # noqa: T201
    for name, explain in list(found.items()):
        try:
            explain(warm)
        except Exception as error:  # noqa: BLE001 - a third-party candidate that fails is reported
            print(f"{name}: fails ({type(error).__name__}: {error}); skipped")  # noqa: T201
            del found[name]
    return found


def run(found: dict[str, Explain], matrix: np.ndarray) -> None:
    seconds: dict[str, float] = {}
    values: dict[str, np.ndarray] = {}
    for name, explain in found.items():
        start = time.perf_counter()
        values[name] = explain(matrix)
        seconds[name] = time.perf_counter() - start
    reference = values["pred_contrib"]
    print(f"\n{len(matrix):,} rows")  # noqa: T201
    print(f"{'candidate':<16}{'rows/s':>10}{'x pred_contrib':>16}{'max abs diff':>14}  verdict")  # noqa: T201
    for name in found:
        ratio = seconds["pred_contrib"] / seconds[name]
        diff = float(np.max(np.abs(values[name] - reference)))
        verdict = "-" if name == "pred_contrib" else (
            "PASS" if ratio >= TARGET_RATIO and diff <= TOLERANCE else "FAIL"
        )  # fmt: skip
        rate = len(matrix) / seconds[name]
        print(f"{name:<16}{rate:>10,.0f}{ratio:>16.2f}{diff:>14.1e}  {verdict}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--objective", default="binary", choices=["binary", "huber", "quantile"])
    args = parser.parse_args()
    booster = fit(args.trees, args.objective)
    found = candidates(booster, synthetic_rows(200, seed=3))
    for rows in (1_000, 10_000):
        run(found, synthetic_rows(rows, seed=rows))


if __name__ == "__main__":
    main()
