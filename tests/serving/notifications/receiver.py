"""A local webhook receiver that answers from a script: a status, or "timeout" (no answer in
time), then 200 for every call after the script runs out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    body: bytes
    headers: dict[str, str]
    answered: int | str

    @property
    def event_ids(self) -> list[str]:
        return [e["event_id"] for e in json.loads(self.body)["events"]]


@dataclass
class Receiver:
    url: str
    script: list[int | str]
    calls: list[Call] = field(default_factory=list)
    hang_seconds: float = 1.0

    def accepted_ids(self) -> list[str]:
        """Event ids of every call answered 2xx, in order (duplicates kept)."""
        return [i for c in self.calls if c.answered == 200 for i in c.event_ids]


@contextmanager
def receiver(script: list[int | str]) -> Iterator[Receiver]:
    """A receiver on a free local port, answering `script` in order."""
    state = Receiver("", list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                answer = state.script.pop(0) if state.script else 200
                state.calls.append(Call(body, dict(self.headers), answer))
            if answer == "timeout":
                time.sleep(state.hang_seconds)
                answer = 200
            self.send_response(int(answer))
            self.end_headers()
            self.wfile.write(b"ok" if answer == 200 else b"receiver failed")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
