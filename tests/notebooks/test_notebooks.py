"""The three notebooks run end to end with papermill on a small synthetic world.

The kernel is "python3" from the project's venv: ipykernel installs its kernel spec into the
venv (`.venv/share/jupyter/kernels/python3`, argv `python -m ipykernel_launcher`), and
jupyter_client starts `python` as the interpreter running the tests, so nothing is installed
by hand. MLflow is a real SQLite store below tmp_path (the embedded store of `ARSIGHT_HOME`).
Committed notebooks must carry no outputs; `notebooks/strip_outputs.py` removes them.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mlflow
import nbformat
import pandas as pd
import papermill
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from features.build import build_feature_frame
from features.sources.synth import SynthConfig, synthesize_to_directory
from features.tables import data_end_of
from features.validate import load_valid_tables
from tests.conftest import fit_tiny_bundle
from training import tracking
from training.explain import explain_customer
from training.settings import TrainingSettings
from training.workflow import DEFAULT_DEFINITION, build_frame

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("01-explore", "02-retrain", "03-explain")
ENVIRONMENT = {
    "MPLBACKEND": "Agg",
    "ARSIGHT_MAX_ROUNDS": "40",  # small budget: the world is small and the test is timed
    "ARSIGHT_FOLD_SNAPSHOTS": "1",
}


def run(name: str, out_dir: Path, **parameters: object) -> nbformat.NotebookNode:
    """Execute notebooks/<name>.ipynb with papermill into `out_dir`; the executed notebook."""
    output = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(out_dir),
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def output_text(notebook: nbformat.NotebookNode, tag: str) -> str:
    """The text/plain result of the one cell tagged `tag`."""
    cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{len(cells)} cells tagged {tag}"
    results = [o for o in cells[0].outputs if o.output_type == "execute_result"]
    return "".join(results[-1]["data"]["text/plain"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 50-customer, 16-month world and the environment for the kernels."""
    root = tmp_path_factory.mktemp("notebooks")
    synthesize_to_directory(SynthConfig(customers=50, months=24, seed=5), root / "data", False)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        for key, value in ENVIRONMENT.items():
            patch.setenv(key, value)
        yield root


@pytest.fixture(scope="module")
def champion(world: Path) -> str:
    """A small real bundle registered as version 1 and made `champion` before retraining."""
    settings = TrainingSettings(_env_file=None, home=world / "home")
    store = tracking.open_store(settings)
    frame, _ = build_frame(load_valid_tables(world / "data"), None, DEFAULT_DEFINITION)
    bundle = fit_tiny_bundle(frame)
    with tracking.training_run(store, "seed-champion", {}) as run_id:
        version = tracking.register_bundle(
            store, run_id, bundle, "arsight", frame[bundle.feature_names].head(5), "seed champion"
        )
    tracking.promote(store, "arsight", version, "seed champion of the notebook test")
    return version


@pytest.fixture(scope="module")
def retrained(world: Path, champion: str) -> nbformat.NotebookNode:
    assert champion == "1"  # the comparison needs a champion to compare with
    out = world / "02"
    out.mkdir()
    return run(
        "02-retrain", out, data_dir=str(world / "data"), home=str(world / "home"),
        trials=1, promote=True,
    )  # fmt: skip


def test_kernel_is_the_venv_python() -> None:
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] in ("python", sys.executable)


def test_explore_runs_and_writes_the_rejects(world: Path) -> None:
    data = world / "dirty"
    shutil.copytree(world / "data", data)
    invoices = pd.read_parquet(data / "invoices.parquet")
    bad = invoices.head(1).assign(invoice_id="BAD-1", amount=-1.0)
    pd.concat([invoices, bad], ignore_index=True).to_parquet(data / "invoices.parquet")
    out = world / "01"
    out.mkdir()

    executed = run("01-explore", out, data_dir=str(data), rejects_dir=str(out / "rejects"))

    rejects = pd.read_csv(out / "rejects" / "invoices.csv", dtype=str)
    assert rejects[["invoice_id", "reason"]].to_dict("records") == [
        {"invoice_id": "BAD-1", "reason": "column amount, value '-1.0': must be > 0"}
    ]
    health = output_text(executed, "data-health")
    assert re.search(rf"invoices\s+{len(invoices) + 1}\s+{len(invoices)}\s+1\s", health)


def test_retrain_registers_a_challenger_and_compares_it_with_the_champion(
    world: Path, champion: str, retrained: nbformat.NotebookNode
) -> None:
    client = mlflow.MlflowClient(f"sqlite:///{(world / 'home' / 'models' / 'mlflow.db')}")

    assert str(client.get_model_version_by_alias("arsight", "challenger").version) == "2"
    note = output_text(retrained, "champion-note")
    assert note == "'champion recipe refitted on the same fold'"
    metrics = output_text(retrained, "metrics")
    header = r"\s+challenger\s+champion\s+customer_prior_late_share\s+points_scorecard\s+logistic"
    assert re.match(header, metrics)
    verdict = output_text(retrained, "verdict")
    served = client.get_model_version_by_alias("arsight", "champion")
    if verdict.startswith("'promoted: "):
        assert str(served.version) == "2"
        assert verdict == f"'promoted: {served.tags['promotion']}'"
    else:
        assert verdict.startswith("'not promoted: challenger AUC ")
        assert str(served.version) == champion
    credit = output_text(retrained, "credit-backtest")
    assert re.match(r"\s+auc\s+pr_auc\s+brier\s+ece\s+lift_top_decile\s+model\s", credit)
    assert "customer_prior_severe_share" in credit and "logistic" in credit
    ui = output_text(retrained, "mlflow-ui")
    assert f"mlflow ui --backend-store-uri sqlite:///{world / 'home' / 'models'}" in ui


def test_retrain_does_not_promote_unless_asked() -> None:
    source = nbformat.read(NOTEBOOKS / "02-retrain.ipynb", as_version=4)
    cell = next(c for c in source.cells if "parameters" in c.metadata.get("tags", []))
    defaults = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert defaults["promote"] is False


def test_explain_shows_the_customer_reasons_of_the_model(
    world: Path, retrained: nbformat.NotebookNode
) -> None:
    out = world / "03"
    out.mkdir()
    uri = "models:/arsight@challenger"
    assert retrained.metadata["papermill"]["exception"] is None

    executed = run(
        "03-explain", out, data_dir=str(world / "data"), home=str(world / "home"),
        model_uri=uri, customer_id="C000007",
    )  # fmt: skip

    bundle = tracking.load_model(
        tracking.open_store(TrainingSettings(_env_file=None, home=world / "home")), uri
    )
    tables = load_valid_tables(world / "data")
    features = build_feature_frame(tables, data_end_of(tables))
    row = features.loc[features["customer_id"] == "C000007", bundle.feature_names]
    expected = [r["feature"] for r in explain_customer(bundle, row, "delinquency").top(3)]
    shown = re.findall(r"'feature': '(\w+)'", output_text(executed, "top-reasons"))
    assert shown == expected
    assert output_text(executed, "chosen-customer").startswith("('C000007', ")


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.outputs for c in code] == [[]] * len(code)
    assert {c.execution_count for c in code} == {None}
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def test_strip_outputs_restores_the_committed_notebook(
    world: Path, retrained: nbformat.NotebookNode
) -> None:
    path = world / "stripped.ipynb"
    nbformat.write(retrained, path)
    script = [sys.executable, str(NOTEBOOKS / "strip_outputs.py")]

    check = subprocess.run([*script, "--check", str(path)], capture_output=True, text=True)
    strip = subprocess.run([*script, str(path)], capture_output=True, text=True)
    again = subprocess.run([*script, "--check", str(path)], capture_output=True, text=True)

    assert check.returncode == 1
    assert f"outputs present (run notebooks/strip_outputs.py): {path}" in check.stderr
    assert (strip.returncode, again.returncode) == (0, 0)
    stripped = nbformat.read(path, as_version=4)
    committed = nbformat.read(NOTEBOOKS / "02-retrain.ipynb", as_version=4)
    assert [c.source for c in stripped.cells] == [c.source for c in committed.cells]
    assert all(c.outputs == [] for c in stripped.cells if c.cell_type == "code")
