"""Keeping the served snapshot current: first load, the poll loop, swaps and /readyz problems.

A `Refresher` owns everything that changes while the server runs: the current `Served`
snapshot, the problems /readyz reports and the daemon thread that polls. Each cycle asks the
registry which version the alias points at and the store for its version token; when either
changed it builds a new snapshot (`serving.snapshot.build_served`: consistency check and
pre-scoring), swaps it in with one assignment and, optionally, settles the heap. Whatever goes
wrong, the last good snapshot keeps serving and the problem is kept for /readyz:

- a registry that cannot say -> problem `registry`, last good model kept;
- a store or model that cannot be read, or that disagree -> problem `load` or `consistency`;
- anything unexpected (a bug, an unanticipated library error) -> problem `refresh`, kept until
  a cycle completes, and polling goes on: one bad cycle must not end hot reloads.

Problems are replaced copy-on-write, so a reader never sees a dict change under it.
"""

from __future__ import annotations

import gc
import logging
import threading

import pandas as pd

from features.errors import StoreError
from features.invoice_store import read_invoice_store
from features.store import OnlineStore, read_online_store, store_version
from models.errors import ModelError
from serving.deadline import Deadline
from serving.errors import ConsistencyError, ModelLoadError, ModelNotReadyError, ServingError
from serving.metrics import ServingMetrics
from serving.model_loader import ModelRef, ModelSource
from serving.policy import Policy
from serving.snapshot import Served, build_served

logger = logging.getLogger(__name__)

CYCLE_PROBLEM = "refresh"
"""The /readyz problem kind of an unexpected refresh failure."""


def settle_heap() -> None:
    """Collect once, then exclude every surviving object from future garbage collections.

    After loading, the process holds about half a million long-lived objects (MLflow, LightGBM,
    pandas, the pre-scored snapshot); a full collection over them took 0.6 s on the loaded
    benchmark machine and, triggered by request allocations, made the p99 latency. Frozen
    objects are skipped by the collector (refcounting still frees them); each swap unfreezes,
    collects the old snapshot's cycles and freezes again, one pause per reload instead of
    one every few thousand requests.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Refresher:
    """The current snapshot of one app and the loop that keeps it current (module docstring).

    Args:
        source: the registry alias to serve.
        store_location: the online store (path or database URL).
        policy: the risk policy every snapshot is tiered with.
        top_k: reasons kept per output.
        metrics: the app's metrics (reload outcomes, the served version).
        interval: seconds between polls; 0 disables the thread (`refresh` by hand).
        freeze_heap: end each swap with `settle_heap`.
        store_timeout_seconds: deadline of one store call (a database store may hang); the
            registry's deadlines are the source's.
    """

    def __init__(
        self,
        source: ModelSource,
        store_location: str,
        policy: Policy,
        top_k: int,
        metrics: ServingMetrics,
        *,
        interval: float = 0.0,
        freeze_heap: bool = True,
        store_timeout_seconds: float = 60.0,
    ) -> None:
        self.source = source
        self.store_location = store_location
        self.policy = policy
        self.top_k = top_k
        self.metrics = metrics
        self.interval = interval
        self.freeze_heap = freeze_heap
        self._store_deadline = Deadline(store_timeout_seconds)
        self.served: Served | None = None
        self.problems: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> Served:
        """The snapshot to answer from; ModelNotReadyError (503) before the first one."""
        served = self.served
        if served is None:
            why = "; ".join(self.problems.values()) or "model and online store are loading"
            raise ModelNotReadyError(f"not ready: {why}")
        return served

    def set_problem(self, kind: str, text: str) -> None:
        """Record a problem for /readyz (copy-on-write)."""
        self.problems = {**self.problems, kind: text}

    def clear_problem(self, *kinds: str) -> None:
        """Forget problems of these kinds (copy-on-write)."""
        self.problems = {k: v for k, v in self.problems.items() if k not in kinds}

    def refresh(self) -> bool:
        """One cycle: swap in a newer champion or store if there is one; True on a swap.

        A cycle that completes (swapped or not) clears an earlier unexpected failure.
        """
        with self._lock:
            swapped = self._refresh_locked()
            self.clear_problem(CYCLE_PROBLEM)
        return swapped

    def _resolve(self) -> ModelRef | None:
        """The alias's version now; on a registry failure, the served one (None before any)."""
        try:
            ref = self.source.resolve()
        except ModelLoadError as exc:
            served = self.served
            last_good = f"; serving last good {served.ref.uri}" if served is not None else ""
            self.set_problem("registry", f"{exc}{last_good}")
            return served.ref if served is not None else None
        self.clear_problem("registry")
        return ref

    def _read_stores(self) -> tuple[OnlineStore, pd.DataFrame | None]:
        """The online store and the invoice store beside it, each within the store deadline."""
        store = self._store_deadline.run(
            "store",
            f"online store {self.store_location}",
            lambda: read_online_store(self.store_location),
        )
        invoices = self._store_deadline.run(
            "store",
            f"invoice store beside {self.store_location}",
            lambda: read_invoice_store(self.store_location),
        )
        return store, invoices

    def _store_token(self) -> str:
        """The store's version token, under the store deadline."""
        what = f"online store {self.store_location}"
        return self._store_deadline.run("store", what, lambda: store_version(self.store_location))

    def _refresh_locked(self) -> bool:
        ref = self._resolve()
        if ref is None:  # no model yet: still report a missing store, so both show at once
            try:
                self._store_token()
            except (StoreError, ServingError) as exc:
                self.set_problem("load", str(exc))
            return False
        old = self.served
        try:
            token = self._store_token()
            if old is not None and old.ref == ref and old.store_token == token:
                self.clear_problem("consistency", "load")  # what is served is what is there
                return False
            bundle = old.bundle if old is not None and old.ref == ref else self.source.load(ref)
            if old is not None and old.store_token == token:
                store, invoices = old.store, old.invoice_rows
            else:
                store, invoices = self._read_stores()
            served = build_served(ref, bundle, store, token, self.policy, self.top_k, invoices)
        except (ServingError, StoreError, ModelError, OSError) as exc:
            kind = "consistency" if isinstance(exc, ConsistencyError) else "load"
            self.set_problem(kind, str(exc))
            self.metrics.reloads.labels(outcome=f"refused_{kind}").inc()
            logger.error("reload refused: %s", exc)
            return False
        self.served = served
        self.clear_problem("consistency", "load")
        if self.freeze_heap:
            settle_heap()
        self.metrics.reloads.labels(outcome="swapped").inc()
        self.metrics.serving(ref.name, ref.version, str(bundle.pipeline_version))
        logger.info("serving %s with store as of %s", ref.uri, served.features_as_of)
        return True

    def run_once(self) -> None:
        """One cycle of the poll loop; an unexpected error is logged and shown on /readyz."""
        try:
            self.refresh()
        except Exception as exc:  # noqa: BLE001 - reported on /readyz, not swallowed
            logger.exception("refresh cycle failed")
            self.report_cycle_error(exc)

    def report_cycle_error(self, exc: Exception) -> None:
        """Show an unexpected failure on /readyz until a cycle completes; count it."""
        with self._lock:
            self.set_problem(CYCLE_PROBLEM, f"refresh cycle failed: {type(exc).__name__}: {exc}")
        self.metrics.reloads.labels(outcome="failed").inc()

    def start(self) -> None:
        """Poll every `interval` seconds on a daemon thread (nothing when interval is 0)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="arsight-refresh", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def stop(self) -> None:
        """End the poll loop (waits up to 10 s for a cycle in progress); thaw the heap.

        Objects frozen by `settle_heap` are never collected, so at interpreter exit DuckDB's
        bindings would report each as leaked (dozens of "nanobind: leaked" lines on Ctrl-C);
        unfreezing at shutdown lets them be freed normally.
        """
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)
        self._thread = None
        if self.freeze_heap:
            gc.unfreeze()
