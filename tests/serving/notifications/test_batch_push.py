"""The nightly job pushes its early warnings and new actions; a rerun pushes nothing again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import SecretStr

from serving.batch.job import run_batch
from serving.notifications.delivery import SIGNATURE_HEADER, signature
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401
from tests.serving.notifications.receiver import receiver


def test_the_job_pushes_each_event_once_across_reruns(two_runs: TwoRuns, tmp_path: Path) -> None:
    with receiver([500]) as hook_server:
        settings = two_runs.private_settings(tmp_path).model_copy(
            update={
                "webhook_url": hook_server.url,
                "webhook_secret": SecretStr("s3cret"),
                "webhook_backoff_seconds": 0.0,
            }
        )
        results = []
        for as_of in (two_runs.first_as_of, two_runs.second_as_of):
            out = tmp_path / "runs" / as_of.date().isoformat() / "scores.parquet"
            results.append(run_batch(two_runs.request(as_of, out), settings))
        forced = two_runs.request(two_runs.second_as_of, results[1].paths.scores, force=True)
        rerun = run_batch(forced, settings)
    for call in hook_server.calls:
        assert call.headers[SIGNATURE_HEADER] == signature("s3cret", call.body)
    assert hook_server.calls[0].answered == 500
    accepted = hook_server.accepted_ids()
    assert len(accepted) == len(set(accepted))  # the 500 was retried, nothing arrived twice
    second = results[1].paths
    alerts = pd.read_parquet(second.alerts)
    actions = pd.read_parquet(second.actions)
    new_today = actions[actions["planned_on"] == two_runs.second_as_of]
    expected = {f"early_warning:{two_runs.second_as_of.date()}:{c}" for c in alerts["customer_id"]}
    expected |= {f"collections_action:{a}" for a in new_today["action_id"]}
    assert expected <= set(accepted)
    assert rerun.notifications is not None
    assert (rerun.notifications.delivered, rerun.notifications.requests) == (0, 0)
    assert results[0].notifications is not None and results[0].notifications.dead == 0
