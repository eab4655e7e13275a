"""The hot-swappable pair the server answers from: champion bundle + online store, pre-scored.

A `Served` snapshot is immutable and complete (model, store, policy, every customer's scores
and reasons). Requests take one reference to the current snapshot and use only it, so a swap
(one attribute assignment, atomic in Python) never mixes a new model with an old store inside
a request, and in-flight requests finish on the snapshot they started with.

`refresh` builds a new snapshot when the alias points at a new version or the store's version
token changed, checks that model and store agree, and swaps. Whatever goes wrong, the last
good snapshot keeps serving and the problem is kept for /readyz.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import pandas as pd

from features.catalog import FEATURES
from features.errors import StoreError
from features.store import OnlineStore, read_online_store, store_version
from models.bundle import ModelBundle
from models.errors import ModelError
from serving.errors import ConsistencyError, ModelLoadError, ModelNotReadyError, ServingError
from serving.metrics import ServingMetrics
from serving.model_loader import ModelRef, ModelSource
from serving.policy import Policy
from serving.scoring import build_reason_context, score_frame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One consistent (model, store, policy) triple with every customer scored."""

    ref: ModelRef
    bundle: ModelBundle
    store: OnlineStore
    store_token: str
    policy: Policy
    scores: dict[str, dict[str, Any]]
    no_features: frozenset[str]
    loaded_at: datetime
    deal_context: dict[str, DealContext] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    """Memo of built API answers per customer (they never change within a snapshot)."""

    @property
    def features_as_of(self) -> date:
        return pd.Timestamp(self.store.features_as_of).date()


@dataclass(frozen=True)
class DealContext:
    """What a deal decision reads from the store besides the score."""

    open_amount: float
    credit_limit: float | None
    segment: str | None


def deal_contexts(frame: pd.DataFrame, policy: Policy) -> dict[str, DealContext]:
    """Open amount (null: nothing open), credit limit and segment per customer, once per load."""
    names = policy.context
    open_amount = pd.to_numeric(frame[names.open_amount], errors="coerce").fillna(0.0)
    limit = pd.to_numeric(frame[names.credit_limit], errors="coerce")
    segment = frame[names.segment]
    return {
        str(c): DealContext(
            float(a), None if math.isnan(lim) else float(lim), s if isinstance(s, str) else None
        )
        for c, a, lim, s in zip(frame.index, open_amount, limit, segment, strict=True)
    }


@dataclass
class ServingState:
    """The current snapshot plus the problems /readyz reports."""

    served: Served | None = None
    problems: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_problem(self, kind: str, text: str) -> None:
        """Record a problem for /readyz; copy-on-write, so readers never see a dict change."""
        self.problems = {**self.problems, kind: text}

    def clear_problem(self, *kinds: str) -> None:
        """Forget problems of these kinds (copy-on-write)."""
        self.problems = {k: v for k, v in self.problems.items() if k not in kinds}

    def current(self) -> Served:
        """The snapshot to answer from; ModelNotReadyError (503) before the first one."""
        served = self.served
        if served is None:
            why = "; ".join(self.problems.values()) or "model and online store are loading"
            raise ModelNotReadyError(f"not ready: {why}")
        return served


def check_consistent(ref: ModelRef, bundle: ModelBundle, store: OnlineStore) -> None:
    """Refuse a model whose feature list or pipeline differs from the store's, naming them."""
    model, stored = set(bundle.feature_names), set(store.feature_names)
    if model != stored:
        raise ConsistencyError(
            f"model {ref.name} v{ref.version} refused: its features differ from the online "
            f"store's: only in the model {sorted(model - stored)}, "
            f"only in the store {sorted(stored - model)}"
        )
    if str(bundle.pipeline_version) != str(store.pipeline_version):
        raise ConsistencyError(
            f"model {ref.name} v{ref.version} refused: feature pipeline "
            f"{bundle.pipeline_version} differs from the online store's {store.pipeline_version}"
        )


def build_served(
    ref: ModelRef, bundle: ModelBundle, store: OnlineStore, token: str, policy: Policy, top_k: int
) -> Served:
    """Check the pair and score every customer of the store that has features."""
    check_consistent(ref, bundle, store)
    policy.check_columns(store.frame.columns)
    frame = store.frame
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    empty = frame[numeric].isna().all(axis=1)
    catalog = {s.name: (s.definition, s.unit, s.kind) for s in FEATURES}
    context = build_reason_context(frame, bundle, policy, catalog, top_k)
    scored = score_frame(frame.loc[~empty], bundle, policy, context)
    scores = scored.to_dict(orient="index")
    return Served(
        ref=ref,
        bundle=bundle,
        store=store,
        store_token=token,
        policy=policy,
        scores={str(k): cast(dict[str, Any], v) for k, v in scores.items()},
        no_features=frozenset(str(c) for c in frame.index[empty]),
        loaded_at=datetime.now(UTC),
        deal_context=deal_contexts(frame, policy),
    )


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


def _resolve(state: ServingState, source: ModelSource) -> ModelRef | None:
    try:
        ref = source.resolve()
    except ModelLoadError as exc:
        served = state.served
        last_good = f"; serving last good {served.ref.uri}" if served is not None else ""
        state.set_problem("registry", f"{exc}{last_good}")
        return served.ref if served is not None else None
    state.clear_problem("registry")
    return ref


def refresh(
    state: ServingState,
    source: ModelSource,
    store_location: str,
    policy: Policy,
    top_k: int,
    metrics: ServingMetrics,
    freeze_heap: bool = True,
) -> bool:
    """Swap in a newer champion or store if there is one; True when a swap happened.

    With `freeze_heap`, a swap ends with `settle_heap` (see there).
    """
    with state.lock:
        ref = _resolve(state, source)
        if ref is None:  # no model yet: still report a missing store, so both show at once
            try:
                store_version(store_location)
            except StoreError as exc:
                state.set_problem("load", str(exc))
            return False
        old = state.served
        try:
            token = store_version(store_location)
            if old is not None and old.ref == ref and old.store_token == token:
                state.clear_problem("consistency", "load")  # what is served is what is there
                return False
            same_model = old is not None and old.ref == ref
            bundle = old.bundle if same_model else source.load(ref)  # type: ignore[union-attr]
            same_store = old is not None and old.store_token == token
            store = old.store if same_store else read_online_store(store_location)  # type: ignore[union-attr]
            served = build_served(ref, bundle, store, token, policy, top_k)
        except (ServingError, StoreError, ModelError, OSError) as exc:
            kind = "consistency" if isinstance(exc, ConsistencyError) else "load"
            state.set_problem(kind, str(exc))
            metrics.reloads.labels(outcome=f"refused_{kind}").inc()
            logger.error("reload refused: %s", exc)
            return False
        state.served = served
        state.clear_problem("consistency", "load")
        if freeze_heap:
            settle_heap()
        metrics.reloads.labels(outcome="swapped").inc()
        metrics.serving(ref.name, ref.version, str(bundle.pipeline_version))
        logger.info("serving %s with store as of %s", ref.uri, served.features_as_of)
        return True


CYCLE_PROBLEM = "refresh"
"""The /readyz problem kind of an unexpected refresh failure (see `report_cycle_error`)."""


class Poller:
    """Runs `action` every `interval` seconds on a daemon thread until `stop`.

    `refresh` turns every failure it expects (registry, store, consistency) into a problem on
    /readyz. Anything else raised by a cycle (a bug, a library error nobody anticipated) goes to
    `on_error`, which the app uses to report it on /readyz as well, and polling goes on: one bad
    cycle must not end hot reloads while the last good model keeps serving.
    """

    def __init__(
        self,
        interval: float,
        action: Callable[[], object],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.interval = interval
        self.action = action
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="arsight-refresh", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> None:
        """One cycle; an unexpected error is logged with its traceback and handed to on_error."""
        try:
            self.action()
        except Exception as exc:  # noqa: BLE001 - reported on /readyz by on_error, not swallowed
            logger.exception("refresh cycle failed")
            self.on_error(exc)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def report_cycle_error(state: ServingState, metrics: ServingMetrics, exc: Exception) -> None:
    """Show an unexpected refresh failure on /readyz (degraded while the last good pair serves).

    The problem stays until a cycle completes (`clear_cycle_error`), so /readyz does not flip
    back to ready while a failing cycle is being retried.
    """
    with state.lock:
        state.set_problem(CYCLE_PROBLEM, f"refresh cycle failed: {type(exc).__name__}: {exc}")
    metrics.reloads.labels(outcome="failed").inc()


def clear_cycle_error(state: ServingState) -> None:
    """A cycle completed: forget an earlier unexpected failure."""
    with state.lock:
        state.clear_problem(CYCLE_PROBLEM)
