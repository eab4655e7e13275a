"""/metrics stays small whatever callers send: known methods and route templates only
(issue 15, item 5)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from serving.metrics import request_method


def _series(text: str) -> list[str]:
    return [
        line.split(" ")[0]
        for line in text.splitlines()
        if line.startswith("arsight_request_duration_seconds_count{")
    ]


def test_invented_methods_and_paths_add_no_series(client: TestClient) -> None:
    for n in range(60):
        client.request(f"XM{n:04d}", "/healthz")
        client.get(f"/nothing/{n}")
        client.request(f"XM{n:04d}", f"/nothing/{n}")
    text = client.get("/metrics").text
    assert "XM00" not in text and "/nothing" not in text
    assert sorted(_series(text)) == [
        'arsight_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
        'arsight_request_duration_seconds_count{method="other",route="/healthz",status="405"}',
        'arsight_request_duration_seconds_count{method="other",route="unmatched",status="404"}',
    ]
    assert len(text.encode()) < 20_000


def test_known_methods_keep_their_name() -> None:
    assert [request_method(m) for m in ("GET", "POST", "HEAD", "get", "XM0001", "")] == [
        "GET",
        "POST",
        "HEAD",
        "other",
        "other",
        "other",
    ]
