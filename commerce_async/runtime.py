"""Background workers of a process: consumer threads and the outbox relay, started and stopped
together (``serve`` runs them inside the web server; ``queue:consumers:start`` runs one alone)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from commerce_async.operations.consumer import Consumer

log = logging.getLogger("commerce_async.runtime")


class Workers:
    def __init__(self, services: Any, consumers: int) -> None:
        self.services = services
        self.count = consumers
        self.consumers: list[Consumer] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        services = self.services
        services.writer.start()
        relay = getattr(services.transport, "start_relay", None)
        if relay is not None:
            relay()
        for index in range(self.count):
            consumer = Consumer(
                services,
                services.new_source(),
                on_outcome=services.metrics.observe_outcome if services.metrics else None,
            )
            thread = threading.Thread(target=consumer.run, name=f"consumer-{index}", daemon=True)
            self.consumers.append(consumer)
            self.threads.append(thread)
            thread.start()
        if self.count:
            log.info("started %d consumer thread(s) for async.operations.all", self.count)

    def stop(self) -> None:
        drain = self.services.settings.drain_seconds
        for consumer in self.consumers:
            consumer.stop(drain)
        for thread in self.threads:
            thread.join(drain + 5)
        stop_relay = getattr(self.services.transport, "stop_relay", None)
        if stop_relay is not None:
            stop_relay()
        self.services.writer.stop()
