"""Policy what-if: past deals replayed under two policies, and the ledger's verdict on them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from serving.policy import load_policy
from serving.policy_backtest import followed_by, policy_backtest, summary
from serving.settings import get_serving_settings
from tests.features.builders import invoice, make_tables
from tests.serving.batch_fixtures import world_dir_fixture  # noqa: F401
from tests.serving.conftest import Registry

DEFAULT = load_policy()


def strict_policy(tmp_path: Path) -> Path:
    """The default policy, but every tier but green is referred."""
    text = (Path(__file__).parents[2] / "serving" / "policy_default.yaml").read_text()
    text = text.replace("  refer_tiers: [red]", "  refer_tiers: [yellow, orange, red]")
    path = tmp_path / "strict.yaml"
    path.write_text(text)
    return path


def test_the_invoices_that_followed_a_deal_and_went_late() -> None:
    tables = make_tables(
        [{"customer_id": "A"}],
        [
            invoice("I1", "A", "2026-01-10", "2026-02-09", 100.0, "2026-03-20"),  # 39 days late
            invoice("I2", "A", "2026-01-20", "2026-02-19", 200.0, "2026-02-25"),  # 6 days late
            invoice("I3", "A", "2026-02-20", "2026-03-22", 400.0),  # open after the window
            invoice("I4", "A", "2025-12-01", "2025-12-31", 800.0),  # before the deal
            invoice("I9", "A", "2026-06-30", "2026-07-30", 1.0, "2026-07-30"),  # data end
        ],
    )
    deals = pd.DataFrame({"customer_id": ["A"], "created_date": [pd.Timestamp("2026-01-05")]})
    assert followed_by(tables, deals, 30).tolist() == [100.0]
    assert followed_by(tables, deals, 90).tolist() == [0.0]


def two_deals_and_a_lost_one() -> tuple[Tables, pd.DataFrame]:
    tables = make_tables(
        [{"customer_id": "A"}],
        [
            invoice("I1", "A", "2026-01-10", "2026-02-09", 100.0, "2026-03-20"),  # 39 late: D1
            invoice("I2", "A", "2026-01-20", "2026-02-19", 200.0, "2026-03-31"),  # 40 late: D2
            invoice("I3", "A", "2026-02-10", "2026-03-12", 400.0, "2026-04-30"),  # 49 late: D2
            invoice("I9", "A", "2026-06-30", "2026-07-30", 1.0, "2026-07-30"),  # data end
        ],
    )
    deals = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A"],
            "created_date": pd.to_datetime(["2026-01-05", "2026-01-15", "2026-01-18"]),
            "amount": [1_000.0, 2_000.0, 4_000.0],
            "stage": ["won", "won", "lost"],
        },
        index=["D1", "D2", "D3"],
    )
    return tables, deals


def test_each_late_invoice_is_given_to_one_deal_and_lost_deals_get_none() -> None:
    tables, deals = two_deals_and_a_lost_one()
    late = followed_by(tables, deals, 30)
    assert late.to_dict() == {"D1": 100.0, "D2": 600.0, "D3": 0.0}
    assert late.sum() == 700.0  # every late invoice once, though all three deals precede I2


def test_a_refused_lost_deal_gives_up_no_sales() -> None:
    tables, deals = two_deals_and_a_lost_one()
    deals = deals.assign(late_30=followed_by(tables, deals, 30), late_90=0.0)
    decisions = pd.Series({"D1": "approve", "D2": "refer", "D3": "decline"})
    assert summary("strict", deals, decisions) == {
        "policy": "strict",
        "deals": 3,
        "approve": 1,
        "approve_with_conditions": 0,
        "refer": 1,
        "decline": 1,
        "lost_deals": 1,
        "sales_referred_or_declined": 2_000.0,  # D2 only: D3 was never sold
        "late_amount_avoided": 600.0,
        "over_90_amount_avoided": 0.0,
    }


def test_two_policies_side_by_side(world: Tables, tiny_bundle: ModelBundle, tmp_path: Path) -> None:
    end = data_end_of(world).normalize()
    start = end - pd.DateOffset(months=6)
    strict = load_policy(strict_policy(tmp_path))
    comparison, deals = policy_backtest(
        world, tiny_bundle, {"default": DEFAULT, "strict": strict}, start, end
    )
    rows = comparison.set_index("policy")
    assert rows.loc["default", "deals"] == rows.loc["strict", "deals"] > 0
    for name in ("default", "strict"):
        decided = rows.loc[name, ["approve", "approve_with_conditions", "refer", "decline"]]
        assert decided.sum() == rows.loc[name, "deals"]
        refused = deals[f"decision_{name}"].isin(["refer", "decline"])
        sold = refused & (deals["stage"] != "lost") if "stage" in deals else refused
        assert rows.loc[name, "sales_referred_or_declined"] == deals.loc[sold, "amount"].sum()
        assert rows.loc[name, "late_amount_avoided"] == deals.loc[refused, "late_30"].sum()
    assert (
        rows.loc["strict", ["refer", "decline"]].sum()
        >= rows.loc["default", ["refer", "decline"]].sum()
    )
    assert rows.loc["strict", "late_amount_avoided"] >= rows.loc["default", "late_amount_avoided"]


def test_the_command_prints_the_comparison(
    world_dir: Path, registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARSIGHT_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.uri)
    get_serving_settings.cache_clear()
    strict, out = str(strict_policy(tmp_path)), str(tmp_path / "deals.csv")
    args = ["policy", "backtest", str(world_dir), "--from", "2024-01", "--to", "2024-03",
            "--compare", strict, "--out", out]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    get_serving_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Policies replayed on past deals (model arsight v" in result.output
    assert "late amount avoided" in result.output
    assert (tmp_path / "deals.csv").is_file()
    bad = CliRunner().invoke(app, [*args[:4], "2024-13", "--to", "2024-03"])
    assert bad.exit_code == 2
