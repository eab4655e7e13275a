"""Fixtures shared by every test package: where the real public ledger lives, if anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure() -> None:
    """No test may call out to MLflow's usage telemetry (CI has no network but registries)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")


SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IBM_AR_CSV = SHARED_DATA / "ibm-ar" / "WA_Fn-UseC_-Accounts-Receivable.csv"


@pytest.fixture(scope="session")
def ibm_ar_csv() -> Path:
    """The IBM late-payment ledger from ../shared/data; skips the test where it is absent."""
    if not IBM_AR_CSV.exists():
        pytest.skip(f"real data not present: {IBM_AR_CSV} (a clone without ../shared/data)")
    return IBM_AR_CSV
