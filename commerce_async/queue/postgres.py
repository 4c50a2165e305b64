"""LISTEN/NOTIFY wake-ups for consumers of the database queue on PostgreSQL.

The accept transaction ends with ``NOTIFY commerce_async_queue``; PostgreSQL delivers it to every
listening session when (and only if) that transaction commits. Each idle consumer waits on its
own ``NotifyWaiter`` instead of polling, so a new operation is picked up at once by consumers in
any process on any host; polling stays as the fallback for what NOTIFY cannot announce (a retry
whose time has come, a lease that expired, a lost notification while disconnected).
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

CHANNEL = "commerce_async_queue"

log = logging.getLogger("commerce_async.queue.postgres")


def _libpq_url(db_url: str) -> str:
    """psycopg takes libpq URLs; SQLAlchemy's ``postgresql+psycopg://`` spelling is not one."""
    if db_url.startswith("postgresql+psycopg://"):
        return "postgresql://" + db_url[len("postgresql+psycopg://") :]
    return db_url


class NotifyWaiter:
    """A dedicated autocommit connection that LISTENs on ``commerce_async_queue``.

    Contract: ``wait(timeout)`` returns True as soon as a notification arrived since the previous
    call (or the connection was re-established, as notifications may have been missed), and
    False when ``timeout`` seconds passed without one. It never raises: a lost connection is
    logged once, the call sleeps for its timeout, and the next call reconnects (at most once per
    ``reconnect_interval`` seconds). One waiter belongs to one consumer thread.
    """

    def __init__(self, db_url: str, *, reconnect_interval: float = 1.0) -> None:
        self.url = _libpq_url(db_url)
        self.reconnect_interval = reconnect_interval
        self._conn: psycopg.Connection | None = None
        self._next_attempt = 0.0
        self._lost_logged = False
        self._closed = threading.Event()
        self.notifications = 0
        self._connect()

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def _connect(self) -> bool:
        self._next_attempt = time.monotonic() + self.reconnect_interval
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=5, application_name="commerce-async"
            )
            conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as error:
            if not self._lost_logged:
                log.warning("LISTEN %s unavailable (%s); polling until it is back", CHANNEL, error)
                self._lost_logged = True
            return False
        if self._lost_logged:
            log.info("LISTEN %s re-established", CHANNEL)
        self._lost_logged = False
        self._conn = conn
        return True

    def _drop(self, error: BaseException) -> None:
        if not self._lost_logged:
            log.warning("LISTEN connection lost (%s); polling until it is back", error)
            self._lost_logged = True
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass

    def wait(self, timeout: float) -> bool:
        if self._closed.is_set():
            return False
        if not self.connected:
            if time.monotonic() >= self._next_attempt and self._connect():
                return True
            self._closed.wait(timeout)
            return False
        conn = self._conn
        assert conn is not None
        try:
            # Notifications that arrived while the consumer was busy come first, without
            # blocking: one of them may announce work that the last claim did not see.
            received = list(conn.notifies(timeout=0))
            if not received:
                received = list(conn.notifies(timeout=timeout, stop_after=1))
        except psycopg.Error as error:
            self._drop(error)
            return False
        self.notifications += len(received)
        return bool(received)

    def close(self) -> None:
        self._closed.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass
