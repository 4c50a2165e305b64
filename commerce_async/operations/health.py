"""How the asynchronous machinery is doing: queue backlog, open operations, live consumers.

Read-only queries shared by ``/metrics`` and the ``queue:*`` commands, so both tell the same
story. Each is one indexed query: ``queue_message`` by ``(queue_name, available_at)``,
``magento_operation`` by ``status``, ``consumer_heartbeat`` (one row per consumer).

With the database transport ``queue_message`` holds every undelivered message; with RabbitMQ it
is the outbox (messages not yet confirmed by the broker), so the broker's own queue depth is not
seen here, while open operations are counted the same way with either transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from commerce_async.operations.model import OPEN, QUEUE_NAME, STATUSES
from commerce_async.storage import schema
from commerce_async.storage.database import Tx

ALIVE_SECONDS = 30.0
"""A consumer counts as alive when its last heartbeat is this recent. Consumers beat every two
seconds between batches, so this leaves room for a long batch."""

STATUS_NAMES = {
    1: "complete",
    2: "retriably_failed",
    3: "not_retriably_failed",
    4: "open",
    5: "rejected",
}

message = schema.queue_message
operation = schema.magento_operation
heartbeat = schema.consumer_heartbeat


@dataclass(frozen=True, slots=True)
class QueueStats:
    ready: int
    """Messages a consumer may claim now."""
    in_flight: int
    """Messages claimed by a consumer whose lease has not expired."""
    waiting_retry: int
    """Messages of failed operations scheduled for an automatic retry later."""
    oldest_ready_age: float | None
    """Seconds the oldest claimable or claimed message has been available (None: none)."""


def queue_stats(tx: Tx, now: float) -> QueueStats:
    due = (message.c.queue_name == QUEUE_NAME) & (message.c.available_at <= now)
    leased = message.c.lease_expires.is_not(None) & (message.c.lease_expires >= now)
    row = tx.first(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((leased, 1), else_=0)), 0),
            sa.func.min(message.c.available_at),
        ).where(due)
    )
    assert row is not None
    due_count, in_flight, oldest = int(row[0]), int(row[1]), row[2]
    waiting = tx.scalar(
        sa.select(sa.func.count()).where(
            message.c.queue_name == QUEUE_NAME, message.c.available_at > now
        )
    )
    return QueueStats(
        ready=due_count - in_flight,
        in_flight=in_flight,
        waiting_retry=int(waiting or 0),
        oldest_ready_age=None if oldest is None else max(0.0, now - float(oldest)),
    )


def operation_counts(tx: Tx) -> dict[int, int]:
    """Operations per status, every status present (0 when there are none)."""
    rows = tx.all(sa.select(operation.c.status, sa.func.count()).group_by(operation.c.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({int(status): int(count) for status, count in rows})
    return counts


def oldest_open_operation_age(tx: Tx, now: float) -> float | None:
    """Seconds since the oldest still-open operation was accepted (None: nothing is open)."""
    oldest = tx.scalar(
        sa.select(sa.func.min(operation.c.accepted_at)).where(operation.c.status == OPEN)
    )
    return None if oldest is None else max(0.0, now - float(oldest))


@dataclass(frozen=True, slots=True)
class ConsumerInfo:
    consumer_id: str
    consumer_name: str
    hostname: str
    pid: int
    started_at: float
    last_seen: float
    processed: int
    state: str
    alive: bool


def is_alive(state: str, last_seen: float, now: float, window: float = ALIVE_SECONDS) -> bool:
    return state == "running" and now - last_seen <= window


def consumers(tx: Tx, now: float, window: float = ALIVE_SECONDS) -> list[ConsumerInfo]:
    """Every consumer that ever beat, most recently seen first."""
    rows = tx.all(sa.select(heartbeat).order_by(heartbeat.c.last_seen.desc()))
    return [_consumer(row, now, window) for row in rows]


def _consumer(row: Any, now: float, window: float) -> ConsumerInfo:
    return ConsumerInfo(
        consumer_id=row.consumer_id,
        consumer_name=row.consumer_name,
        hostname=row.hostname,
        pid=int(row.pid),
        started_at=float(row.started_at),
        last_seen=float(row.last_seen),
        processed=int(row.processed),
        state=row.state,
        alive=is_alive(row.state, float(row.last_seen), now, window),
    )


def alive_consumers(tx: Tx, now: float, window: float = ALIVE_SECONDS) -> int:
    return int(
        tx.scalar(
            sa.select(sa.func.count()).where(
                heartbeat.c.state == "running", heartbeat.c.last_seen >= now - window
            )
        )
        or 0
    )
