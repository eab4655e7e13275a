"""`arsight serve` as a real process: Ctrl-C (SIGINT) ends it cleanly, with nothing leaked."""

from __future__ import annotations

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
