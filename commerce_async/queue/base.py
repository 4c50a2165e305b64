"""The transport seam between the accept path and the consumers.

Two sides, both small:

``Transport`` (producer side) is used inside the accept transaction. ``enqueue`` records the
messages of newly accepted operations in the same transaction as the operations themselves, so a
202 can never exist without its messages (``enqueue_statements`` says what it would run, so the
accept path can hand it to the group-commit writer as plain inserts); ``committed`` is called
after the commit to wake whoever moves them on (consumers for the database queue, the outbox
relay for RabbitMQ).

``Source`` (consumer side) hands out ``Delivery`` objects. ``claim`` returns up to ``limit``
deliveries (waiting up to ``timeout`` seconds for the first one); ``settle`` is called inside the
consumer's outcome transaction and removes the message durably together with the outcome;
``retry_later`` re-schedules it; ``release`` gives back deliveries the consumer will not handle
(shutdown). ``after_commit`` runs once the outcome transaction committed (RabbitMQ acks there).
A delivery may arrive more than once: consumers must check the operation's status first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from commerce_async.storage.database import Tx


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    bulk_uuid: str
    operation_key: int


@dataclass(slots=True)
class Delivery:
    topic: str
    bulk_uuid: str
    operation_key: int
    deliveries: int
    handle: Any = None
    """Transport-specific: the queue row id, or the AMQP delivery tag."""


EnqueueStatements = tuple[list[tuple[str, list[tuple[Any, ...]]]], tuple[str, ...]]
"""What ``enqueue`` would run, for the group-commit writer to merge: ``(sql, rows)`` inserts and
statements needed once per transaction (see ``storage.writer.Inserts``)."""


class Transport(Protocol):
    name: str

    def enqueue(self, tx: Tx, messages: list[Message], now: float) -> None: ...

    def enqueue_statements(self, messages: list[Message], now: float) -> EnqueueStatements: ...

    def committed(self) -> None: ...

    def close(self) -> None: ...


class Source(Protocol):
    def claim(self, limit: int, timeout: float) -> list[Delivery]: ...

    def settle(self, tx: Tx, delivery: Delivery) -> None: ...

    def retry_later(self, tx: Tx, delivery: Delivery, delay: float, now: float) -> None: ...

    def after_commit(self, deliveries: list[Delivery]) -> None: ...

    def release(self, deliveries: list[Delivery]) -> None: ...

    def close(self) -> None: ...
