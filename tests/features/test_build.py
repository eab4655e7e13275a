"""The feature frame contract, the catalog, and the `arsight features` commands end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.build import build_feature_frame, build_training_frame
from features.catalog import FEATURES, feature_names, parse_columns
from features.tables import Tables, write_tables
from tests.conftest import synthetic_world
from tests.features.builders import day, invoice, make_tables

runner = CliRunner()


@pytest.fixture(scope="module")
def world() -> Tables:
    return synthetic_world(60, 14, 3)


@pytest.fixture(scope="module")
def world_dir(world: Tables, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    write_tables(world, directory)
    return directory


def test_frame_has_exactly_the_catalog_columns_dtypes_and_order(world: Tables) -> None:
    frame = build_feature_frame(world, [day("2023-12-31"), day("2023-10-31")])
    assert list(frame.columns) == ["customer_id", "as_of", *feature_names()]
    kinds = {s.name: s.kind for s in FEATURES}
    expected = ["str", "datetime64[ns]"] + [
        "str" if kinds[n] == "categorical" else "float64" for n in feature_names()
    ]
    assert [str(t) for t in frame.dtypes] == expected
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    keys = frame[["as_of", "customer_id"]]
    assert keys.equals(keys.sort_values(["as_of", "customer_id"]).reset_index(drop=True))
    assert frame["as_of"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2023-10-31", "2023-12-31"]


def test_inputs_are_not_modified(world: Tables) -> None:
    before = {name: frame.copy() for name, frame in world.items()}
    build_training_frame(world, [day("2023-09-30")])
    for name, frame in world.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_catalog_parses_every_group_docstring() -> None:
    assert len(FEATURES) == 99
    assert len(set(feature_names())) == 99
    assert {s.group for s in FEATURES} == {
        "payment_history",
        "receivables",
        "activity",
        "health",
        "peers",
        "static",
    }
    assert [s.name for s in FEATURES if s.kind == "categorical"] == [
        "customer_industry",
        "customer_country",
        "customer_segment",
    ]
    spec = next(s for s in FEATURES if s.name == "customer_late_share_count_90d")
    assert spec.unit == "share"
    assert spec.definition == (
        "Of invoices cleared in (t-90d, t], the share cleared after their due date "
        "(days late > 0). Null when none cleared."
    )


def test_parse_columns_rejects_a_malformed_entry() -> None:
    doc = """Group.

    Columns:
        good_feature (days): Fine.
        bad feature: no unit.
    """
    with pytest.raises(ValueError) as err:
        parse_columns(doc)
    assert str(err.value) == "malformed Columns entry: 'bad feature: no unit.'"


def test_as_of_command_equals_that_snapshot_of_the_training_frame(
    world_dir: Path, tmp_path: Path
) -> None:
    training, single = tmp_path / "train.parquet", tmp_path / "one.parquet"
    result = runner.invoke(
        app, ["features", "build", str(world_dir), "--out", str(training), "--snapshots", "month"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["features", "build", str(world_dir), "--out", str(single), "--as-of", "2023-11-30"]
    )
    assert result.exit_code == 0, result.output
    frame, one = pd.read_parquet(training), pd.read_parquet(single)
    assert frame["as_of"].dt.strftime("%Y-%m-%d").unique().tolist() == [
        "2023-04-30",
        "2023-05-31",
        "2023-06-30",
        "2023-07-31",
        "2023-08-31",
        "2023-09-30",
        "2023-10-31",
        "2023-11-30",
        "2023-12-31",
    ]  # data end 2024-02-2x: 2024-01-31 + 30 days is not known yet
    labels = ["overdue_30d", "dso_30d", "delinquent_90d"]
    assert list(frame.columns[-3:]) == labels
    row = frame[frame["as_of"] == day("2023-11-30")].drop(columns=labels)
    pd.testing.assert_frame_equal(row.reset_index(drop=True), one)


def test_build_command_refuses_contradictory_options(world_dir: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.parquet")
    cases = {
        ("--out", out, "--as-of", "2023-11-30", "--snapshots", "month"): (
            "error: give --as-of DATE or --snapshots month, not both"
        ),
        ("--snapshots", "week", "--out", out): (
            "error: --snapshots 'week': expected one of ('month',)"
        ),
        ("--online", "--out", out): (
            "error: --online writes the store; it takes no --snapshots or --out"
        ),
        (): "error: --out FILE is required (or --online)",
    }
    for args, message in cases.items():
        result = runner.invoke(app, ["features", "build", str(world_dir), *args])
        assert result.exit_code == 1, args
        assert result.output.strip() == message


def test_online_command_writes_the_store(world: Tables, world_dir: Path, tmp_path: Path) -> None:
    from features.store import read_online_store
    from features.tables import data_end_of

    target = tmp_path / "store" / "online.parquet"
    result = runner.invoke(
        app, ["features", "build", str(world_dir), "--online", "--store", str(target)]
    )
    assert result.exit_code == 0, result.output
    store = read_online_store(target)
    assert result.output.strip() == (
        f"online store {target}: {len(store.frame)} customers as of {data_end_of(world).date()}"
    )
    assert store.features_as_of == data_end_of(world)
    assert store.feature_names == feature_names()


def test_list_command_prints_every_feature() -> None:
    result = runner.invoke(app, ["features", "list", "--markdown"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[:2] == [
        "| name | label | group | definition | unit |",
        "|---|---|---|---|---|",
    ]
    assert len(lines) == 2 + len(FEATURES)
    assert lines[2].startswith(
        "| `customer_invoice_count_30d` | Invoices issued, last 30 days | payment_history | "
        "Invoices "
    )


def test_customer_known_from_first_invoice_when_onboarding_is_null() -> None:
    tables = make_tables(
        [{"customer_id": "Z"}], [invoice("I", "Z", "2024-03-01", "2024-03-31", 5.0)]
    )
    assert build_feature_frame(tables, day("2024-02-29")).empty
    assert build_feature_frame(tables, day("2024-03-01"))["customer_id"].tolist() == ["Z"]
