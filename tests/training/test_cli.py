"""`arsight train` and `arsight evaluate` end to end on a tiny synthetic world."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.labels import LabelDefinition
from features.tables import Tables, write_tables
from tests.conftest import synthetic_world
from training.settings import get_training_settings
from training.workflow import build_frame

AS_OF = "2024-09-30"


@pytest.fixture(scope="module")
def world() -> Tables:
    return synthetic_world(80, 24, 2)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, world: Tables) -> Iterator[dict[str, str]]:
    """A data directory and an ARSIGHT_HOME with a small training budget."""
    home = tmp_path_factory.mktemp("home")
    write_tables(world, home / "world")
    get_training_settings.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        env = {
            "ARSIGHT_HOME": str(home),
            "ARSIGHT_FOLD_SNAPSHOTS": "1",
            "ARSIGHT_MAX_ROUNDS": "40",
        }
        for key, value in env.items():
            patch.setenv(key, value)
        yield env
    get_training_settings.cache_clear()


def test_frame_as_of_ignores_everything_dated_later(world: Tables) -> None:
    cutoff = pd.Timestamp(AS_OF)
    frame, end = build_frame(world, cutoff, LabelDefinition())
    invoices = world.invoices.loc[world.invoices["issue_date"] <= cutoff].copy()
    late = invoices["cleared_date"] > cutoff
    invoices.loc[late, "cleared_date"] = invoices.loc[late, "cleared_date"] + pd.Timedelta(days=99)
    payments = world.payments
    if payments is not None:
        payments = payments.loc[payments["payment_date"] <= cutoff]
    changed = replace(world, invoices=invoices, payments=payments, signals=None, deals=None)
    if world.signals is not None:
        changed = replace(
            changed, signals=world.signals.loc[world.signals["observed_date"] <= cutoff]
        )
    if world.deals is not None:
        changed = replace(changed, deals=world.deals.loc[world.deals["created_date"] <= cutoff])
    other, _ = build_frame(changed, cutoff, LabelDefinition())
    assert end == cutoff
    assert frame["as_of"].max() == pd.Timestamp("2024-08-31")
    pd.testing.assert_frame_equal(frame, other)


@pytest.mark.slow
def test_train_then_evaluate(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    directory = str(Path(cli_env["ARSIGHT_HOME"]) / "world")
    trained = runner.invoke(
        app, ["train", directory, "--as-of", AS_OF, "--trials", "1", "--promote"]
    )
    assert trained.exit_code == 0, trained.output
    assert "arsight version 1 (run " in trained.output
    assert "promoted to champion: no champion yet; challenger AUC 0." in trained.output
    uri = f"sqlite:///{(Path(cli_env['ARSIGHT_HOME']) / 'models' / 'mlflow.db').resolve()}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = client.get_model_version_by_alias("arsight", "champion")
    assert client.get_run(version.run_id).data.params["trained_as_of"] == AS_OF

    evaluated = runner.invoke(
        app,
        [
            "evaluate",
            directory,
            "--model-uri",
            "models:/arsight@champion",
            "--from",
            "2024-10-01",
            "--to",
            "2024-10-31",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "models:/arsight@champion, 2024-10-01 to 2024-10-31 (1 snapshots)" in evaluated.output


@pytest.mark.slow
def test_unknown_model_exits_1_with_one_line(cli_env: dict[str, str]) -> None:
    directory = str(Path(cli_env["ARSIGHT_HOME"]) / "world")
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            directory,
            "--model-uri",
            "models:/nope@champion",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-31",
        ],
    )
    assert result.exit_code == 1
    assert result.output == (
        "error: models:/nope@champion: no such model (Registered Model with name=nope not found)\n"
    )


def test_short_history_exits_1_with_one_line(cli_env: dict[str, str]) -> None:
    directory = str(Path(cli_env["ARSIGHT_HOME"]) / "world")
    result = CliRunner().invoke(app, ["train", directory, "--as-of", "2023-03-15"])
    assert result.exit_code == 1
    assert result.output == (
        "error: no training snapshot: the history up to 2023-03-15 is too short\n"
    )
