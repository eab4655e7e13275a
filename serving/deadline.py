"""Calls that may hang, given a deadline: registry and store calls of the refresher.

A registry or database that accepts a connection and never answers would block a plain call
forever (a poll thread stuck, /readyz still "ready", a server that never binds). `Deadline.run`
runs the call on a daemon thread and waits at most `seconds`; past that it raises
`NotAnsweringError` and remembers the call, which keeps running in the background (a thread
cannot be killed). While it is still running, further calls of the same kind are not started
(no pile-up of stuck threads) and fail at once; once it returns, the next call goes through
again. Messages say for how long the service has not answered: since the first call of the
current outage timed out (a success ends the outage).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from serving.errors import NotAnsweringError

T = TypeVar("T")


@dataclass
class _Call(Generic[T]):
    """One call on its own thread: its result or error once done."""

    started: float
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class Deadline:
    """At most one call in flight per kind, each waited for at most `seconds`.

    Args:
        seconds: how long a call may take before it counts as not answering.
        clock: monotonic clock (seconds), for tests.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._stuck: dict[str, _Call[object]] = {}
        self._silent_since: dict[str, float] = {}
        self._lock = threading.Lock()

    def _not_answering(self, kind: str, what: str) -> NotAnsweringError:
        waited = self.clock() - self._silent_since.setdefault(kind, self.clock() - self.seconds)
        return NotAnsweringError(f"{what} not answering for {waited:.0f} s")

    def run(self, kind: str, what: str, call: Callable[[], T]) -> T:
        """`call()`'s result; NotAnsweringError naming `what` if it takes over `seconds`.

        Exceptions raised by `call` are raised here unchanged.
        """
        with self._lock:
            stuck = self._stuck.get(kind)
            if stuck is not None and not stuck.done.is_set():
                raise self._not_answering(kind, what)
            self._stuck.pop(kind, None)
        pending: _Call[T] = _Call(started=self.clock())
        thread = threading.Thread(
            target=self._work, args=(pending, call), name=f"arsight-{kind}", daemon=True
        )
        thread.start()
        if not pending.done.wait(self.seconds):
            with self._lock:
                self._stuck[kind] = pending  # type: ignore[assignment]
                raise self._not_answering(kind, what)
        with self._lock:
            self._silent_since.pop(kind, None)  # it answered (perhaps with an error)
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    @staticmethod
    def _work(pending: _Call[T], call: Callable[[], T]) -> None:
        try:
            pending.result = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            pending.error = exc
        finally:
            pending.done.set()
