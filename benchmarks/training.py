"""Benchmark: training time on ~120,000 snapshot rows x ~100 features with 30 Optuna trials.

Issue 4's target: 30 trials within 10 minutes on this 2-core machine. The frame is a real
training frame (synthetic world, default 5,000 customers x 31 months: about 120,000 rows with
every feature of the catalog). Prints the wall time of the frame build, of the search alone,
and of the whole
`training.workflow.develop` (search, rounds, 3-fold backtest with baselines, calibration,
final fit), with PASS/FAIL for the search against the limit.

Usage (as a module):
    .venv/bin/python -m benchmarks.training [--customers 5000] [--months 31] [--trials 30]
        [--threads 1] [--limit 600]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import optuna

from benchmarks.quality import synthetic_frame
from features.labels import LabelDefinition
from training.dataset import OVERDUE, feature_columns, labelled
from training.settings import TrainingSettings
from training.workflow import develop


class TrialClock:
    """Optuna callback recording when each trial finished (the search's own wall time)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.finished: list[float] = []
        self.pruned = 0

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.finished.append(time.perf_counter() - self.start)
        self.pruned += trial.state == optuna.trial.TrialState.PRUNED
        print(
            f"  trial {trial.number}: {trial.state.name.lower()} at {self.finished[-1]:.0f} s",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=31)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None, help="Reuse frames saved here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    started = time.perf_counter()
    frame = synthetic_frame(args.customers, args.months, args.seed, args.cache)[0]
    built = time.perf_counter()
    rows = len(labelled(frame, OVERDUE))
    print(
        f"frame: {len(frame)} rows ({rows} with an overdue label) x "
        f"{len(feature_columns(frame))} features, built in {built - started:.0f} s"
    )
    settings = TrainingSettings(_env_file=None, seed=args.seed, threads=args.threads)
    clock = TrialClock()
    development = develop(frame, settings, LabelDefinition(), args.trials, None, [clock])
    done = time.perf_counter()
    search = clock.finished[-1] if clock.finished else 0.0
    print(
        f"search: {len(clock.finished)} trials ({clock.pruned} pruned) in {search:.0f} s; "
        f"rounds {development.recipe.rounds}"
    )
    print(f"develop (search + rounds + backtest + calibration + final fit): {done - built:.0f} s")
    verdict = "PASS" if search <= args.limit else "FAIL"
    print(f"{args.trials} trials within {args.limit:.0f} s: {verdict} ({search:.0f} s)")
    raise SystemExit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
