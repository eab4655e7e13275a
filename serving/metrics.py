"""Prometheus metrics of one app instance, in its own registry.

A registry per app (not prometheus_client's global one) lets tests and benchmarks create
several apps in one process without "duplicated timeseries" errors.

Every label value comes from a bounded set, so no caller can grow /metrics: the request
method is one of HTTP's nine standard methods or `other` (an invented `XM0000` is `other`),
the route is the matched route template (`/v1/customers/{customer_id}`, never the id) or
`unmatched`, the status a three-digit code. Tiers, endpoints, decisions and reload outcomes
are fixed by the code; model versions grow by one per swap.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Buckets from 0.5 ms: the scoring target is p50 <= 5 ms, p99 <= 15 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
METHODS = frozenset("GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH".split())
OTHER = "other"


def request_method(method: str) -> str:
    """The method's label: a standard HTTP method as is, anything else `other`."""
    return method if method in METHODS else OTHER


class ServingMetrics:
    """Request latency by route, scores by tier, served model version, audit failures."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "arsight_request_duration_seconds",
            "Request latency by route template, method and status code.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scores = Counter(
            "arsight_scores",
            "Scores served by risk tier and endpoint.",
            ["tier", "endpoint"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "arsight_deal_decisions",
            "Deal decisions served by decision.",
            ["decision"],
            registry=self.registry,
        )
        self.model = Gauge(
            "arsight_model_info",
            "The served model: 1 for the version in service, 0 for versions served before.",
            ["name", "version", "pipeline_version"],
            registry=self.registry,
        )
        self.audit_failures = Counter(
            "arsight_audit_write_failures",
            "Audit rows that could not be written (their requests answered 503).",
            registry=self.registry,
        )
        self.reloads = Counter(
            "arsight_reloads",
            "Model or store swaps, and refused or failed reload attempts.",
            ["outcome"],
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Record one request's latency under bounded labels (see the module docstring)."""
        code = str(status) if 100 <= status <= 599 else OTHER
        self.latency.labels(route, request_method(method), code).observe(seconds)

    def serving(self, name: str, version: str, pipeline_version: str) -> None:
        """Mark `name` `version` as the one in service."""
        for sample in list(self.model.collect())[0].samples:
            self.model.labels(**sample.labels).set(0)
        self.model.labels(name=name, version=version, pipeline_version=pipeline_version).set(1)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
