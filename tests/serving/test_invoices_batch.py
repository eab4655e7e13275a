"""The batch job's invoices.parquet and the invoice-based expected_overdue_amount.

A champion with an invoice model (the serving tests' tiny bundle plus a tiny invoice model)
in a registry of its own, so the other serving tests keep their champion.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.build import online_frame
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from models.invoice_model import BUCKETS
from serving.app import create_app
from serving.audit import AuditLog
from serving.batch.job import run_batch
from serving.batch.types import BatchRequest, BatchResult
from serving.batch.worklist import open_invoices
from serving.collections.outcomes import list_actions
from serving.invoices import INVOICE_COLUMNS, predict_invoices
from serving.settings import ServingSettings
from tests.serving.batch_fixtures import world_dir_fixture  # noqa: F401
from tests.serving.conftest import AUTH, Registry, make_settings


@pytest.fixture(scope="module")
def invoice_bundle(tiny_bundle: ModelBundle) -> ModelBundle:
    assert tiny_bundle.invoice_model is not None  # the serving tests' bundle holds it
    return tiny_bundle


@pytest.fixture(scope="module")
def invoice_settings(
    tmp_path_factory: pytest.TempPathFactory, invoice_bundle: ModelBundle
) -> ServingSettings:
    """A registry of its own with the invoice bundle as champion, and its own store path."""
    root = tmp_path_factory.mktemp("invoice-registry")
    registry = Registry.create(root, invoice_bundle)
    return make_settings(root, root / "store" / "online.parquet", registry)


@pytest.fixture(scope="module")
def run(invoice_settings: ServingSettings, world_dir: Path, world: Tables) -> BatchResult:
    """The job as of the data end; it refreshes the online store and the invoice store."""
    as_of = data_end_of(world).normalize()
    out = invoice_settings.home / "runs" / "scores.parquet"
    return run_batch(BatchRequest(world_dir, as_of.date(), out, track=False), invoice_settings)


def test_invoices_file_lists_every_open_invoice_with_its_prediction(
    run: BatchResult, world: Tables
) -> None:
    invoices = pd.read_parquet(run.paths.invoices)
    as_of = data_end_of(world).normalize()
    expected = open_invoices(world, as_of)
    assert list(invoices.columns) == list(INVOICE_COLUMNS)
    assert sorted(invoices["invoice_id"]) == sorted(expected["invoice_id"])
    np.testing.assert_allclose(invoices[list(BUCKETS)].sum(axis=1), 1.0)
    p10, p50, p90 = (invoices[f"predicted_days_late_{q}"] for q in ("p10", "p50", "p90"))
    assert ((p10 <= p50) & (p50 <= p90) & (p10 >= invoices["days_past_due"] + 1)).all()
    payment = invoices["due_date"] + pd.to_timedelta(np.round(p50), unit="D")
    assert invoices["predicted_payment_date"].equals(payment)
    assert (invoices["predicted_payment_date"] > as_of).all()
    reasons = json.loads(invoices["reasons"].iloc[0])
    assert len(reasons) == 3 and set(reasons[0]) == {"feature", "value", "contribution", "text"}


def test_expected_overdue_amount_sums_open_amount_times_late_probability(
    run: BatchResult, world: Tables
) -> None:
    scores = pd.read_parquet(run.paths.scores).set_index("customer_id")
    invoices = pd.read_parquet(run.paths.invoices)
    as_of = data_end_of(world).normalize()
    soon = invoices.loc[
        (invoices["due_date"] > as_of) & (invoices["due_date"] <= as_of + pd.Timedelta(days=30))
    ]
    late = (soon["open_amount"] * (1 - soon["p_paid_on_time"])).groupby(soon["customer_id"]).sum()
    scored = scores.loc[scores["scored"], "expected_overdue_amount"]
    np.testing.assert_allclose(scored.reindex(late.index), late, rtol=1e-12)
    assert (scored.drop(late.index) == 0.0).all()


def test_a_bundle_without_an_invoice_model_predicts_no_invoices(
    tiny_bundle: ModelBundle, world: Tables
) -> None:
    customers_only = replace(tiny_bundle, invoice_model=None)
    frame = predict_invoices(customers_only, world, online_frame(world))
    assert frame.empty and list(frame.columns) == list(INVOICE_COLUMNS)


def test_the_invoice_model_travels_with_the_bundle_and_old_bundles_load_without(
    invoice_bundle: ModelBundle,
    tiny_bundle: ModelBundle,
    world: Tables,
    store_frame: pd.DataFrame,
    tmp_path: Path,
) -> None:
    invoice_bundle.save(tmp_path / "new")
    loaded = ModelBundle.load(tmp_path / "new")
    expected = predict_invoices(invoice_bundle, world, store_frame)
    pd.testing.assert_frame_equal(predict_invoices(loaded, world, store_frame), expected)
    replace(tiny_bundle, invoice_model=None).save(tmp_path / "old")
    assert ModelBundle.load(tmp_path / "old").invoice_model is None


def test_api_answers_a_customers_open_invoices_for_crm_and_risk(
    run: BatchResult, invoice_settings: ServingSettings
) -> None:
    expected = pd.read_parquet(run.paths.invoices)
    customer = str(expected["customer_id"].value_counts().index[0])
    mine = expected.loc[expected["customer_id"] == customer]
    with TestClient(create_app(invoice_settings)) as client:
        answer = client.get(f"/v1/customers/{customer}/invoices", headers=AUTH["crm"])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert client.get(f"/v1/customers/{customer}/invoices", headers=AUTH["risk"]).is_success
        assert client.get(f"/v1/customers/{customer}/invoices").status_code == 401
        unknown = client.get("/v1/customers/NOPE/invoices", headers=AUTH["risk"])
        assert unknown.status_code == 404
        spec = client.get("/openapi.json").json()
    audit = AuditLog(invoice_settings.audit_url)
    (row,) = [
        r for r in audit.history(customer) if r["request_id"] == answer.headers["X-Request-ID"]
    ]
    audit.dispose()
    assert (row["endpoint"], row["caller_role"]) == ("customers.invoices", "crm")
    assert [i["invoice_id"] for i in row["outputs"]["invoices"]] == mine["invoice_id"].tolist()
    assert [i["invoice_id"] for i in body["invoices"]] == mine["invoice_id"].tolist()
    first, row = body["invoices"][0], mine.iloc[0]
    assert first["p_paid_on_time"] == pytest.approx(row["p_paid_on_time"], rel=1e-12)
    assert first["predicted_payment_date"] == row["predicted_payment_date"].date().isoformat()
    assert first["reasons"] == json.loads(row["reasons"])
    assert body["features_as_of"] == data_end_of_run(run)
    assert "/v1/customers/{customer_id}/invoices" in spec["paths"]
    schema = spec["components"]["schemas"]["InvoicePrediction"]["properties"]
    assert schema["p_paid_on_time"]["examples"] == [0.58]


def data_end_of_run(run: BatchResult) -> str:
    return str(pd.read_parquet(run.paths.scores)["as_of"].iloc[0].date())


def test_a_champion_without_an_invoice_model_leaves_the_ladder_as_it_stands(
    run: BatchResult,  # noqa: ARG001 (the first night, which planned the actions)
    invoice_settings: ServingSettings,
    tiny_bundle: ModelBundle,
    world_dir: Path,
    world: Tables,
    tmp_path: Path,
) -> None:
    audit_copy = tmp_path / "audit.db"
    shutil.copyfile(invoice_settings.audit_url.removeprefix("sqlite:///"), audit_copy)
    url = f"sqlite:///{audit_copy}"
    before = [a.model_dump() for a in list_actions(AuditLog(url).engine)]
    assert any(a["status"] == "open" for a in before)
    registry = Registry.create(tmp_path, replace(tiny_bundle, invoice_model=None))
    settings = make_settings(tmp_path, tmp_path / "store" / "online.parquet", registry)
    settings = settings.model_copy(update={"audit_db_url": url})
    next_day = (data_end_of(world).normalize() + pd.Timedelta(days=1)).date()
    out = tmp_path / "runs" / "scores.parquet"
    result = run_batch(BatchRequest(world_dir, next_day, out, track=False), settings)
    assert pd.read_parquet(result.paths.actions).empty
    after = [a.model_dump() for a in list_actions(AuditLog(url).engine)]
    assert after == before
