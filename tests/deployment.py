"""A whole installation under test: storage + transport chosen by URL, real server and consumer
processes, and direct looks at the database.

Backends (``BACKENDS``): ``sqlite-db`` (the embedded default), ``postgres-db`` (PostgreSQL, the
``queue_message`` table with SKIP LOCKED claims and NOTIFY wake-ups) and ``postgres-amqp``
(PostgreSQL, RabbitMQ through the outbox). A module installs one template database (schema,
default stores, the admin user) and each test works on a fresh copy of it.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from commerce_async import bootstrap, settings
from commerce_async.setup import upgrade
from tests import backends
from tests.support import ConsumerProcess, ServerProcess, admin_token, process_env, wait_for

BACKENDS = ("sqlite-db", "postgres-db", "postgres-amqp")
PRODUCT_SAVED = "Service execution success Magento\\Catalog\\Model\\ProductRepository::save"

# Short leases so that work of a killed process is taken again within the test's patience; a
# small batch so that a run has many batches to interrupt.
PROCESS_SETTINGS = {
    "lease_seconds": "2",
    "consumer_batch": "10",
    "drain_seconds": "10",
    "retry_backoff": "0.05",
    "log_format": "text",
}


def backend_params() -> list[Any]:
    """``BACKENDS`` as pytest params; RabbitMQ users share one xdist group because the
    integration suite restarts the broker."""
    return [
        pytest.param(name, marks=pytest.mark.xdist_group("rabbitmq"))
        if name.endswith("amqp")
        else pytest.param(name)
        for name in BACKENDS
    ]


def _settings(db_url: str, queue_url: str) -> settings.Settings:
    return settings.load(
        environ={},
        db_url=db_url,
        queue_url=queue_url,
        sqlite_synchronous="NORMAL",
        log_level="WARNING",
        lease_seconds=float(PROCESS_SETTINGS["lease_seconds"]),
    )


class Template:
    """An installed database that tests copy: PostgreSQL ``CREATE DATABASE ... TEMPLATE`` or a
    copy of the SQLite file."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self.directory = directory
        self.vhost: backends.Vhost | None = None
        if backend.startswith("postgres"):
            self.url = backends.create_database()
        else:
            self.url = f"sqlite:///{directory / 'template.sqlite3'}"
        services = bootstrap.build(_settings(self.url, "db"))
        try:
            upgrade(services)
            admin_token(services)  # creates the admin user once (password hashing is slow)
        finally:
            services.close()
        if backend.endswith("amqp"):
            self.vhost = backends.Vhost().create()

    def copy(self, directory: Path) -> str:
        if self.backend.startswith("postgres"):
            return backends.create_database(template=backends.database_name(self.url))
        target = directory / "test.sqlite3"
        shutil.copyfile(self.directory / "template.sqlite3", target)
        return f"sqlite:///{target}"

    def drop_copy(self, url: str) -> None:
        if url.startswith("postgresql"):
            backends.drop_database(url)

    def close(self) -> None:
        if self.backend.startswith("postgres"):
            backends.drop_database(self.url)
        if self.vhost is not None:
            self.vhost.delete()


_TEMPLATES: dict[str, Template] = {}


def template_for(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The backend's template, installed once per test session (per xdist worker) and shared by
    every module: installing (migrations, the admin's password hash, a virtual host) is the
    slow part, and each test works on its own copy anyway."""
    if backend not in _TEMPLATES:
        _TEMPLATES[backend] = Template(backend, tmp_path_factory.mktemp(backend))
    return _TEMPLATES[backend]


def drop_templates() -> None:
    while _TEMPLATES:
        _, template = _TEMPLATES.popitem()
        template.close()


class Deployment:
    """One test's installation: its own database copy, the module's RabbitMQ virtual host
    (purged), in-test services for looking at the data, and the processes it started."""

    def __init__(self, template: Template, directory: Path) -> None:
        self.backend = template.backend
        self.template = template
        self.directory = directory
        self.db_url = template.copy(directory)
        self.vhost = template.vhost
        if self.vhost is not None:
            self.vhost.purge()
        self.queue_url = self.vhost.url if self.vhost is not None else "db"
        self.services = bootstrap.build(_settings(self.db_url, self.queue_url))
        self.token = admin_token(self.services)
        self.processes: list[Any] = []
        self._logs: list[Path] = []

    # --- processes --------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        values = {f"COMMERCE_ASYNC_{k.upper()}": v for k, v in PROCESS_SETTINGS.items()}
        values["COMMERCE_ASYNC_QUEUE_URL"] = self.queue_url
        values["COMMERCE_ASYNC_SQLITE_SYNCHRONOUS"] = "NORMAL"
        values.update({f"COMMERCE_ASYNC_{k.upper()}": v for k, v in extra.items()})
        return process_env(self.db_url, **values)

    def _log(self, name: str) -> Path:
        path = self.directory / f"{name}-{len(self._logs)}.log"
        self._logs.append(path)
        return path

    def server(self, consumers: int = 0, **extra: str) -> ServerProcess:
        process = ServerProcess(self.env(**extra), consumers, log_path=self._log("server"))
        self.processes.append(process)
        return process.start(timeout=60)

    def consumer(self, *args: str, **extra: str) -> ConsumerProcess:
        process = ConsumerProcess(self.env(**extra), *args, log_path=self._log("consumer"))
        self.processes.append(process)
        return process.start()

    def wait_started(self, consumer: ConsumerProcess) -> None:
        """Until the consumer's loop runs (its heartbeat row exists; SIGTERM then drains it)."""
        assert consumer.process is not None
        pid = consumer.process.pid
        try:
            wait_for(
                lambda: self.value("SELECT count(*) FROM consumer_heartbeat WHERE pid = :p", p=pid),
                120,
                0.05,
            )
        except AssertionError:
            raise AssertionError(f"consumer {pid} did not start\n{self.logs()}") from None

    def logs(self) -> str:
        parts = []
        for path in self._logs:
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {path.name} ---\n{text[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                process.stop()
        self.services.close()
        self.template.drop_copy(self.db_url)

    # --- HTTP -------------------------------------------------------------------------------------

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post_products(self, server: ServerProcess, products: list[dict[str, Any]]) -> str:
        """One async bulk request creating ``products``; returns its bulk UUID."""
        response = httpx.post(
            f"{server.base_url}/rest/async/bulk/V1/products",
            json=[{"product": product} for product in products],
            headers=self.auth,
            timeout=60,
        )
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["errors"] is False, body
        return body["bulk_uuid"]

    # --- looking at the data ----------------------------------------------------------------------

    def rows(self, sql: str, **params: Any) -> list[Any]:
        return self.services.db.run_read(lambda tx: tx.all(sa.text(sql), params))

    def value(self, sql: str, **params: Any) -> Any:
        return self.services.db.run_read(lambda tx: tx.scalar(sa.text(sql), params))

    def status_counts(self, bulk_uuid: str) -> dict[int, int]:
        rows = self.rows(
            "SELECT status, count(*) AS n FROM magento_operation WHERE bulk_uuid = :b "
            "GROUP BY status",
            b=bulk_uuid,
        )
        return {int(row.status): int(row.n) for row in rows}

    def outbox_size(self) -> int:
        return int(self.value("SELECT count(*) FROM queue_message"))

    def wait_until_done(
        self,
        bulk_uuid: str,
        count: int,
        *,
        failed: int = 0,
        rejected: int = 0,
        timeout: float = 180.0,
    ) -> None:
        """Until ``count`` operations of the bulk succeeded and ``failed`` failed for good (next
        to ``rejected`` rejected ones) and no message is left in the database or the broker."""
        expected = {status: n for status, n in ((1, count), (3, failed), (5, rejected)) if n}

        def done() -> bool:
            if self.status_counts(bulk_uuid) != expected or self.outbox_size():
                return False
            return self.vhost is None or self.vhost.queue_depth() == 0

        try:
            wait_for(done, timeout, interval=0.1)
        except AssertionError:
            raise AssertionError(
                f"bulk {bulk_uuid} not done: {self.status_counts(bulk_uuid)}, "
                f"{self.outbox_size()} message(s) in queue_message\n{self.logs()}"
            ) from None

    def duplicate_messages(self, bulk_uuid: str) -> int:
        """Queue a second message for every operation of the bulk (as a lost ack or a
        republished outbox row would); returns how many."""

        def work(tx: Any) -> int:
            return tx.execute(
                sa.text(
                    "INSERT INTO queue_message (queue_name, topic_name, bulk_uuid, operation_key, "
                    "available_at, deliveries) SELECT 'async.operations.all', topic_name, "
                    "bulk_uuid, operation_key, :now, 0 FROM magento_operation "
                    "WHERE bulk_uuid = :b"
                ),
                {"now": time.time(), "b": bulk_uuid},
            ).rowcount

        return self.services.db.run(work)

    def products(self, skus: list[str]) -> dict[str, tuple[str, float, int]]:
        """``sku -> (name, price, number of entity rows)`` straight from the tables."""
        from commerce_async.catalog.attributes import NAME, PRICE

        rows = self.rows(
            "SELECT e.sku, count(DISTINCT e.entity_id) AS copies, "
            "max(CASE WHEN v.attribute_id = :name THEN v.value_string END) AS name, "
            "max(CASE WHEN v.attribute_id = :price THEN v.value_number END) AS price "
            "FROM catalog_product_entity e "
            "JOIN catalog_product_value v ON v.entity_id = e.entity_id AND v.store_id = 0 "
            "GROUP BY e.sku",
            name=NAME.attribute_id,
            price=PRICE.attribute_id,
        )
        wanted = set(skus)
        return {r.sku: (r.name, float(r.price), int(r.copies)) for r in rows if r.sku in wanted}

    # --- interrupting a consumer in the middle of a batch -----------------------------------------

    def kill_mid_batch(self, consumer: ConsumerProcess, bulk_uuid: str, lock_key: int) -> set[int]:
        """SIGKILL ``consumer`` while it holds claimed work it has not committed; returns the
        keys of operations it was executing.

        PostgreSQL: this test locks operation ``lock_key``'s row; the consumer executes the
        operations before it in its batch (locking their rows), then waits for the lock inside
        its transaction and is killed there. SQLite: the consumer is frozen (SIGSTOP) whenever
        it holds leased messages, and killed if it still holds them once frozen (messages are
        deleted in the transaction that records the outcomes, so they show claimed work that
        was not committed).
        """
        if self.db_url.startswith("postgresql"):
            return self._kill_behind_row_lock(consumer, bulk_uuid, lock_key)
        return self._kill_while_leased(consumer)

    def _kill_behind_row_lock(
        self, consumer: ConsumerProcess, bulk_uuid: str, key: int
    ) -> set[int]:
        operations = "FROM magento_operation WHERE bulk_uuid = :b"
        with self.services.db.engine.connect() as conn, conn.begin():
            conn.execute(
                sa.text(f"SELECT id {operations} AND operation_key = :k FOR UPDATE"),
                {"b": bulk_uuid, "k": key},
            )
            wait_for(lambda: backends.sessions_waiting_on_locks(self.db_url) > 0, 120, 0.05)
            every = {
                row[0]
                for row in conn.execute(
                    sa.text(f"SELECT operation_key {operations}"), {"b": bulk_uuid}
                )
            }
            free = {
                row[0]
                for row in conn.execute(
                    sa.text(f"SELECT operation_key {operations} FOR UPDATE SKIP LOCKED"),
                    {"b": bulk_uuid},
                )
            }
            consumer.kill()
        return (every - free) | {key}

    def _kill_while_leased(self, consumer: ConsumerProcess) -> set[int]:
        process = consumer.process
        assert process is not None
        leased = "SELECT operation_key FROM queue_message WHERE lease_owner IS NOT NULL"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the consumer exited early\n{self.logs()}")
            if self.rows(leased):
                process.send_signal(signal.SIGSTOP)
                keys = {row.operation_key for row in self.rows(leased)}
                if keys:
                    consumer.kill()
                    return keys
                process.send_signal(signal.SIGCONT)
            time.sleep(0.002)
        raise AssertionError(f"the consumer never held claimed work\n{self.logs()}")


@contextlib.contextmanager
def deployment(template: Template, directory: Path) -> Iterator[Deployment]:
    installed = Deployment(template, directory)
    try:
        yield installed
    finally:
        installed.close()
