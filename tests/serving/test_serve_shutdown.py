"""`arsight serve` as a real process: Ctrl-C (SIGINT) ends it cleanly, with nothing leaked."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.serving.conftest import KEYS, Registry

ARSIGHT = Path(sys.executable).with_name("arsight")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, process: subprocess.Popen[bytes], limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, "arsight serve exited before it was ready"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("arsight serve not ready in time")


def test_ctrl_c_stops_the_server_without_leak_reports(
    tmp_path: Path, store_path: Path, registry: Registry
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ARSIGHT_HOME": str(tmp_path),
        "ARSIGHT_ONLINE_STORE": str(store_path),
        "MLFLOW_TRACKING_URI": registry.uri,
        "ARSIGHT_API_KEYS": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "ARSIGHT_PORT": str(port),
        "ARSIGHT_POLL_SECONDS": "0",
    }
    process = subprocess.Popen(
        [str(ARSIGHT), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_ready(port, process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"nanobind" not in stderr and b"leaked" not in stderr, stderr.decode()[-2000:]


def test_library_warnings_are_json_lines_too() -> None:
    """MLflow's own multi-line warnings (a failed registry poll) come out as one JSON line."""
    script = (
        "import logging\n"
        "from serving.app import configure_json_logging\n"
        "configure_json_logging()\n"
        "logging.getLogger('mlflow.store.db.utils').warning("
        "'SQLAlchemy engine could not be created.\\nTraceback (most recent call last):\\n  x')\n"
        "logging.getLogger('serving.refresher').error('reload refused: %s', 'no store')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stderr.splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("mlflow.store.db.utils", "WARNING"),
        ("serving.refresher", "ERROR"),
    ]
    assert records[0]["message"].startswith("SQLAlchemy engine could not be created.\nTraceback")
