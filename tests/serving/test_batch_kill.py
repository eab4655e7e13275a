"""A job killed mid-way leaves no partial output, and the rerun completes byte-identically.

The job runs as the real console script in a subprocess and is killed (SIGKILL, no chance to
clean up) at random points: one kill after a random delay, one as soon as the first output
file appears (in the middle of writing). Whatever a kill leaves must be whole; the scores file
is the commit (renamed last), so either it is absent and the rerun must produce exactly the
files of an uninterrupted run with the same inputs (the fixtures' first run: same data, date,
model and no previous run), or the kill came after the commit, while the process was exiting,
and the files already on disk must be exactly those.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from serving.batch.job import run_batch
from serving.batch.outputs import TEMP_SUFFIX, OutputPaths, read_metadata
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)

ARSIGHT = Path(sys.executable).with_name("arsight")
WAIT_LIMIT = 60.0


def _start(two_runs: TwoRuns, out: Path, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARSIGHT_HOME": str(home),
        "MLFLOW_TRACKING_URI": two_runs.settings.mlflow_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    day = two_runs.first_as_of.date().isoformat()
    args = [str(ARSIGHT), "score", str(two_runs.data), "--as-of", day, "--out", str(out)]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _wait_for_output(process: subprocess.Popen[bytes], directory: Path) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline and process.poll() is None:
        if directory.is_dir() and any(directory.iterdir()):
            return
        time.sleep(0.01)


def _kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the job's process group; False if it had already finished."""
    if process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return True


def _complete_files(paths: OutputPaths) -> list[Path]:
    """Outputs present after a kill; each must be whole (readable), never half-written."""
    present = [p for p in paths.companions() if p.exists()]
    for path in present:
        if path.suffix == ".parquet":
            pd.read_parquet(path)
        else:
            pd.read_csv(path)
    return present


def test_killed_runs_leave_no_partial_output_and_rerun_matches(
    two_runs: TwoRuns, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    home = tmp_path / "home"
    paths = OutputPaths(
        tmp_path / "runs" / two_runs.first_as_of.date().isoformat() / "scores.parquet"
    )
    kills = 0
    for strategy in ("delay", "first_output"):
        process = _start(two_runs, paths.scores, home)
        if strategy == "delay":
            time.sleep(rng.uniform(0.5, 6.0))
        else:
            _wait_for_output(process, paths.directory)
            time.sleep(rng.uniform(0.0, 0.3))
        if not _kill(process):
            break  # finished before the kill: nothing left to interrupt
        kills += 1
        _complete_files(paths)
        if paths.scores.exists():
            break  # killed after the commit (the scores rename), while the process exited
    assert kills >= 1, f"seed {seed}: the job finished before any kill"
    if not paths.scores.exists():  # killed before the commit: the rerun does the whole job
        settings = two_runs.settings.model_copy(
            update={"home": home, "online_store": str(home / "store" / "online.parquet")}
        )
        result = run_batch(two_runs.request(two_runs.first_as_of, paths.scores), settings)
        assert result.status == "written"
    assert not list(paths.directory.glob(f".*{TEMP_SUFFIX}"))
    reference = two_runs.first.paths
    assert read_metadata(paths.scores) == read_metadata(reference.scores), f"seed {seed}"
    for mine, theirs in zip(
        [paths.scores, *paths.companions()],
        [reference.scores, *reference.companions()],
        strict=True,
    ):
        if mine.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(mine), pd.read_parquet(theirs))
        assert mine.read_bytes() == theirs.read_bytes(), f"seed {seed}: {mine.name} differs"


def test_stale_temporaries_are_removed(two_runs: TwoRuns, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    stale = tmp_path / f".alerts.parquet{TEMP_SUFFIX}"
    stale.write_bytes(b"half a parquet file")
    request = two_runs.request(two_runs.first_as_of, out, track=False, refresh_store=False)
    run_batch(request, two_runs.private_settings(tmp_path))
    assert not stale.exists()
    assert pd.read_parquet(tmp_path / "alerts.parquet").empty


def test_skip_leaves_an_existing_output_untouched(two_runs: TwoRuns, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    out.write_bytes(b"not ours")
    result = run_batch(
        two_runs.request(two_runs.first_as_of, out), two_runs.private_settings(tmp_path)
    )
    assert result.status == "skipped"
    assert out.read_bytes() == b"not ours"
