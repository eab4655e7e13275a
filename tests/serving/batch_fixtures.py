"""Fixtures of the batch-scoring tests: the serving tests' world on disk and two nightly runs.

Built on tests/serving/conftest.py (the synthetic world, the tiny champion in a SQLite MLflow
store): the world is written as a data directory, then the job runs as of two dates a month
apart, the second finding the first as its previous run. Test modules import these fixtures
by name: `from tests.serving.batch_fixtures import two_runs_fixture` registers `two_runs`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from features.tables import Tables, data_end_of, write_tables
from serving.batch.job import run_batch
from serving.batch.types import BatchRequest, BatchResult
from serving.settings import ServingSettings
from tests.serving.conftest import Registry, make_settings


@dataclass(frozen=True)
class TwoRuns:
    """Two runs of the job on the same data directory, a month apart."""

    data: Path
    home: Path
    settings: ServingSettings
    first: BatchResult
    second: BatchResult
    first_as_of: pd.Timestamp
    second_as_of: pd.Timestamp

    def request(self, as_of: pd.Timestamp, out: Path, **options: object) -> BatchRequest:
        """A request on this data directory."""
        return BatchRequest(self.data, as_of.date(), out, **options)  # type: ignore[arg-type]

    def private_settings(self, home: Path) -> ServingSettings:
        """The same registry with its own home (audit database, online store), so an ad-hoc
        run does not replace the fixture runs' alerts of the same date."""
        return self.settings.model_copy(
            update={"home": home, "online_store": str(home / "store" / "online.parquet")}
        )


_BUILT: dict[str, object] = {}
"""One instance per session: pytest registers an imported fixture once per importing module,
so a session-scoped fixture imported into several modules would otherwise be built again."""


@pytest.fixture(scope="session", name="world_dir")
def world_dir_fixture(tmp_path_factory: pytest.TempPathFactory, world: Tables) -> Path:
    if "world_dir" not in _BUILT:
        directory = tmp_path_factory.mktemp("world")
        write_tables(world, directory)
        _BUILT["world_dir"] = directory
    return _BUILT["world_dir"]  # type: ignore[return-value]


@pytest.fixture(scope="session", name="two_runs")
def two_runs_fixture(
    tmp_path_factory: pytest.TempPathFactory, world_dir: Path, world: Tables, registry: Registry
) -> TwoRuns:
    if "two_runs" in _BUILT:
        return _BUILT["two_runs"]  # type: ignore[return-value]
    home = tmp_path_factory.mktemp("batch-home")
    settings = make_settings(home, home / "store" / "online.parquet", registry)
    second_as_of = data_end_of(world).normalize()
    first_as_of = second_as_of - pd.Timedelta(days=30)
    results = []
    for as_of in (first_as_of, second_as_of):
        out = home / "runs" / as_of.date().isoformat() / "scores.parquet"
        results.append(run_batch(BatchRequest(world_dir, as_of.date(), out), settings))
    _BUILT["two_runs"] = TwoRuns(world_dir, home, settings, *results, first_as_of, second_as_of)
    return _BUILT["two_runs"]  # type: ignore[return-value]


def copy_of_audit(runs: TwoRuns, directory: Path) -> str:
    """A copy of the runs' SQLite audit database (both nights' alerts and actions) in
    `directory`, as a URL: a test recording outcomes keeps them out of the other tests."""
    target = directory / "audit-copy.db"
    shutil.copyfile(runs.settings.audit_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"
