"""A job killed mid-way leaves no partial output, and the rerun completes byte-identically.

The job runs as the real console script in a subprocess and is killed (SIGKILL, no chance to
clean up) at fixed points it cannot run past: its audit database is a server that accepts the
connection and never answers, so the job stalls in the audit step, after every companion file
is staged and before the scores file and the commit. It is killed once as soon as its first
output (rejects.csv) is staged, while it writes the rest, and once when it has connected to
the audit database. Whatever a kill leaves must be whole, the run directory untouched, and
the rerun must produce exactly the files of an uninterrupted run with the same inputs (the
fixtures' first run: same data, date, model and no previous run). A killed `--force` rerun
leaves the directory's previous run as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from serving.batch.job import run_batch
from serving.batch.outputs import TEMP_SUFFIX, OutputPaths, read_metadata
from serving.settings import ServingSettings
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)

ARSIGHT = Path(sys.executable).with_name("arsight")
WAIT_LIMIT = 120.0


def _silent_database() -> socket.socket:
    """A listening socket that never answers: a PostgreSQL connection to it waits forever.

    One per job: a killed job's connection would otherwise wait in the backlog for the next.
    """
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(WAIT_LIMIT)
    return server


def _start(
    two_runs: TwoRuns, out: Path, home: Path, database: socket.socket, *options: str
) -> subprocess.Popen[bytes]:
    port = database.getsockname()[1]
    env = {
        **os.environ,
        "ARSIGHT_HOME": str(home),
        "ARSIGHT_AUDIT_DB_URL": f"postgresql+psycopg://arsight@127.0.0.1:{port}/audit",
        "MLFLOW_TRACKING_URI": two_runs.settings.mlflow_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    day = two_runs.first_as_of.date().isoformat()
    args = [str(ARSIGHT), "score", str(two_runs.data), "--as-of", day, "--out", str(out)]
    args += options
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _wait_for(process: subprocess.Popen[bytes], path: Path) -> None:
    """Until `path` exists; the job cannot finish meanwhile (its audit step never returns)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not path.exists():
        assert process.poll() is None, f"the job exited ({process.returncode}) before {path}"
        assert time.monotonic() < deadline, f"no {path} after {WAIT_LIMIT} s"
        time.sleep(0.01)


def _wait_for_audit(process: subprocess.Popen[bytes], database: socket.socket) -> socket.socket:
    """Until the job connects to its audit database (every companion is written by then).

    Returns the connection, to be closed only after the kill: closed earlier, the job would
    fail on it and exit by itself.
    """
    connection, _ = database.accept()  # raises TimeoutError after WAIT_LIMIT
    assert process.poll() is None
    return connection


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the job's process group (it cannot have finished: see the module)."""
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the job if a failed assertion left it running."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _whole_files(paths: OutputPaths) -> list[Path]:
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
    home = tmp_path / "home"
    paths = OutputPaths(
        tmp_path / "runs" / two_runs.first_as_of.date().isoformat() / "scores.parquet"
    )
    staged = paths.staging()
    with _silent_database() as database:
        process = _start(two_runs, paths.scores, home, database)
        try:
            _wait_for(process, staged.rejects)
            _kill(process)
        finally:
            _stop(process)
    assert staged.rejects in _whole_files(staged)
    assert _run_files(paths) == []

    with _silent_database() as database:
        process = _start(two_runs, paths.scores, home, database)
        try:
            with _wait_for_audit(process, database):
                _kill(process)
        finally:
            _stop(process)
    assert _whole_files(staged) == _written_before_audit(staged)
    assert _run_files(paths) == []

    settings = two_runs.settings.model_copy(
        update={"home": home, "online_store": str(home / "store" / "online.parquet")}
    )
    result = run_batch(two_runs.request(two_runs.first_as_of, paths.scores), settings)
    assert result.status == "written"
    assert not list(paths.directory.glob(f".*{TEMP_SUFFIX}"))
    _assert_same_outputs(paths, two_runs.first.paths)


def _run_files(paths: OutputPaths) -> list[Path]:
    """The run's files present in its directory (not counting the staging directory)."""
    return [p for p in [paths.scores, *paths.companions()] if p.exists()]


def _assert_same_outputs(paths: OutputPaths, reference: OutputPaths) -> None:
    """Every file of `paths` equals, byte for byte, the same file of `reference`."""
    assert read_metadata(paths.scores) == read_metadata(reference.scores)
    for mine, theirs in zip(
        [paths.scores, *paths.companions()],
        [reference.scores, *reference.companions()],
        strict=True,
    ):
        if mine.suffix == ".parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(mine), pd.read_parquet(theirs))
        assert mine.read_bytes() == theirs.read_bytes(), f"{mine.name} differs"


def test_a_killed_forced_rerun_leaves_the_previous_run_whole(
    two_runs: TwoRuns, tmp_path: Path
) -> None:
    old = two_runs.first.paths
    paths = OutputPaths(tmp_path / "runs" / old.directory.name / "scores.parquet")
    paths.directory.mkdir(parents=True)
    for source, target in zip([old.scores, *old.companions()], _all(paths), strict=True):
        shutil.copyfile(source, target)
    home = tmp_path / "home"
    with _silent_database() as database:  # same date, a second run beside: a different run
        process = _start(
            two_runs,
            paths.scores,
            home,
            database,
            "--force",
            "--previous",
            str(two_runs.second.paths.scores),
        )
        try:
            with _wait_for_audit(process, database):
                _kill(process)
        finally:
            _stop(process)
    assert _whole_files(paths.staging()) == _written_before_audit(paths.staging())
    _assert_same_outputs(paths, old)

    result = run_batch(two_runs.request(two_runs.first_as_of, paths.scores), _private(home))
    assert result.status == "skipped"
    assert not paths.staging().directory.exists()
    _assert_same_outputs(paths, old)


def test_a_rerun_completes_an_interrupted_install(two_runs: TwoRuns, tmp_path: Path) -> None:
    """The state a kill between the commit and the end of the install leaves: old scores
    removed, two companions moved in, the rest still in the commit directory."""
    paths = OutputPaths(tmp_path / "runs" / "day" / "scores.parquet")
    committed = paths.committed()
    committed.directory.mkdir(parents=True)
    new = two_runs.first.paths
    for source, target in zip(_all(new), _all(committed), strict=True):
        shutil.copyfile(source, target)
    for source, target in list(zip(committed.companions(), paths.companions(), strict=True))[:2]:
        os.replace(source, target)
    assert not paths.scores.exists()
    request = two_runs.request(two_runs.first_as_of, paths.scores)
    result = run_batch(request, _private(tmp_path / "home"))
    assert result.status == "skipped"
    assert not committed.directory.exists()
    _assert_same_outputs(paths, new)


def _all(paths: OutputPaths) -> list[Path]:
    return [paths.scores, *paths.companions()]


def _private(home: Path) -> ServingSettings:
    return ServingSettings(
        _env_file=None, home=home, online_store=str(home / "store" / "online.parquet")
    )


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


def _written_before_audit(paths: OutputPaths) -> list[Path]:
    """The companions but actions.parquet, which lists what the audit database holds."""
    return [p for p in paths.companions() if p != paths.actions]
