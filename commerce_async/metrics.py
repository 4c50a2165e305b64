"""Prometheus metrics: what the REST edge and the consumers did, and how the queue looks now.

Counted as it happens (a few dict updates per request or operation, see ``Metrics``):

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

import bisect
import itertools
import logging
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from commerce_async.operations import health
from commerce_async.webapi.rest import ITEMS_KEY, ROUTE_KEY

log = logging.getLogger("commerce_async.metrics")

UNMATCHED = ("unmatched", "unmatched")
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
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


class _Counter:
    """A labelled counter kept as a plain dict; callers hold ``Metrics.lock``."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.values: dict[tuple[Any, ...], float] = {}

    def add(self, key: tuple[Any, ...], amount: float = 1) -> None:
        values = self.values
        values[key] = values.get(key, 0) + amount

    def family(self) -> CounterMetricFamily:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, count in sorted(self.values.items(), key=lambda item: str(item[0])):
            family.add_metric([str(part) for part in key], count)
        return family


class _Histogram:
    """A labelled histogram: per-bucket counts and a sum per label set (``Metrics.lock``)."""

    def __init__(
        self, name: str, documentation: str, labels: tuple[str, ...], buckets: tuple[float, ...]
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labels = labels
        self.bounds = (*buckets, math.inf)
        self.values: dict[tuple[Any, ...], list[Any]] = {}

    def observe(self, key: tuple[Any, ...], value: float) -> None:
        entry = self.values.get(key)
        if entry is None:
            entry = self.values[key] = [[0] * len(self.bounds), 0.0]
        entry[0][bisect.bisect_left(self.bounds, value)] += 1
        entry[1] += value

    def family(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, (counts, total) in sorted(self.values.items(), key=lambda item: str(item[0])):
            cumulative = list(itertools.accumulate(counts))
            buckets = [
                (floatToGoString(bound), count)
                for bound, count in zip(self.bounds, cumulative, strict=True)
            ]
            family.add_metric([str(part) for part in key], buckets, total)
        return family


class Metrics(Collector):
    """The metrics of one ``Services``: the REST edge and the consumers report here.

    Counting is a couple of dict updates under one lock: measured, this is several times
    cheaper per request than ``prometheus_client``'s own counters and histograms (which take
    a lock per value and check labels), and the request path is where time matters most. The
    values are turned into metric families only when scraped.
    """

    def __init__(self, db: Any) -> None:
        self.lock = threading.Lock()
        self.requests = _Counter(
            "commerce_async_http_requests",
            "REST responses by mode (sync, async, bulk, unmatched), method, route template and "
            "status.",
            ("mode", "method", "route", "status"),
        )
        self.request_seconds = _Histogram(
            "commerce_async_http_request_duration_seconds",
            "Time from the request's arrival to its response being sent.",
            ("mode",),
            REQUEST_BUCKETS,
        )
        self.items = _Counter(
            "commerce_async_items",
            "Items of asynchronous and bulk requests, accepted or rejected.",
            ("mode", "method", "route", "outcome"),
        )
        self.executed = _Counter(
            "commerce_async_operations_executed",
            "Operations executed by this process's consumers, by topic and resulting status.",
            ("topic", "status"),
        )
        self.execution_seconds = _Histogram(
            "commerce_async_operation_execution_seconds",
            "Time from the start of an operation's execution to its outcome being committed.",
            ("topic",),
            EXECUTION_BUCKETS,
        )
        self.retries = _Counter(
            "commerce_async_operation_retries_scheduled",
            "Transient failures that scheduled an automatic retry.",
            ("topic",),
        )
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(self)
        self.registry.register(DatabaseCollector(db))

    def observe_request(self, scope: dict[str, Any], status: int, seconds: float) -> None:
        """Called by the REST edge once the response is sent."""
        mode, route = scope.get(ROUTE_KEY, UNMATCHED)
        method = scope["method"]
        items = scope.get(ITEMS_KEY)
        with self.lock:
            self.requests.add((mode, method, route, status))
            self.request_seconds.observe((mode,), seconds)
            if items is not None:
                accepted, rejected = items
                if accepted:
                    self.items.add((mode, method, route, "accepted"), accepted)
                if rejected:
                    self.items.add((mode, method, route, "rejected"), rejected)

    def observe_outcome(self, delivery: Any, outcome: Any, seconds: float) -> None:
        """Called by a consumer for each operation whose outcome was committed."""
        topic = delivery.topic
        with self.lock:
            self.executed.add((topic, health.STATUS_NAMES[outcome.status]))
            self.execution_seconds.observe((topic,), seconds)
            if outcome.retry_delay is not None:
                self.retries.add((topic,))

    def describe(self) -> Iterator[Any]:
        return self.collect()

    def collect(self) -> Iterator[Any]:
        with self.lock:
            families = [
                metric.family()
                for metric in (
                    self.requests,
                    self.request_seconds,
                    self.items,
                    self.executed,
                    self.execution_seconds,
                    self.retries,
                )
            ]
        yield from families

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
