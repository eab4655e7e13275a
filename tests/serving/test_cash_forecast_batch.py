"""The nightly job's cash forecast files and GET /v1/cash-forecast, on the batch fixtures' runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.build import online_frame
from features.tables import Tables
from models.bundle import ModelBundle
from models.cash_forecast import FORECAST_COLUMNS, HORIZON_WEEKS, forecast_receipts
from serving.app import create_app
from serving.batch.cash import PORTFOLIO, cash_frames, past_receipts, with_industry
from serving.batch.job import run_batch
from serving.cash_record import CashWeek
from serving.invoices import predict_invoices
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401
from tests.serving.conftest import AUTH, Registry, make_settings
from training.dataset import tables_known_by

CASH_FILES = ("cash_forecast", "cash_forecast_customers", "cash_received")


@pytest.fixture(scope="module")
def api(
    two_runs: TwoRuns, registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("cash-api")
    settings = make_settings(
        home, two_runs.home / "store" / "online.parquet", registry,
        runs_dir=str(two_runs.home / "runs"), audit_db_url=f"sqlite:///{home / 'audit.db'}",
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        yield client


def read(path: Path) -> pd.DataFrame:
    """A cash file with its dates at the resolution the frames are built in."""
    return pd.read_parquet(path).astype({"week_start": "datetime64[ns]"})


def test_the_record_is_the_files_columns() -> None:
    assert tuple(CashWeek.model_fields) == FORECAST_COLUMNS


def test_the_job_writes_the_portfolio_industry_and_customer_forecasts(
    two_runs: TwoRuns, world: Tables, tiny_bundle: ModelBundle
) -> None:
    paths = two_runs.second.paths
    portfolio = read(paths.cash_forecast)
    customers = read(paths.cash_forecast_customers)
    assert list(portfolio.columns) == ["industry", *FORECAST_COLUMNS]
    assert list(customers.columns) == ["customer_id", *FORECAST_COLUMNS]
    first = two_runs.second_as_of + pd.Timedelta(days=1)
    assert (portfolio["industry"].iloc[:HORIZON_WEEKS] == PORTFOLIO).all()
    assert portfolio["week_start"].iloc[0] == first
    invoices = pd.read_parquet(paths.invoices)
    model = tiny_bundle.invoice_model
    assert model is not None
    expected = forecast_receipts(
        invoices, two_runs.second_as_of, model.grace_days, model.cash_band_shock
    )
    head = portfolio.iloc[:HORIZON_WEEKS].drop(columns="industry").reset_index(drop=True)
    pd.testing.assert_frame_equal(head, expected)
    assert (head["expected_receipts"] > 0).any()
    assert head["expected_receipts"].sum() <= invoices["open_amount"].sum()
    for part in (portfolio.iloc[HORIZON_WEEKS:], customers):
        weekly = part.groupby("week_start")["expected_receipts"].sum().to_numpy()
        np.testing.assert_allclose(weekly, head["expected_receipts"], rtol=1e-9)
    industries = set(with_industry(invoices, world)["industry"])
    assert set(portfolio["industry"].iloc[HORIZON_WEEKS:]) == industries
    assert set(customers["customer_id"]) == set(invoices["customer_id"])


def test_the_received_weeks_are_the_payments_of_the_13_weeks_up_to_the_as_of_date(
    two_runs: TwoRuns, world: Tables
) -> None:
    received = read(two_runs.second.paths.cash_received)
    t = two_runs.second_as_of
    assert len(received) == 13 and received["week_start"].iloc[-1] == t - pd.Timedelta(days=6)
    payments = world.payments
    assert payments is not None
    last = payments.loc[
        (payments["payment_date"] > t - pd.Timedelta(days=7)) & (payments["payment_date"] <= t)
    ]
    assert received["received"].iloc[-1] == pytest.approx(last["amount"].sum(), rel=1e-12)
    window = payments.loc[
        (payments["payment_date"] > t - pd.Timedelta(days=91)) & (payments["payment_date"] <= t)
    ]
    assert received["received"].sum() == pytest.approx(window["amount"].sum(), rel=1e-12)


def test_the_forecast_at_t_never_uses_facts_after_t(
    two_runs: TwoRuns, world: Tables, tiny_bundle: ModelBundle
) -> None:
    t = two_runs.first_as_of  # a month before the data end: later facts exist
    known = tables_known_by(world, t)
    invoices = predict_invoices(tiny_bundle, known, online_frame(known, t))
    frames = cash_frames(invoices, known, t, tiny_bundle.invoice_model)
    paths = two_runs.first.paths
    pd.testing.assert_frame_equal(frames.portfolio, read(paths.cash_forecast))
    pd.testing.assert_frame_equal(frames.customers, read(paths.cash_forecast_customers))
    pd.testing.assert_frame_equal(past_receipts(known, t), read(paths.cash_received))


def test_the_cash_files_are_the_same_bytes_when_the_job_runs_again(
    two_runs: TwoRuns, tmp_path: Path
) -> None:
    results = []
    for name in ("a", "b"):  # each in a runs directory of its own: no previous run either time
        out = tmp_path / name / "run" / "scores.parquet"
        settings = two_runs.private_settings(tmp_path / name)
        results.append(
            run_batch(two_runs.request(two_runs.second_as_of, out, track=False), settings)
        )
    for name in CASH_FILES:
        ours, theirs = (getattr(r.paths, name) for r in results)
        assert ours.read_bytes() == theirs.read_bytes(), name
        pd.testing.assert_frame_equal(read(ours), read(getattr(two_runs.second.paths, name)))


def test_a_bundle_without_an_invoice_model_gives_empty_forecasts_with_the_columns(
    world: Tables, two_runs: TwoRuns
) -> None:
    frames = cash_frames(pd.DataFrame(), world, two_runs.second_as_of, None)
    assert frames.portfolio.empty and list(frames.portfolio.columns) == [
        "industry",
        *FORECAST_COLUMNS,
    ]
    assert frames.customers.empty and list(frames.customers.columns) == [
        "customer_id",
        *FORECAST_COLUMNS,
    ]
    assert len(frames.received) == 13


def test_api_answers_the_portfolio_an_industry_and_a_customer(
    api: TestClient, two_runs: TwoRuns
) -> None:
    paths = two_runs.second.paths
    portfolio = read(paths.cash_forecast)
    answer = api.get("/v1/cash-forecast", headers=AUTH["risk"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (
        body["scope"] == "portfolio" and body["as_of"] == two_runs.second_as_of.date().isoformat()
    )
    assert [w["expected_receipts"] for w in body["weeks"]] == portfolio["expected_receipts"].iloc[
        :13
    ].tolist()
    industry = str(portfolio["industry"].iloc[HORIZON_WEEKS])
    body = api.get("/v1/cash-forecast", params={"industry": industry}, headers=AUTH["risk"]).json()
    mine = portfolio.loc[portfolio["industry"] == industry]
    assert body["scope"] == "industry" and [w["p90"] for w in body["weeks"]] == mine["p90"].tolist()
    customers = read(paths.cash_forecast_customers)
    customer = str(customers["customer_id"].iloc[0])
    body = api.get(
        "/v1/cash-forecast", params={"customer_id": customer}, headers=AUTH["risk"]
    ).json()
    theirs = customers.loc[customers["customer_id"] == customer]
    assert [w["expected_receipts"] for w in body["weeks"]] == theirs["expected_receipts"].tolist()
    assert (
        body["weeks"][0]["week_start"]
        == (two_runs.second_as_of + pd.Timedelta(days=1)).date().isoformat()
    )


def test_api_errors_are_exact(api: TestClient, two_runs: TwoRuns) -> None:
    risk = AUTH["risk"]
    answer = api.get("/v1/cash-forecast", params={"customer_id": "NOPE"}, headers=risk)
    as_of = two_runs.second_as_of.date().isoformat()
    assert answer.status_code == 404
    assert (
        answer.json()["detail"] == f"unknown customer 'NOPE': not in the scoring run as of {as_of}"
    )
    answer = api.get("/v1/cash-forecast", params={"industry": "mining"}, headers=risk)
    assert answer.status_code == 404 and answer.json()["detail"].startswith(
        f"unknown industry 'mining' in the cash forecast as of {as_of}; expected one of ["
    )
    both = {"customer_id": "C1", "industry": "retail"}
    answer = api.get("/v1/cash-forecast", params=both, headers=risk)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "customer_id, industry: give one of them, not both"
    assert api.get("/v1/cash-forecast", headers=AUTH["collections"]).status_code == 200
    assert api.get("/v1/cash-forecast", headers=AUTH["crm"]).status_code == 403
    assert api.get("/v1/cash-forecast").status_code == 401


def test_api_without_a_run_is_not_ready(
    registry: Registry, tmp_path: Path, two_runs: TwoRuns
) -> None:
    settings = make_settings(
        tmp_path,
        two_runs.home / "store" / "online.parquet",
        registry,
        runs_dir=str(tmp_path / "none"),
    )
    with TestClient(create_app(settings)) as client:
        answer = client.get("/v1/cash-forecast", headers=AUTH["risk"])
    assert answer.status_code == 503
    assert answer.json()["detail"] == (
        f"no completed scoring run in {tmp_path / 'none'}: the cash forecast is written by the "
        "nightly job (arsight score)"
    )
