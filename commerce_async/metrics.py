"""Prometheus metrics: what the REST edge and the consumers did, and how the queue looks now.

Counted as it happens (a few counter increments per request or operation; children are cached
so the hot path does no label validation):

- ``commerce_async_http_requests_total{mode,method,route,status}``: every REST response, the
  route labelled by its path template (``/V1/products/:sku``, ``/V1/products/bySku``), never by
  the raw URL; ``unmatched`` when no route matched;
- ``commerce_async_http_request_duration_seconds{mode}``;
- ``commerce_async_items_total{mode,method,route,outcome}``: items of async and bulk requests,
  ``accepted`` or ``rejected``;
- ``commerce_async_operations_executed_total{topic,status}`` and
  ``commerce_async_operation_execution_seconds{topic}``: operations run by this process's
  consumers; ``commerce_async_operation_retries_scheduled_total{topic}``.

Read from the database at scrape time (so they cover every process and host):

- ``commerce_async_operations{status}``: operations per status;
- ``commerce_async_queue_messages{state}`` (``ready``, ``in_flight``, ``waiting_retry``) and
  ``commerce_async_queue_oldest_message_age_seconds``;
- ``commerce_async_oldest_open_operation_age_seconds``;
- ``commerce_async_consumers_alive``: consumers whose heartbeat is recent;
- ``commerce_async_database_up``: 0 when those queries failed (the scrape still succeeds).

Each ``Services`` owns its own ``CollectorRegistry``, so many can live in one process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from commerce_async.operations import health
from commerce_async.webapi.rest import ITEMS_KEY, ROUTE_KEY

log = logging.getLogger("commerce_async.metrics")

UNMATCHED = ("unmatched", "unmatched")
# The ``*_created`` series double the output and are of no use to the alerts this serves.
disable_created_metrics()

EXECUTION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class DatabaseCollector(Collector):
    """Gauges computed at scrape time from the database (one short read transaction)."""

    def __init__(self, db: Any, alive_seconds: float = health.ALIVE_SECONDS) -> None:
        self.db = db
        self.alive_seconds = alive_seconds

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Describing without values keeps registration from querying the database.
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.time()
        try:
            counts, stats, oldest_open, alive = self.db.run_read(lambda tx: self._read(tx, now))
        except Exception as error:
            log.warning("metrics: database unavailable: %s", error)
            up = GaugeMetricFamily(
                "commerce_async_database_up", "Whether the scrape-time queries succeeded."
            )
            up.add_metric([], 0)
            yield up
            return
        operations, messages, oldest, oldest_operation, consumers, up = self._families()
        for status, count in counts.items():
            operations.add_metric([health.STATUS_NAMES[status]], count)
        messages.add_metric(["ready"], stats.ready)
        messages.add_metric(["in_flight"], stats.in_flight)
        messages.add_metric(["waiting_retry"], stats.waiting_retry)
        oldest.add_metric([], stats.oldest_ready_age or 0.0)
        oldest_operation.add_metric([], oldest_open or 0.0)
        consumers.add_metric([], alive)
        up.add_metric([], 1)
        yield from (operations, messages, oldest, oldest_operation, consumers, up)

    def _read(self, tx: Any, now: float) -> tuple[Any, ...]:
        return (
            health.operation_counts(tx),
            health.queue_stats(tx, now),
            health.oldest_open_operation_age(tx, now),
            health.alive_consumers(tx, now, self.alive_seconds),
        )

    def _families(self) -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "commerce_async_operations",
                "Asynchronous operations per status (all bulks in the database).",
                labels=["status"],
            ),
            GaugeMetricFamily(
                "commerce_async_queue_messages",
                "Undelivered messages of async.operations.all: ready to claim, claimed "
                "(in flight), or waiting for an automatic retry. With RabbitMQ: the outbox.",
                labels=["state"],
            ),
            GaugeMetricFamily(
                "commerce_async_queue_oldest_message_age_seconds",
                "How long the oldest ready or claimed message has been available (0: none).",
            ),
            GaugeMetricFamily(
                "commerce_async_oldest_open_operation_age_seconds",
                "Seconds since the oldest open operation was accepted (0: none open).",
            ),
            GaugeMetricFamily(
                "commerce_async_consumers_alive",
                f"Consumers with a heartbeat in the last {self.alive_seconds:g} seconds.",
            ),
            GaugeMetricFamily(
                "commerce_async_database_up", "Whether the scrape-time queries succeeded."
            ),
        )


class Metrics:
    """The metrics of one ``Services``: the REST edge and the consumers report here."""

    def __init__(self, db: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "commerce_async_http_requests_total",
            "REST responses by mode (sync, async, bulk, schema), method, route template and "
            "status.",
            ["mode", "method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "commerce_async_http_request_duration_seconds",
            "Time from the request's arrival to its response being sent.",
            ["mode"],
            registry=self.registry,
        )
        self.items = Counter(
            "commerce_async_items_total",
            "Items of asynchronous and bulk requests, accepted or rejected.",
            ["mode", "method", "route", "outcome"],
            registry=self.registry,
        )
        self.executed = Counter(
            "commerce_async_operations_executed_total",
            "Operations executed by this process's consumers, by topic and resulting status.",
            ["topic", "status"],
            registry=self.registry,
        )
        self.execution_seconds = Histogram(
            "commerce_async_operation_execution_seconds",
            "Time from the start of an operation's execution to its outcome being committed.",
            ["topic"],
            buckets=EXECUTION_BUCKETS,
            registry=self.registry,
        )
        self.retries = Counter(
            "commerce_async_operation_retries_scheduled_total",
            "Transient failures that scheduled an automatic retry.",
            ["topic"],
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(db))
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: Any) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = metric.labels(*labels)
            self._children[key] = child
        return child

    def observe_request(self, scope: dict[str, Any], status: int, seconds: float) -> None:
        """Called by the REST edge once the response is sent."""
        mode, route = scope.get(ROUTE_KEY, UNMATCHED)
        method = scope["method"]
        self._child(self.requests, mode, method, route, status).inc()
        self._child(self.request_seconds, mode).observe(seconds)
        items = scope.get(ITEMS_KEY)
        if items is not None:
            accepted, rejected = items
            if accepted:
                self._child(self.items, mode, method, route, "accepted").inc(accepted)
            if rejected:
                self._child(self.items, mode, method, route, "rejected").inc(rejected)

    def observe_outcome(self, delivery: Any, outcome: Any, seconds: float) -> None:
        """Called by a consumer for each operation whose outcome was committed."""
        topic = delivery.topic
        self._child(self.executed, topic, health.STATUS_NAMES[outcome.status]).inc()
        self._child(self.execution_seconds, topic).observe(seconds)
        if outcome.retry_delay is not None:
            self._child(self.retries, topic).inc()

    def exposition(self) -> bytes:
        """The text exposition format (runs the scrape-time database queries)."""
        return generate_latest(self.registry)


def mount(app: Any, services: Any, rest: Any) -> None:
    """Page module: ``GET /metrics``."""
    import anyio.to_thread
    from starlette.responses import Response

    async def metrics(_request: Any) -> Response:
        if services.metrics is None:
            return Response("metrics are turned off\n", status_code=404)
        body = await anyio.to_thread.run_sync(services.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_route("/metrics", metrics, methods=["GET"])
