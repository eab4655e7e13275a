"""Online store round trips (Parquet, SQLite, PostgreSQL), version tokens and errors."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from features.build import FEATURE_PIPELINE_VERSION, online_frame
from features.catalog import feature_names
from features.errors import StoreError
from features.store import read_online_store, store_version, write_online_store
from tests.features.builders import day, invoice, make_tables

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

TABLES = make_tables(
    [
        {"customer_id": "A", "name": "Acme", "industry": "retail", "onboarding_date": "2024-01-01"},
        {"customer_id": "B", "onboarding_date": "2024-02-01"},
    ],
    [
        invoice("I1", "A", "2024-03-01", "2024-03-31", 100.0, "2024-04-05"),
        invoice("I2", "B", "2024-04-01", "2024-05-01", 50.0),
    ],
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return online_frame(TABLES)


def expected(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["as_of"]).set_index("customer_id")


def check_round_trip(frame: pd.DataFrame, target: str | Path, table: str) -> None:
    write_online_store(frame, target, table=table)
    token = store_version(target, table=table)
    store = read_online_store(target, table=table)
    pd.testing.assert_frame_equal(store.frame, expected(frame))
    assert store.features_as_of == day("2024-04-05")
    assert store.pipeline_version == FEATURE_PIPELINE_VERSION
    assert store.feature_names == feature_names()
    assert store.written_at.tz is not None
    assert store_version(target, table=table) == token
    write_online_store(frame, target, table=table)
    assert store_version(target, table=table) != token


def test_online_frame_is_the_latest_snapshot_with_context(frame: pd.DataFrame) -> None:
    assert frame["customer_id"].tolist() == ["A", "B"]
    assert frame["as_of"].unique().tolist() == [day("2024-04-05")]
    assert frame["customer_name"].tolist()[0] == "Acme"
    assert pd.isna(frame["customer_name"].tolist()[1])
    assert list(frame.columns) == ["customer_id", "as_of", *feature_names(), "customer_name"]


def test_parquet_round_trip(frame: pd.DataFrame, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "online.parquet"
    check_round_trip(frame, target, "online_features")
    assert [p.name for p in target.parent.iterdir()] == ["online.parquet"]  # no temp left


def test_sqlite_round_trip(frame: pd.DataFrame, tmp_path: Path) -> None:
    check_round_trip(frame, f"sqlite:///{tmp_path / 'store.db'}", "online_features")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    assert sorted(sa.inspect(engine).get_table_names()) == [
        "arsight_online_store_meta",
        "online_features",
    ]
    engine.dispose()


@pytest.mark.postgres
def test_postgres_round_trip(frame: pd.DataFrame) -> None:
    table = f"online_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES_URL)
    try:
        check_round_trip(frame, POSTGRES_URL, table)
    finally:
        with engine.begin() as con:
            con.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
            con.execute(
                sa.text("DELETE FROM arsight_online_store_meta WHERE table_name = :t"), {"t": table}
            )
        engine.dispose()


def test_missing_and_foreign_stores_raise_store_error(tmp_path: Path) -> None:
    missing = tmp_path / "none.parquet"
    with pytest.raises(StoreError) as err:
        read_online_store(missing)
    assert str(err.value) == (
        f"online store {missing}: no such file; run `arsight features build DIR --online`"
    )
    with pytest.raises(StoreError) as err:
        store_version(missing)
    assert str(err.value) == f"online store {missing}: no such file"
    foreign = tmp_path / "foreign.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(foreign)
    with pytest.raises(StoreError) as err:
        read_online_store(foreign)
    assert str(err.value) == f"online store {foreign}: Parquet file without arsight metadata"
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    write_online_store(online_frame(TABLES), url, table="other")
    with pytest.raises(StoreError) as err:
        read_online_store(url)
    assert str(err.value).endswith("no table online_features written yet")


def test_store_refuses_a_frame_with_several_snapshots(tmp_path: Path) -> None:
    from features.build import build_feature_frame

    several = build_feature_frame(TABLES, [day("2024-03-31"), day("2024-04-05")])
    with pytest.raises(StoreError) as err:
        write_online_store(several, tmp_path / "s.parquet")
    assert str(err.value) == "online store needs exactly one as_of; frame has 2"
