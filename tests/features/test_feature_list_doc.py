"""docs/feature-list.md is the output of `arsight features list --markdown`, kept in step."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from arsight.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "feature-list.md"


def test_feature_list_doc_equals_the_command_output() -> None:
    result = CliRunner().invoke(app, ["features", "list", "--markdown"])
    assert result.exit_code == 0
    table = DOC.read_text().split("\n\n", 2)[2]
    assert table == result.output, (
        "docs/feature-list.md is stale: regenerate it with `arsight features list --markdown`"
    )
