"""`arsight policy backtest`: what a policy (or two) would have decided on past deals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

policy_app = typer.Typer(help="Risk policy tools: replay a policy over past deals.")


@policy_app.command("backtest")
def backtest(
    directory: Annotated[Path, typer.Argument(help="Data directory with a deals table.")],
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
    end: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
    policy: Annotated[
        Path | None, typer.Option(help="Policy YAML (default: the configured one).")
    ] = None,
    compare: Annotated[Path | None, typer.Option(help="A second policy to compare.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write every deal's decisions (.csv).")] = None,
) -> None:
    """Replay the policy over the deals created in the months chosen: how many it would have
    approved, conditioned, referred or declined, the sales referred or declined, and the late
    and 90+ amounts that followed those deals (so would have been avoided); side by side for
    two policies. The customer is scored at the month end before each deal with the served
    champion (the same model for every month, said in the output).

    Exit codes: 0 done, 2 bad input (data, policy, dates), 3 registry unavailable.

    Example: arsight policy backtest data --from 2025-01 --to 2025-12 --compare strict.yaml
    """
    import pandas as pd

    from features.errors import FeaturesError
    from features.validate import load_valid_tables
    from serving.batch.champion import load_model
    from serving.batch.types import BatchError
    from serving.errors import PolicyError
    from serving.policy import load_policy
    from serving.policy_backtest import policy_backtest
    from serving.settings import get_serving_settings

    console = Console()
    settings = get_serving_settings()
    try:
        first = pd.Period(start, freq="M").start_time - pd.Timedelta(days=1)
        last = pd.Period(end, freq="M").end_time.normalize()
        policies = {"policy": load_policy(policy or settings.policy)}
        if compare is not None:
            policies["compare"] = load_policy(compare)
        tables = load_valid_tables(directory)
        champion = load_model(settings)
    except (ValueError, PolicyError, FeaturesError) as exc:
        console.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    except BatchError as exc:
        console.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(int(exc.exit_code)) from exc
    comparison, deals = policy_backtest(tables, champion.bundle, policies, first, last)
    console.print(comparison_table(comparison, f"{champion.ref.name} v{champion.ref.version}"))
    if out is not None:
        deals.to_csv(out, index=False)


def comparison_table(comparison: pd.DataFrame, model: str) -> Table:
    """The policies side by side, one row per figure."""
    table = Table(
        title=f"Policies replayed on past deals (model {model}, the champion, for every month)"
    )
    table.add_column("")
    for name in comparison["policy"]:
        table.add_column(str(name), justify="right")
    for column in comparison.columns[1:]:
        values = comparison[column].tolist()
        table.add_row(str(column).replace("_", " "), *(f"{v:,.0f}" for v in values))
    return table
