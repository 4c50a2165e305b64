"""The consumer of ``async.operations.all``: claims operations and executes them, exactly once.

A batch of claimed deliveries runs in ONE transaction; each operation inside its own savepoint.
For each delivery the consumer reads the operation row (locked ``FOR UPDATE`` on PostgreSQL; SQLite
transactions hold the write lock), skips it if it is already terminal (a redelivery), otherwise
runs the route's handler in the operation's store scope and as the user that sent it, and records
the outcome and removes the message in that same transaction. Either all of that commits or none
of it does, so a crash at any point leaves the operation open with its message, and its effect is
applied once whatever the number of deliveries.

Outcomes (Magento's table, with its defects fixed):
- success: status 1, ``Service execution success <class>::<method>``, the synchronous response
  JSON in ``result_serialized_data``, ``serialized_data`` NULL;
- a business error (``CommerceError``): status 3, its rendered message and code;
- a transient error: status 2, retried automatically with exponential backoff until
  ``max_attempts`` executions, then it stays failed (status 2) for an operator to retry;
- an unexpected exception: status 3 with the exception text (the consumer never dies of it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from commerce_async.errors import CommerceError
from commerce_async.operations import sensitive
from commerce_async.operations.model import (
    COMPLETE,
    NOT_RETRIABLY_FAILED,
    OPEN,
    QUEUE_NAME,
    RETRIABLY_FAILED,
    parse_operation_data,
    utc_text,
)
from commerce_async.queue.base import Delivery, Source
from commerce_async.storage import schema
from commerce_async.storage.database import Tx, is_transient, translate
from commerce_async.webapi.dispatch import convert_args
from commerce_async.webapi.routes import GUEST, ServiceContext, UserContext

log = logging.getLogger("commerce_async.consumer")

_encode = msgspec.json.encode
RESULT_MESSAGE_LIMIT = 65535

_LOAD_SQL = """
    SELECT o.id, o.operation_key, o.status, o.serialized_data, o.sensitive_data, o.topic_name,
           o.attempts, b.user_type, b.user_id
      FROM magento_operation o JOIN magento_bulk b ON b.uuid = o.bulk_uuid
     WHERE o.bulk_uuid = :bulk_uuid AND o.operation_key IN :keys
"""
LOAD = sa.text(_LOAD_SQL).bindparams(sa.bindparam("keys", expanding=True))
LOAD_FOR_UPDATE = sa.text(_LOAD_SQL + " FOR UPDATE OF o").bindparams(
    sa.bindparam("keys", expanding=True)
)
# Success clears serialized_data (Magento does); failures keep it for inspection and retry.
# Secrets go as soon as the outcome is final (no automatic retry left to need them).
RECORD_SQL = (
    "UPDATE magento_operation SET status = ?, result_message = ?, error_code = ?,"
    " result_serialized_data = ?,"
    " serialized_data = CASE WHEN ? = 1 THEN NULL ELSE serialized_data END,"
    " sensitive_data = CASE WHEN ? = 1 THEN NULL ELSE sensitive_data END,"
    " started_at = ?, finished_at = ?, attempts = ? WHERE id = ?"
)


@dataclass(slots=True)
class Outcome:
    status: int
    message: str
    error_code: int | None = None
    result: str | None = None
    retry_delay: float | None = None


class Consumer:
    """One consumer loop. Run it in a thread (``serve --consumers N``) or a process
    (``queue:consumers:start``); stop it with ``stop()`` (SIGTERM does that)."""

    def __init__(
        self,
        services: Any,
        source: Source,
        *,
        name: str = QUEUE_NAME,
        max_messages: int | None = None,
        on_outcome: Callable[[Delivery, Outcome, float], None] | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.source = source
        self.name = name
        self.max_messages = max_messages
        self.processed = 0
        self.consumer_id = (
            f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{id(self)}"
        )
        self._stop = threading.Event()
        self._stop_deadline: float | None = None
        self._last_heartbeat = 0.0
        self.on_outcome = on_outcome
        self._users: dict[tuple[int | None, int | None], UserContext] = {}

    # --- lifecycle -------------------------------------------------------------------------------

    def stop(self, drain_seconds: float | None = None) -> None:
        drain = self.settings.drain_seconds if drain_seconds is None else drain_seconds
        self._stop_deadline = time.monotonic() + drain
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> int:
        self._heartbeat("running", force=True)
        try:
            while not self._stop.is_set():
                if self.max_messages is not None and self.processed >= self.max_messages:
                    break
                limit = self.settings.consumer_batch
                if self.max_messages is not None:
                    limit = min(limit, self.max_messages - self.processed)
                try:
                    deliveries = self.source.claim(limit, timeout=0.5)
                except CommerceError as error:
                    log.warning("claim failed: %s; retrying", error.rendered())
                    self._stop.wait(1.0)
                    continue
                if deliveries:
                    self.process(deliveries)
                self._heartbeat("running")
        finally:
            self._heartbeat("stopped", force=True)
            self.source.close()
        return self.processed

    def _heartbeat(self, state: str, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_heartbeat < 2.0:
            return
        self._last_heartbeat = now
        table = schema.consumer_heartbeat
        values = {
            "consumer_name": self.name,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "last_seen": now,
            "processed": self.processed,
            "state": state,
        }
        try:
            with self.services.db.transaction() as tx:
                updated = tx.execute(
                    table.update().where(table.c.consumer_id == self.consumer_id).values(**values)
                ).rowcount
                if not updated:
                    tx.execute(
                        table.insert().values(
                            consumer_id=self.consumer_id, started_at=now, **values
                        )
                    )
        except Exception as error:
            log.warning("heartbeat failed: %s", error)

    # --- a batch ---------------------------------------------------------------------------------

    def process(self, deliveries: list[Delivery]) -> None:
        """Execute a claimed batch in one transaction (see the module docstring)."""
        done: list[tuple[Delivery, Outcome | None, float]] = []
        handled: list[Delivery] = []
        try:
            prepared = self._prepare(deliveries)
            # Stores created since the last batch (from the CLI, say) are seen at once.
            self.services.stores.refresh_if_changed()
            with self.services.db.transaction() as tx:
                operations = self._load_operations(tx, deliveries)
                settled: list[Delivery] = []
                records: list[tuple[Any, ...]] = []
                for delivery in deliveries:
                    if self._past_drain_deadline():
                        break
                    started = time.time()
                    operation = operations.get((delivery.bulk_uuid, delivery.operation_key))
                    outcome = self._execute(
                        tx, delivery, operation, started, settled, records, prepared
                    )
                    handled.append(delivery)
                    done.append((delivery, outcome, started))
                self._settle(tx, settled)
                tx.raw_executemany(RECORD_SQL, records)
        except Exception as error:
            error = translate(error)
            log.warning("batch of %d failed before commit (%s); released", len(deliveries), error)
            self._release(deliveries)
            self._stop.wait(0.2)
            return
        self.source.after_commit(handled)
        remaining = [d for d in deliveries if d not in handled]
        if remaining:
            self._release(remaining)
        finished = time.time()
        for delivery, outcome, started in done:
            if outcome is not None:
                self.processed += 1
                _log_outcome(delivery, outcome, finished - started)
                if self.on_outcome is not None:
                    self.on_outcome(delivery, outcome, finished - started)

    def _settle(self, tx: Tx, deliveries: list[Delivery]) -> None:
        settle_many = getattr(self.source, "settle_many", None)
        if settle_many is not None:
            settle_many(tx, deliveries)
        else:
            for delivery in deliveries:
                self.source.settle(tx, delivery)

    def _release(self, deliveries: list[Delivery]) -> None:
        # Giving deliveries back early is an optimisation: when it fails too (the database or
        # the broker is down), leases expire and unacknowledged messages are redelivered.
        try:
            self.source.release(deliveries)
        except Exception as error:
            log.warning("could not release %d deliveries (%s)", len(deliveries), error)

    def _past_drain_deadline(self) -> bool:
        return (
            self._stop.is_set()
            and self._stop_deadline is not None
            and time.monotonic() > self._stop_deadline
        )

    def _load_operations(
        self, tx: Tx, deliveries: list[Delivery], *, lock: bool = True
    ) -> dict[tuple[str, int], Any]:
        """The batch's operation rows with their bulk's user, one query per bulk (locked
        ``FOR UPDATE`` on PostgreSQL so concurrent consumers of a redelivery serialize)."""
        keys_by_bulk: dict[str, list[int]] = {}
        for delivery in deliveries:
            keys_by_bulk.setdefault(delivery.bulk_uuid, []).append(delivery.operation_key)
        statement = LOAD_FOR_UPDATE if lock and tx.dialect == "postgresql" else LOAD
        found: dict[tuple[str, int], Any] = {}
        for bulk_uuid, keys in keys_by_bulk.items():
            for row in tx.execute(statement, {"bulk_uuid": bulk_uuid, "keys": keys}):
                found[(bulk_uuid, row.operation_key)] = row
        return found

    def _prepare(self, deliveries: list[Delivery]) -> dict[int, dict[str, Any]]:
        """Run the ``prepare`` step of the batch's routes that have one (password hashing)
        before the batch transaction opens: ``{operation id: prepared arguments}``. An
        operation whose step fails is left to the handler path, which reports the error."""
        routes = self.services.routes.by_topic
        slow = [d for d in deliveries if getattr(routes.get(d.topic), "prepare", None)]
        if not slow:
            return {}
        prepared: dict[int, dict[str, Any]] = {}
        with self.services.db.read() as tx:
            operations = self._load_operations(tx, slow, lock=False)
            for delivery in slow:
                operation = operations.get((delivery.bulk_uuid, delivery.operation_key))
                if operation is None or operation.status not in (OPEN, RETRIABLY_FAILED):
                    continue
                route = routes[delivery.topic]
                try:
                    input_data, _ = operation_input(route, operation)
                    user = self._user(tx, operation.user_type, operation.user_id)
                    prepared[operation.id] = route.prepare(user, convert_args(route, input_data))
                except Exception:
                    continue
        return prepared

    def _execute(
        self,
        tx: Tx,
        delivery: Delivery,
        operation: Any,
        started: float,
        settled: list[Delivery],
        records: list[tuple[Any, ...]],
        prepared: dict[int, dict[str, Any]],
    ) -> Outcome | None:
        if operation is None or operation.status not in (OPEN, RETRIABLY_FAILED):
            # Redelivery of a finished operation (or of one whose bulk was deleted): drop it.
            settled.append(delivery)
            return None
        attempts = operation.attempts + 1
        outcome = self._run_handler(tx, operation, started, prepared.get(operation.id))
        final = True
        if outcome.status == RETRIABLY_FAILED and attempts < self.settings.max_attempts:
            outcome.retry_delay = self.settings.retry_backoff * (2 ** (attempts - 1))
            self.source.retry_later(tx, delivery, outcome.retry_delay, time.time())
            final = False
        else:
            settled.append(delivery)
        records.append(
            (
                outcome.status,
                outcome.message[:RESULT_MESSAGE_LIMIT],
                outcome.error_code,
                outcome.result,
                1 if outcome.status == COMPLETE else 0,
                1 if final else 0,
                utc_text(started),
                time.time(),
                attempts,
                operation.id,
            )
        )
        return outcome

    def _run_handler(
        self, tx: Tx, operation: Any, started: float, prepared: dict[str, Any] | None = None
    ) -> Outcome:
        services = self.services
        try:
            route = services.routes.route_for_topic(operation.topic_name)
            input_data, store_id = operation_input(route, operation)
            store = services.stores.snapshot.stores.get(store_id)
            if store is None:
                store = services.stores.reload().stores.get(store_id)
            if store is None:
                raise CommerceError(
                    "The store that was requested wasn't found. Verify the store and try again."
                )
            user = self._user(tx, operation.user_type, operation.user_id)
            args = prepared if prepared is not None else convert_args(route, input_data)
            if prepared is None and route.prepare is not None:
                args = route.prepare(user, args)
        except CommerceError as error:
            return Outcome(NOT_RETRIABLY_FAILED, error.rendered(), error.code)
        except Exception as error:
            return Outcome(NOT_RETRIABLY_FAILED, f"Invalid operation data: {error}", 0)
        # Every handler gets the batch transaction here, so its effect commits with the outcome.
        ctx = ServiceContext(tx, store, user, services, started)
        try:
            with tx.driver_savepoint():
                result = route.handler(ctx, args)
        except CommerceError as error:
            status = RETRIABLY_FAILED if is_transient(error) else NOT_RETRIABLY_FAILED
            return Outcome(status, _message(error), error.code)
        except Exception as error:
            if is_transient(error):
                failure = translate(error)
                raise failure from error
            return Outcome(NOT_RETRIABLY_FAILED, self._unexpected(operation, error), 0)
        encoded = None if result is None else _encode(result).decode()
        return Outcome(COMPLETE, route.success_message, None, encoded)

    def _unexpected(self, operation: Any, error: Exception) -> str:
        """The result message of an unexpected failure. Its text may name internals (hosts,
        SQL, credentials in a URL), so like the web edge's 500 it goes to the log under a report
        id and the operation, which bulk readers see, says only where to look; developer mode
        shows it."""
        report = f"consumer-{uuid.uuid4().hex[:13]}"
        log.exception(
            "operation %s failed unexpectedly (%s)",
            operation.id,
            report,
            extra={"report_id": report},
        )
        if self.settings.developer_mode:
            return f"{type(error).__name__}: {error}"
        return f"Internal Error. Details are available in the log. Report ID: {report}"

    def _user(self, tx: Tx, user_type: int | None, user_id: int | None) -> UserContext:
        if user_type is None or user_id is None:
            return GUEST
        key = (user_type, user_id)
        user = self._users.get(key)
        if user is None:
            loader = self.services.user_loaders.get(user_type)
            user = (loader(tx, user_id) if loader else None) or UserContext(user_type, user_id)
            if len(self._users) > 1000:
                self._users.clear()
            self._users[key] = user
        return user


def _log_outcome(delivery: Delivery, outcome: Outcome, seconds: float) -> None:
    """One line per committed outcome: DEBUG when the operation completed, WARNING when it
    failed (with what an operator needs to find it and decide on a retry)."""
    failed = outcome.status != COMPLETE
    level = logging.WARNING if failed else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    fields: dict[str, Any] = {
        "bulk_uuid": delivery.bulk_uuid,
        "operation_key": delivery.operation_key,
        "topic": delivery.topic,
        "status": outcome.status,
        "seconds": round(seconds, 6),
    }
    if failed:
        fields["error_code"] = outcome.error_code
        fields["result_message"] = outcome.message
        fields["retry_in_seconds"] = outcome.retry_delay
    log.log(level, "operation failed" if failed else "operation complete", extra=fields)


def operation_input(route: Any, operation: Any) -> tuple[dict[str, Any], int]:
    """The operation's input as accepted (its secrets back in place) and its store id."""
    input_data, store_id = parse_operation_data(operation.serialized_data)
    if route.sensitive:
        sensitive.restore(input_data, route.sensitive, operation.sensitive_data)
    return input_data, store_id


def _message(error: CommerceError) -> str:
    if error.errors:
        return "; ".join(item.rendered() for item in error.errors)
    return error.rendered()
