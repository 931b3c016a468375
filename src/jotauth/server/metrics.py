"""Prometheus metrics of one auth-server app, in a registry owned by that app (no globals).

A module-level default registry would make two apps in one process (tests, a bench
harness) share and double-count series, so each :func:`create_app` builds its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Histogram children kept at hand by RequestMetrics (more are looked up each time).
_MAX_CACHED_SERIES = 512
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServerMetrics:
    """Counters and latency histograms of the auth server."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.logins = Counter(
            "jotauth_logins_total",
            "Login attempts by outcome (success, mfa_required, invalid_credentials, throttled, "
            "error).",
            ["outcome"],
            registry=self.registry,
        )
        self.refreshes = Counter(
            "jotauth_refreshes_total",
            "Refresh attempts by outcome (success, grace, reused, expired, revoked, error).",
            ["outcome"],
            registry=self.registry,
        )
        self.failures = Counter(
            "jotauth_failures_total",
            "Error responses by problem code.",
            ["code"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "jotauth_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route", "status_class"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.key_rotations = Counter(
            "jotauth_key_rotations_total",
            "Signing-key lifecycle transitions performed by this instance.",
            ["transition"],
            registry=self.registry,
        )

        self.hash_queue_depth = Gauge(
            "jotauth_hash_queue_depth",
            "Password hashes waiting for an argon2 worker (logins shed with 503 past the limit).",
            registry=self.registry,
        )

        self.mail_deliveries = Counter(
            "jotauth_mail_deliveries_total",
            "Outbox delivery attempts by outcome (sent, retry, dead).",
            ["outcome"],
            registry=self.registry,
        )
        self.mail_outbox = Gauge(
            "jotauth_mail_outbox",
            "Mails in the durable outbox by state (pending, sending, sent, dead), at scrape.",
            ["state"],
            registry=self.registry,
        )

    def watch_hash_queue(self, depth: Callable[[], int]) -> None:
        """Read the hash queue's depth at every scrape (no bookkeeping on the login path)."""
        self.hash_queue_depth.set_function(depth)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


def counting(counter: Counter) -> Callable[[str], None]:
    """``counter.labels(value).inc()``, keeping each value's child.

    ``labels()`` takes a lock and builds its key on every call, and a refresh or a login
    counts one outcome. Each child is kept by the registry anyway, so this holds nothing more
    than the series already exposed; the series appear at their first count, as before.
    """
    children: dict[str, Any] = {}

    def count(value: str) -> None:
        child = children.get(value)
        if child is None:
            child = children[value] = counter.labels(value)
        child.inc()

    return count


class RequestMetrics:
    """Pure ASGI middleware: per-route latency histogram and a structured access log line.

    The log line has the route *template* (``/api/auth/sessions/{session_id}``), never the
    query string, so no token or ``return_to`` value is ever written to the log.
    """

    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics, logger: logging.Logger) -> None:
        self.app = app
        self.metrics = metrics
        self.logger = logger
        # The histogram child of each (method, route, status class): ``labels()`` takes a
        # lock and builds a key on every call; routes and methods are a small, fixed set.
        self._latency: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            method = str(scope.get("method", ""))
            key = (method, route, status // 100)
            child = self._latency.get(key)
            if child is None:
                child = self.metrics.request_latency.labels(method, route, f"{key[2]}xx")
                if len(self._latency) < _MAX_CACHED_SERIES:  # methods are the client's to send
                    self._latency[key] = child
            child.observe(elapsed)
            if self.logger.isEnabledFor(logging.INFO):  # skip building the record's extras
                self.logger.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
