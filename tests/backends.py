"""Real PostgreSQL and RabbitMQ for the contract and integration suites.

Each test module gets its own PostgreSQL database and RabbitMQ virtual host, so modules can run in
parallel (pytest-xdist) without sharing state; a service that cannot be reached FAILS the test
with a message saying how to start it, never skips it.

- PostgreSQL: ``TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``),
  a maintenance database in which ``ca_test_<random>`` databases are created and dropped.
- RabbitMQ: ``TEST_AMQP_URL`` (default ``amqp://guest:guest@127.0.0.1:5672/``); virtual hosts
  ``ca_test_<random>`` are created with ``rabbitmqctl`` (no management plugin needed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import urllib.parse
import uuid
from collections.abc import Iterator

import pika
import pika.exceptions
import psycopg
import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
START_HINT = (
    "Start the services with .ci/run (it starts PostgreSQL and RabbitMQ when they are down)."
)


def unique_name() -> str:
    return "ca_test_" + uuid.uuid4().hex[:12]


# --- PostgreSQL -----------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def postgres_admin() -> psycopg.Connection:
    """An autocommit connection to the maintenance database, or a test failure saying why."""
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        pytest.fail(f"PostgreSQL is required at {POSTGRES_URL}: {error}\n{START_HINT}", False)


def create_database(template: str | None = None) -> str:
    """A new empty database (or a copy of ``template``); returns its ``postgresql://`` URL."""
    name = unique_name()
    with postgres_admin() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(f"CREATE DATABASE {name}{suffix}")
    return _with_database(POSTGRES_URL, name)


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def drop_database(url: str) -> None:
    with postgres_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database_name(url)} WITH (FORCE)")


def terminate_connections(url: str) -> int:
    """Kill every server session on the database (what a PostgreSQL failover or restart does to
    clients); returns how many were killed."""
    with postgres_admin() as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_name(url),),
        ).fetchone()
    return int(row[0]) if row else 0


def sessions_waiting_on_locks(url: str) -> int:
    with postgres_admin() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (database_name(url),),
        ).fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    url = create_database(template)
    try:
        yield url
    finally:
        drop_database(url)


# --- RabbitMQ -------------------------------------------------------------------------------------


def rabbitmqctl(*args: str) -> str:
    executable = shutil.which("rabbitmqctl")
    if executable is None:
        pytest.fail(f"rabbitmqctl is required to manage test virtual hosts.\n{START_HINT}", False)
    result = subprocess.run(
        [executable, "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            f"rabbitmqctl {' '.join(args)} failed ({result.returncode}): "
            f"{result.stderr.strip() or result.stdout.strip()}\n{START_HINT}",
            False,
        )
    return result.stdout


def require_rabbitmq(url: str = AMQP_URL) -> None:
    try:
        pika.BlockingConnection(pika.URLParameters(url)).close()
    except pika.exceptions.AMQPError as error:
        pytest.fail(f"RabbitMQ is required at {url}: {error!r}\n{START_HINT}", False)


class Vhost:
    """A RabbitMQ virtual host of its own: Magento's fixed queue name, isolated per test module."""

    def __init__(self) -> None:
        self.name = unique_name()
        parts = urllib.parse.urlsplit(AMQP_URL)
        self.user = urllib.parse.unquote(parts.username or "guest")
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def create(self) -> Vhost:
        require_rabbitmq()
        rabbitmqctl("add_vhost", self.name)
        self.grant()
        return self

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)

    def grant(self) -> None:
        rabbitmqctl("set_permissions", "-p", self.name, self.user, ".*", ".*", ".*")

    def revoke(self) -> None:
        """Refuse every connection to this virtual host: to its clients the broker is down."""
        rabbitmqctl("clear_permissions", "-p", self.name, self.user)

    def close_connections(self, reason: str = "test: broker outage") -> None:
        rabbitmqctl("close_all_connections", "-p", self.name, reason)

    def channel(self) -> tuple[pika.BlockingConnection, object]:
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        return connection, connection.channel()

    def purge(self) -> None:
        from commerce_async.queue.amqp import declare_topology

        connection, channel = self.channel()
        try:
            declare_topology(channel)  # type: ignore[arg-type]
            channel.queue_purge("async.operations.all")  # type: ignore[attr-defined]
        finally:
            connection.close()

    def queue_depth(self) -> int:
        """Messages ready in ``async.operations.all`` (not counting unacknowledged ones)."""
        connection, channel = self.channel()
        try:
            frame = channel.queue_declare("async.operations.all", passive=True)  # type: ignore[attr-defined]
            return int(frame.method.message_count)
        finally:
            connection.close()

    def messages(self) -> tuple[int, int]:
        """``(ready, unacknowledged)`` messages of ``async.operations.all`` (slow: it runs
        ``rabbitmqctl``; ``queue_depth`` is the quick look at ready messages)."""
        output = rabbitmqctl(
            "list_queues", "-p", self.name, "name", "messages_ready", "messages_unacknowledged"
        )
        for line in output.splitlines():
            parts = line.split()
            if parts and parts[0] == "async.operations.all":
                return int(parts[1]), int(parts[2])
        return 0, 0


def with_port(url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urllib.parse.urlunsplit(
        parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host)
    )


class TcpProxy:
    """A TCP forwarder in front of a service, to cut it off from its clients at will.

    ``down()`` drops every forwarded connection and refuses new ones (each is accepted and
    closed at once), which is what clients see when a broker host dies or is partitioned;
    ``up()`` lets connections through again. Only the clients pointed at the proxy are
    affected, so tests running in parallel against the same service are not.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.refused = 0
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._up.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source)
            self._drop(sink)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def down(self) -> None:
        self._up.clear()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._drop(sock)

    def up(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closed.set()
        self.down()
        self._listener.close()
        self._thread.join(5)
