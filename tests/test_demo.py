"""`arsight demo --no-serve`: the main job end to end, on a small world, as `make demo` runs it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.validate import validate_directory
from serving.settings import ServingSettings

DEMO_ENVIRONMENT = (
    "ARSIGHT_HOME",
    "ARSIGHT_ONLINE_STORE",
    "ARSIGHT_AUDIT_DB_URL",
    "ARSIGHT_API_KEYS",
    "ARSIGHT_PORT",
    "MLFLOW_TRACKING_URI",
)


def _settings_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(("ARSIGHT_", "MLFLOW_TRACKING"))}


@pytest.mark.slow
def test_demo_runs_every_step_and_prints_the_curl_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in DEMO_ENVIRONMENT:  # the demo sets these; monkeypatch restores them afterwards
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARSIGHT_HOME", str(tmp_path))
    monkeypatch.setenv("ARSIGHT_FOLD_SNAPSHOTS", "1")
    monkeypatch.setenv("ARSIGHT_MAX_ROUNDS", "40")
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--no-serve", "--customers", "120", "--months", "18", "--trials", "1"]
    environment = _settings_variables()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _settings_variables() == environment  # configured by settings objects, not variables
    for step in (
        "1. Synthesise a ledger",
        "2. Validate it against the data contract",
        "3. Point-in-time training frame",
        "4. Online feature store",
        "5. Train, backtest, register and promote",
        "6. Batch scoring as of",
        "7. Serve",
    ):
        assert step in result.output
    assert "promoted to champion: True (no champion yet" in result.output
    assert result.output.count("curl -s http://127.0.0.1:8000/") == 4
    assert "curl -s 'http://127.0.0.1:8000/v1/collections/actions?status=open'" in result.output
    assert '"customer_id": "NEW-0001"' in result.output  # a new customer's first order
    assert (
        "New customer NEW-0001, 10,000 on 30 days: approve_with_conditions; payment terms "
        "shortened from 30 to 0 days (policy rule new_customers.first_order); 100% prepayment, "
        "balance on delivery (policy rule new_customers.first_order)"
    ) in result.output
    assert ": refer; " in result.output
    assert "approve_with_conditions by risk (long relationship)" in result.output
    assert "Policies replayed on past deals (model arsight v" in result.output
    assert (tmp_path / "store" / "online.parquet").is_file()
    assert (tmp_path / "models" / "mlflow.db").is_file()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["2024-05-31", "2024-06-30"]
    # `arsight serve` with the same ARSIGHT_HOME and nothing else finds what the demo made.
    served = ServingSettings(_env_file=None, home=tmp_path)
    assert served.audit_url == f"sqlite:///{(tmp_path / 'audit' / 'audit.db').resolve()}"
    assert (tmp_path / "audit" / "audit.db").is_file()
    assert validate_directory(served.resolve(served.data_dir)).ok
