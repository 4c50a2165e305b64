"""The database queue: messages are rows of ``queue_message``, claimed with a lease.

Accepting writes the rows in the accept transaction (one commit makes a request durable); a
consumer claims a batch by stamping a lease on the oldest available rows, and deletes each row in
the same transaction that records the operation's outcome. A consumer that dies leaves rows whose
lease simply expires; the next claim takes them again.

Wake-ups: consumers in the same process are woken through a ``Doorbell`` the moment a commit
adds messages; consumers in other processes poll with a short adaptive interval (PostgreSQL
deployments add LISTEN/NOTIFY, see ``queue.postgres``).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import sqlalchemy as sa

from commerce_async.operations.model import QUEUE_NAME
from commerce_async.queue.base import Delivery, EnqueueStatements, Message
from commerce_async.storage.database import Database, Tx

INSERT_SQL = (
    "INSERT INTO queue_message (queue_name, topic_name, bulk_uuid, operation_key, available_at, "
    "deliveries) VALUES (?, ?, ?, ?, ?, 0)"
)

CLAIM_SQLITE = sa.text(
    """
    UPDATE queue_message
       SET lease_owner = :owner, lease_expires = :until, deliveries = deliveries + 1
     WHERE id IN (
        SELECT id FROM queue_message
         WHERE queue_name = :queue AND available_at <= :now
           AND (lease_expires IS NULL OR lease_expires < :now)
         ORDER BY available_at, id
         LIMIT :limit)
    RETURNING id, topic_name, bulk_uuid, operation_key, deliveries
    """
)

CLAIM_POSTGRES = sa.text(
    """
    UPDATE queue_message
       SET lease_owner = :owner, lease_expires = :until, deliveries = deliveries + 1
     WHERE id IN (
        SELECT id FROM queue_message
         WHERE queue_name = :queue AND available_at <= :now
           AND (lease_expires IS NULL OR lease_expires < :now)
         ORDER BY available_at, id
         LIMIT :limit
         FOR UPDATE SKIP LOCKED)
    RETURNING id, topic_name, bulk_uuid, operation_key, deliveries
    """
)


class Doorbell:
    """In-process wake-up for consumers: rung after every commit that added messages."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rings = 0

    def ring(self) -> None:
        with self._condition:
            self._rings += 1
            self._condition.notify_all()

    @property
    def rings(self) -> int:
        return self._rings

    def wait(self, seen: int, timeout: float) -> int:
        with self._condition:
            if self._rings == seen:
                self._condition.wait(timeout)
            return self._rings


def message_rows(messages: list[Message], now: float) -> list[tuple[Any, ...]]:
    """The ``INSERT_SQL`` parameters of ``messages``."""
    return [(QUEUE_NAME, m.topic, m.bulk_uuid, m.operation_key, now) for m in messages]


def insert_messages(tx: Tx, messages: list[Message], now: float) -> None:
    tx.raw_executemany(INSERT_SQL, message_rows(messages, now))


class DatabaseTransport:
    """Producer side of the database queue."""

    name = "db"

    def __init__(self, doorbell: Doorbell, notify_sql: str | None = None) -> None:
        self.doorbell = doorbell
        self.notify_sql = notify_sql

    def enqueue(self, tx: Tx, messages: list[Message], now: float) -> None:
        insert_messages(tx, messages, now)
        if self.notify_sql:
            tx.execute(self.notify_sql)

    def enqueue_statements(self, messages: list[Message], now: float) -> EnqueueStatements:
        once = (self.notify_sql,) if self.notify_sql else ()
        return [(INSERT_SQL, message_rows(messages, now))], once

    def committed(self) -> None:
        self.doorbell.ring()

    def close(self) -> None:
        pass


class DatabaseSource:
    """Consumer side of the database queue."""

    def __init__(
        self,
        database: Database,
        doorbell: Doorbell,
        lease_seconds: float,
        *,
        max_poll_interval: float = 0.1,
        waiter: object | None = None,
    ) -> None:
        self.database = database
        self.doorbell = doorbell
        self.lease_seconds = lease_seconds
        self.max_poll_interval = max_poll_interval
        self.owner = uuid.uuid4().hex
        self.waiter = waiter
        self._claim_sql = CLAIM_POSTGRES if database.dialect == "postgresql" else CLAIM_SQLITE

    def _claim_now(self, limit: int) -> list[Delivery]:
        now = time.time()
        with self.database.transaction() as tx:
            rows = tx.all(
                self._claim_sql,
                {
                    "owner": self.owner,
                    "until": now + self.lease_seconds,
                    "queue": QUEUE_NAME,
                    "now": now,
                    "limit": limit,
                },
            )
        rows.sort(key=lambda row: row.id)
        return [
            Delivery(row.topic_name, row.bulk_uuid, row.operation_key, row.deliveries, row.id)
            for row in rows
        ]

    def claim(self, limit: int, timeout: float) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        interval = 0.002
        while True:
            seen = self.doorbell.rings
            deliveries = self._claim_now(limit)
            if deliveries:
                return deliveries
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            wait = min(interval, remaining)
            if self.waiter is not None:
                self.waiter.wait(wait)  # type: ignore[attr-defined]
            else:
                self.doorbell.wait(seen, wait)
            interval = min(interval * 2, self.max_poll_interval)

    def settle(self, tx: Tx, delivery: Delivery) -> None:
        tx.execute(sa.text("DELETE FROM queue_message WHERE id = :id"), {"id": delivery.handle})

    def settle_many(self, tx: Tx, deliveries: list[Delivery]) -> None:
        tx.raw_executemany(
            "DELETE FROM queue_message WHERE id = ?", [(d.handle,) for d in deliveries]
        )

    def retry_later(self, tx: Tx, delivery: Delivery, delay: float, now: float) -> None:
        tx.execute(
            sa.text(
                "UPDATE queue_message SET available_at = :at, lease_owner = NULL, "
                "lease_expires = NULL WHERE id = :id"
            ),
            {"at": now + delay, "id": delivery.handle},
        )

    def after_commit(self, deliveries: list[Delivery]) -> None:
        pass

    def release(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        with self.database.transaction() as tx:
            tx.execute(
                sa.text(
                    "UPDATE queue_message SET lease_owner = NULL, lease_expires = NULL "
                    "WHERE id = :id AND lease_owner = :owner"
                ),
                [{"id": d.handle, "owner": self.owner} for d in deliveries],
            )

    def close(self) -> None:
        if self.waiter is not None:
            self.waiter.close()  # type: ignore[attr-defined]
