"""RabbitMQ transport: Magento's topology, a transactional outbox and a confirming relay.

Topology (declared by every publisher and consumer, idempotently): the durable topic exchange
``magento``, the durable queue ``async.operations.all`` bound with ``async.#``. A message is
persistent (delivery mode 2), its routing key is the operation's topic and its body is Magento's
operation message (``{"id","bulk_uuid","topic_name","serialized_data",...}``), so Magento's own
consumers could read it and ours read Magento's.

Producer side (``AmqpOutboxTransport``): the accept transaction writes ``queue_message`` rows,
the outbox, next to the operations, and nothing else: accepting never waits for the broker and
keeps working while it is down. A relay thread claims outbox rows with a lease (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; the write lock on SQLite), publishes them with publisher confirms
pipelined over a whole batch, and deletes each row once the broker confirmed it. A relay that
dies leaves leased rows that another relay (any server or consumer process) takes when the lease
expires, so whatever was committed is published at least once; consumers skip duplicates.

Consumer side (``AmqpSource``): ``basic_consume`` with a prefetch window and manual acks; a
delivery is acknowledged only in ``after_commit``, once the outcome transaction committed, so a
consumer that dies mid-batch leaves its messages to be redelivered. ``retry_later`` writes a new
outbox row due later in the outcome transaction and acknowledges the old delivery after commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions
import sqlalchemy as sa
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika.spec import Basic, BasicProperties
from sqlalchemy.dialects import postgresql

from commerce_async.operations.model import EXCHANGE, QUEUE_NAME, php_json
from commerce_async.queue.base import Delivery, EnqueueStatements, Message
from commerce_async.queue.database import (
    CLAIM_POSTGRES,
    CLAIM_SQLITE,
    INSERT_SQL,
    Doorbell,
    insert_messages,
    message_rows,
)
from commerce_async.storage import schema
from commerce_async.storage.database import Database, Tx

log = logging.getLogger("commerce_async.queue.amqp")
# pika logs every failed connection attempt at ERROR with tracebacks, several lines per retry
# while the broker is down; this module handles those failures and reports each outage once.
logging.getLogger("pika").setLevel(logging.CRITICAL)

BINDING = "async.#"
PERSISTENT = 2

# Errors that mean "the broker or the connection is gone": reconnect and carry on.
AMQP_ERRORS: tuple[type[BaseException], ...] = (
    pika.exceptions.AMQPError,
    OSError,
    AssertionError,  # pika asserts on use of a connection that is already closing
)


def connection_parameters(url: str) -> pika.URLParameters:
    parameters = pika.URLParameters(url)
    parameters.heartbeat = 30
    parameters.blocked_connection_timeout = 30
    parameters.socket_timeout = 5
    parameters.connection_attempts = 1
    parameters.client_properties = {"connection_name": "commerce-async"}
    return parameters


def declare_topology(channel: BlockingChannel) -> None:
    """Magento's ``async.operations.all`` topology (WebapiAsync queue_topology.xml)."""
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(QUEUE_NAME, durable=True)
    channel.queue_bind(QUEUE_NAME, EXCHANGE, routing_key=BINDING)


def operation_body(row: Any) -> bytes:
    """Magento's operation message (system topic schema, field order of OperationInterface)."""
    return php_json(
        {
            "id": row.operation_key,
            "bulk_uuid": row.bulk_uuid,
            "topic_name": row.topic_name,
            "serialized_data": row.serialized_data,
            "result_serialized_data": row.result_serialized_data,
            "status": row.status,
            "result_message": row.result_message,
            "error_code": row.error_code,
        }
    ).encode()


def message_id(row: Any) -> str:
    """Lower-case hex SHA-256, like Magento's; derived from the outbox row, so every publish of
    the same row (a republish after a lost confirm) carries the same id."""
    text = f"{row.topic_name}:{row.bulk_uuid}:{row.operation_key}:{row.id}"
    return hashlib.sha256(text.encode()).hexdigest()


# --- producer side --------------------------------------------------------------------------------


class Outbox:
    """The relay's view of ``queue_message``: claim due rows with a lease, delete confirmed ones,
    give back the rest. Safe with any number of relays in any number of processes."""

    def __init__(self, db: Database, lease_seconds: float) -> None:
        self.db = db
        self.lease_seconds = lease_seconds
        self.owner = "relay-" + uuid.uuid4().hex
        self._claim_sql = CLAIM_POSTGRES if db.dialect == "postgresql" else CLAIM_SQLITE

    def _among(self, column: Any, ids: list[int]) -> Any:
        """``column IN ids``; on PostgreSQL one array parameter instead of one per id, which
        keeps statements over a whole batch cheap to build and to parse."""
        if self.db.dialect == "postgresql":
            return column == sa.any_(sa.literal(ids, postgresql.ARRAY(sa.BigInteger)))
        return column.in_(ids)

    def claim(self, limit: int) -> list[Any]:
        """Due rows joined with their operation, oldest first, leased to this relay."""
        now = time.time()
        operation = schema.magento_operation
        queue = schema.queue_message
        with self.db.transaction() as tx:
            claimed = tx.all(
                self._claim_sql,
                {
                    "owner": self.owner,
                    "until": now + self.lease_seconds,
                    "queue": QUEUE_NAME,
                    "now": now,
                    "limit": limit,
                },
            )
            if not claimed:
                return []
            ids = [row.id for row in claimed]
            rows = tx.all(
                sa.select(
                    queue.c.id,
                    queue.c.topic_name,
                    queue.c.bulk_uuid,
                    queue.c.operation_key,
                    operation.c.serialized_data,
                    operation.c.result_serialized_data,
                    operation.c.status,
                    operation.c.result_message,
                    operation.c.error_code,
                )
                .select_from(
                    queue.join(
                        operation,
                        (operation.c.bulk_uuid == queue.c.bulk_uuid)
                        & (operation.c.operation_key == queue.c.operation_key),
                    )
                )
                .where(self._among(queue.c.id, ids))
                .order_by(queue.c.available_at, queue.c.id)
            )
            orphans = set(ids) - {row.id for row in rows}
            if orphans:
                # The operation is gone (its bulk was deleted): nothing left to deliver.
                tx.execute(queue.delete().where(self._among(queue.c.id, list(orphans))))
        return rows

    def delete(self, ids: list[int]) -> None:
        if ids:
            queue = schema.queue_message
            with self.db.transaction() as tx:
                tx.execute(queue.delete().where(self._among(queue.c.id, ids)))

    def release(self, ids: list[int] | None = None) -> None:
        """Give leased rows back (all of this relay's when ``ids`` is None) for a prompt retry."""
        queue = schema.queue_message
        condition = queue.c.lease_owner == self.owner
        if ids is not None:
            if not ids:
                return
            condition = condition & self._among(queue.c.id, ids)
        with self.db.transaction() as tx:
            tx.execute(queue.update().where(condition).values(lease_owner=None, lease_expires=None))


class OutboxRelay:
    """A thread that moves outbox rows to RabbitMQ with pipelined publisher confirms.

    It runs pika's asynchronous ``SelectConnection`` on its own I/O loop. Claimed rows are
    published without waiting, up to ``window`` unconfirmed messages, so the broker confirms one
    batch while the next is read and sent; the broker's (possibly ``multiple``) acks are
    collected, and each ``batch`` of confirmed rows is deleted in one statement (nacked or
    unroutable ones are released). ``wake()`` (any thread) short-cuts the idle poll after a
    commit.
    While the broker is unreachable it retries with exponential backoff, and the outbox simply
    grows; nothing is lost and the HTTP API keeps accepting.
    """

    def __init__(
        self,
        url: str,
        outbox: Outbox,
        *,
        batch: int = 500,
        window: int = 1000,
        poll_interval: float = 0.5,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.outbox = outbox
        self.batch = batch
        self.window = max(window, batch)
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.published = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: pika.SelectConnection | None = None
        self._channel: Any = None
        self._in_flight: dict[int, int] = {}
        self._acked: list[int] = []
        self._rejected: list[int] = []
        self._returned: set[str] = set()
        self._message_ids: dict[int, str] = {}
        self._sequence = 0
        self._timer: Any = None
        self._wake_pending = False
        self._failures = 0
        self._outage_logged = False
        self._database_failing = False
        self._needs_topology = True

    @property
    def connected(self) -> bool:
        """Whether the relay has a channel ready to publish on."""
        return self._channel is not None

    # --- lifecycle (any thread) ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self._call_threadsafe(self._shutdown)
        thread.join(timeout)
        self._thread = None

    def wake(self) -> None:
        if self._wake_pending:
            return
        self._wake_pending = True
        self._call_threadsafe(self._on_wake)

    def _call_threadsafe(self, callback: Callable[[], None]) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            connection.ioloop.add_callback_threadsafe(callback)
        except Exception:  # the loop is being torn down; the next connection polls anyway
            pass

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._connection = pika.SelectConnection(
                    connection_parameters(self.url),
                    on_open_callback=self._on_connection_open,
                    on_open_error_callback=self._on_connection_error,
                    on_close_callback=self._on_connection_closed,
                )
                self._connection.ioloop.start()
            except Exception:
                log.exception("outbox relay failed; reconnecting")
            self._forget_in_flight()
            self._connection = None
            self._channel = None
            if self._stopping.is_set():
                break
            self._failures += 1
            self._stopping.wait(min(self.max_backoff, 0.1 * 2 ** min(self._failures, 10)))
        self._release_all()

    def _release_all(self) -> None:
        try:
            self.outbox.release()
        except Exception as error:
            log.warning("could not release outbox leases (%s); they expire on their own", error)

    def _on_connection_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, connection: pika.SelectConnection, error: Any) -> None:
        if not self._outage_logged:
            log.warning("RabbitMQ unreachable (%s); accepted operations wait in the outbox", error)
            self._outage_logged = True
        connection.ioloop.stop()

    def _on_connection_closed(self, connection: pika.SelectConnection, reason: Any) -> None:
        self._channel = None
        if not self._stopping.is_set() and not self._outage_logged:
            log.warning("RabbitMQ connection closed (%s); reconnecting", reason)
            self._outage_logged = True
        connection.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        self._sequence = 0
        channel.confirm_delivery(
            ack_nack_callback=self._on_confirm, callback=lambda _frame: self._declare(channel)
        )

    def _on_channel_closed(self, _channel: Any, reason: Any) -> None:
        self._channel = None
        connection = self._connection
        if connection is not None and connection.is_open:
            if not self._stopping.is_set():
                log.warning("RabbitMQ channel closed (%s); reconnecting", reason)
            connection.close()

    def _declare(self, channel: Any) -> None:
        """Declare the topology, then start publishing (nothing is published meanwhile)."""
        self._channel = None
        channel.exchange_declare(
            EXCHANGE,
            exchange_type="topic",
            durable=True,
            callback=lambda _f: channel.queue_declare(
                QUEUE_NAME,
                durable=True,
                callback=lambda _f: channel.queue_bind(
                    QUEUE_NAME,
                    EXCHANGE,
                    routing_key=BINDING,
                    callback=lambda _f: self._ready(channel),
                ),
            ),
        )

    def _ready(self, channel: Any) -> None:
        self._channel = channel
        self._needs_topology = False
        if self._outage_logged:
            log.info("RabbitMQ connection re-established; publishing the outbox")
        self._outage_logged = False
        self._failures = 0
        self._pump()

    # --- publishing ------------------------------------------------------------------------------

    def _on_wake(self) -> None:
        self._wake_pending = False
        self._pump()

    def _schedule(self, delay: float) -> None:
        connection = self._connection
        if connection is None:
            return
        if self._timer is not None:
            connection.ioloop.remove_timeout(self._timer)
        self._timer = connection.ioloop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()

    def _pump(self) -> None:
        """Claim and publish until ``window`` messages await confirmation (or the outbox is
        empty): the broker confirms one batch while the next is read and sent."""
        channel = self._channel
        if channel is None or self._stopping.is_set():
            return
        if self._needs_topology:
            self._declare(channel)
            return
        while len(self._in_flight) < self.window:
            try:
                rows = self.outbox.claim(min(self.batch, self.window - len(self._in_flight)))
            except Exception as error:
                if not self._database_failing:
                    log.warning("cannot read the outbox (%s); retrying every second", error)
                    self._database_failing = True
                if not self._in_flight:
                    self._schedule(1.0)
                return
            if self._database_failing:
                log.info("outbox readable again")
                self._database_failing = False
            for row in rows:
                self._publish(channel, row)
            if len(rows) < self.batch:
                break  # drained for now
        if not self._in_flight:
            self._schedule(self.poll_interval)

    def _publish(self, channel: Any, row: Any) -> None:
        self._sequence += 1
        identifier = message_id(row)
        self._in_flight[self._sequence] = row.id
        self._message_ids[self._sequence] = identifier
        channel.basic_publish(
            EXCHANGE,
            row.topic_name,
            operation_body(row),
            BasicProperties(delivery_mode=PERSISTENT, message_id=identifier),
            mandatory=True,
        )

    def _on_return(self, _channel: Any, _method: Any, properties: Any, _body: bytes) -> None:
        # Unroutable (the queue or binding was deleted): not delivered although it will be
        # acked (the return comes first). Give the row back and declare the topology again.
        self._returned.add(properties.message_id)
        self._needs_topology = True

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        acked = isinstance(method, Basic.Ack)
        if method.multiple:
            tags = [tag for tag in self._in_flight if tag <= method.delivery_tag]
        else:
            tags = [method.delivery_tag] if method.delivery_tag in self._in_flight else []
        for tag in tags:
            row_id = self._in_flight.pop(tag)
            identifier = self._message_ids.pop(tag, None)
            if acked and identifier not in self._returned:
                self._acked.append(row_id)
            else:
                self._returned.discard(identifier)
                self._rejected.append(row_id)
        if self._in_flight and len(self._acked) + len(self._rejected) < self.batch:
            return
        self._settle_confirmed()

    def _settle_confirmed(self) -> None:
        """Delete what the broker confirmed, give back what it refused, publish more."""
        acked, rejected = self._acked, self._rejected
        self._acked, self._rejected = [], []
        try:
            self.outbox.delete(acked)
            self.outbox.release(rejected)
        except Exception as error:
            # The rows stay leased and are published again when the lease expires: a duplicate
            # at worst, which consumers skip.
            log.warning("outbox update failed (%s); rows will be republished", error)
        else:
            self.published += len(acked)
        if rejected:
            log.warning("broker refused %d message(s); they will be published again", len(rejected))
            self._schedule(self.poll_interval)
            return
        self._pump()

    def _forget_in_flight(self) -> None:
        """The connection is gone with messages unconfirmed: publish those rows again soon."""
        pending = list(self._in_flight.values()) + self._rejected
        confirmed = self._acked
        self._in_flight.clear()
        self._message_ids.clear()
        self._acked, self._rejected, self._returned = [], [], set()
        self._timer = None
        self._needs_topology = True
        try:
            self.outbox.delete(confirmed)
            self.outbox.release(pending)
        except Exception as error:
            log.warning("outbox update failed (%s); rows will be republished", error)

    def _shutdown(self) -> None:
        connection = self._connection
        if connection is None:
            return
        if self._in_flight:
            # Let the batch in flight be confirmed first (bounded: stop() joins with a timeout).
            connection.ioloop.call_later(0.05, self._shutdown)
            return
        if connection.is_open:
            connection.close()
        else:
            connection.ioloop.stop()


class AmqpOutboxTransport:
    """Producer side of the RabbitMQ transport: the outbox and its relay."""

    name = "amqp"

    def __init__(self, url: str, db: Database, doorbell: Doorbell) -> None:
        self.url = url
        self.db = db
        self.doorbell = doorbell
        lease = min(db.settings.lease_seconds, 30.0)
        self.relay = OutboxRelay(url, Outbox(db, lease))
        self._relays = 0
        self._lock = threading.Lock()

    def enqueue(self, tx: Tx, messages: list[Message], now: float) -> None:
        insert_messages(tx, messages, now)

    def enqueue_statements(self, messages: list[Message], now: float) -> EnqueueStatements:
        return [(INSERT_SQL, message_rows(messages, now))], ()

    def committed(self) -> None:
        self.relay.wake()

    def start_relay(self) -> None:
        """Start publishing the outbox (every server and consumer process runs one relay)."""
        with self._lock:
            self._relays += 1
            if self._relays == 1:
                self.relay.start()

    def stop_relay(self) -> None:
        with self._lock:
            if self._relays == 0:
                return
            self._relays -= 1
            if self._relays == 0:
                self.relay.stop()

    def close(self) -> None:
        with self._lock:
            self._relays = 0
            self.relay.stop()


# --- consumer side --------------------------------------------------------------------------------


class AmqpSource:
    """Consumer side: ``basic_consume`` with prefetch and manual acks after commit.

    Contract as ``queue.base.Source``. Used by one consumer thread only (pika's blocking
    connection is not thread-safe). A broken connection is replaced on the next ``claim``;
    deliveries of the old channel can no longer be acked, and the broker redelivers them.
    """

    def __init__(self, url: str, db: Database, *, prefetch: int | None = None) -> None:
        self.url = url
        self.db = db
        self.prefetch = prefetch or max(100, 2 * db.settings.consumer_batch)
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._generation = 0
        self._buffer: deque[tuple[Any, bytes, int]] = deque()
        self._unsettled: set[int] = set()
        self._next_attempt = 0.0
        self._failures = 0
        self._outage_logged = False

    # --- connection ------------------------------------------------------------------------------

    def _connect(self) -> bool:
        if time.monotonic() < self._next_attempt:
            return False
        try:
            connection = BlockingConnection(connection_parameters(self.url))
            channel = connection.channel()
            declare_topology(channel)
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.basic_consume(QUEUE_NAME, self._on_message, auto_ack=False)
        except AMQP_ERRORS as error:
            self._failures += 1
            self._next_attempt = time.monotonic() + min(5.0, 0.1 * 2 ** min(self._failures, 10))
            if not self._outage_logged:
                log.warning("RabbitMQ unreachable (%s); consumer waits for it", error)
                self._outage_logged = True
            return False
        if self._outage_logged:
            log.info("RabbitMQ connection re-established; consuming")
        self._outage_logged = False
        self._failures = 0
        self._connection, self._channel = connection, channel
        self._generation += 1
        self._unsettled.clear()
        return True

    def _drop(self, error: BaseException) -> None:
        if not self._outage_logged:
            log.warning("RabbitMQ connection lost (%s); reconnecting", error)
            self._outage_logged = True
        connection, self._connection, self._channel = self._connection, None, None
        self._buffer.clear()
        self._unsettled.clear()
        if connection is not None:
            try:
                connection.close()
            except AMQP_ERRORS:
                pass

    def _on_message(
        self, _channel: Any, method: Basic.Deliver, _properties: Any, body: bytes
    ) -> None:
        self._buffer.append((method, body, self._generation))
        self._unsettled.add(method.delivery_tag)

    # --- Source ----------------------------------------------------------------------------------

    def claim(self, limit: int, timeout: float) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if self._connection is None and not self._connect():
                time.sleep(max(0.0, min(remaining, self._next_attempt - time.monotonic())))
                return []
            assert self._connection is not None
            try:
                if self._buffer:
                    self._connection.process_data_events(0)
                    break
                if remaining <= 0:
                    return []
                self._connection.process_data_events(time_limit=remaining)
            except AMQP_ERRORS as error:
                self._drop(error)
                return []
            if not self._buffer and time.monotonic() >= deadline:
                return []
        deliveries: list[Delivery] = []
        while self._buffer and len(deliveries) < limit:
            method, body, generation = self._buffer.popleft()
            delivery = self._parse(method, body, generation)
            if delivery is not None:
                deliveries.append(delivery)
        return deliveries

    def _parse(self, method: Basic.Deliver, body: bytes, generation: int) -> Delivery | None:
        try:
            message = json.loads(body)
            delivery = Delivery(
                topic=method.routing_key,
                bulk_uuid=str(message["bulk_uuid"]),
                operation_key=int(message["id"]),
                deliveries=2 if method.redelivered else 1,
                handle=(generation, method.delivery_tag),
            )
        except (ValueError, KeyError, TypeError) as error:
            # Magento rejects a message it cannot decode without requeueing it.
            log.error("message rejected, not an operation (%s): %.200r", error, body)
            self._settle([(generation, method.delivery_tag)], ack=False, requeue=False)
            return None
        return delivery

    def settle(self, tx: Tx, delivery: Delivery) -> None:
        """Nothing to write: the outbox row went when the broker confirmed the message; the
        acknowledgement follows in ``after_commit``."""

    def retry_later(self, tx: Tx, delivery: Delivery, delay: float, now: float) -> None:
        insert_messages(
            tx, [Message(delivery.topic, delivery.bulk_uuid, delivery.operation_key)], now + delay
        )

    def after_commit(self, deliveries: list[Delivery]) -> None:
        self._settle([d.handle for d in deliveries], ack=True)

    def release(self, deliveries: list[Delivery]) -> None:
        self._settle([d.handle for d in deliveries], ack=False, requeue=True)

    def _settle(self, handles: list[tuple[int, int]], *, ack: bool, requeue: bool = True) -> None:
        channel = self._channel
        tags = sorted(tag for generation, tag in handles if generation == self._generation)
        if channel is None or not tags:
            return
        settled = set(tags)
        try:
            if ack and all(tag in settled for tag in self._unsettled if tag <= tags[-1]):
                # Every outstanding delivery up to the last one is settled here: one frame.
                channel.basic_ack(tags[-1], multiple=True)
            else:
                for tag in tags:
                    if ack:
                        channel.basic_ack(tag)
                    else:
                        channel.basic_nack(tag, requeue=requeue)
        except AMQP_ERRORS as error:
            # Unacknowledged deliveries of a lost channel are redelivered by the broker.
            self._drop(error)
            return
        self._unsettled.difference_update(tags)

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection, self._channel = self._connection, None, None
            self._buffer.clear()
            try:
                # Closing the channel returns unacknowledged deliveries to the queue.
                connection.close()
            except AMQP_ERRORS:
                pass
