"""The SQLite file locked by another process for longer than the busy timeout: the API answers a
clear 503 and keeps serving, the group-commit writer fails fast instead of queueing up waits, and
consumers retry until the lock is gone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from commerce_async.operations.consumer import Consumer
from commerce_async.storage.database import DatabaseBusy
from tests.faults import harness
from tests.support import admin_token

BUSY = {"message": "Database lock wait timeout exceeded"}
HOLD_LOCK = (
    "import sqlite3, sys\n"
    "connection = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "connection.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "connection.execute('ROLLBACK')\n"
)


@contextmanager
def locked_by_another_process(path: str) -> Iterator[None]:
    """Hold SQLite's write lock on ``path`` from a separate process until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)


def bulk_count(look: harness.Look) -> int:
    return look.value("SELECT count(*) FROM magento_bulk")


@pytest.mark.acceptance
@pytest.mark.xdist_group("faults")
def test_locked_database_gives_503_then_the_service_and_its_consumer_carry_on(
    tmp_path: Path,
) -> None:
    services = harness.probe_services(tmp_path)
    look = harness.Look(services)
    headers = {"Authorization": f"Bearer {admin_token(services)}"}
    env = harness.env_for(services, sqlite_busy_timeout=0.3)
    server = harness.Server(env, tmp_path / "server.log", consumers=0).start()
    consumer = harness.consumer(env, tmp_path / "consumer.log").start()
    with (
        harness.stopped_at_exit(server, consumer),
        httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client,
    ):
        accepted = client.post(
            "/rest/async/bulk/V1/faults/effects", json=[{"tag": f"before-{i}"} for i in range(50)]
        )
        assert accepted.status_code == 202
        with locked_by_another_process(look.path):
            single = client.post("/rest/async/V1/faults/effects", json={"tag": "while-1"})
            bulk = client.post(
                "/rest/async/bulk/V1/faults/effects", json=[{"tag": "while-2"}, {"tag": "while-3"}]
            )
            synchronous = client.post("/rest/V1/faults/effects", json={"tag": "while-4"})
            read = client.get("/rest/V1/store/websites")
            assert (single.status_code, single.json()) == (503, BUSY)
            assert (bulk.status_code, bulk.json()) == (503, BUSY)
            assert (synchronous.status_code, synchronous.json()) == (503, BUSY)
            assert read.status_code == 200  # readers are never blocked (WAL)
        after = client.post("/rest/async/V1/faults/effects", json={"tag": "after"})
        assert after.status_code == 202
        harness.wait_until(lambda: look.open_operations() == 0, 120, "operations left open")
        assert consumer.alive, consumer.output()

    assert bulk_count(look) == 2  # nothing of the refused requests was stored
    expected = {f"before-{i}" for i in range(50)} | {"after"}
    assert look.effect_tags() == expected
    assert look.duplicated_effects() == []
    assert "Traceback" not in server.output() + consumer.output()


def test_group_commit_fails_a_locked_batch_at_once_instead_of_job_by_job(tmp_path: Path) -> None:
    """Waiting for the lock again for every job of a failed batch would make the last of N
    queued requests wait N busy timeouts; the batch fails once, every job with 503."""
    services = harness.probe_services(tmp_path, sqlite_busy_timeout=0.3)
    attempts = []

    def count_lock_waits(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            attempts.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count_lock_waits)
    try:
        with locked_by_another_process(harness.Look(services).path):
            futures = [services.writer.submit(lambda tx: tx.execute("SELECT 1")) for _ in range(10)]
            errors = [future.exception(60) for future in futures]
        assert all(isinstance(error, DatabaseBusy) for error in errors), errors
        # Ten jobs submitted at once reach the writer in one or two batches: one wait each.
        assert len(attempts) <= 2, len(attempts)
        assert services.writer.submit(lambda tx: tx.scalar("SELECT 7")).result(60) == 7
    finally:
        services.close()


def test_consumer_survives_a_lock_that_outlasts_its_batch_and_finishes_later(
    tmp_path: Path,
) -> None:
    """A consumer whose batch cannot commit (nor even be released) keeps running: the batch's
    leases expire and the operations are executed once the lock is gone."""
    services = harness.probe_services(tmp_path, sqlite_busy_timeout=0.2, lease_seconds=0.5)
    look = harness.Look(services)
    try:
        consumer = Consumer(services, services.new_source(), max_messages=5)
        deliveries = accept_and_claim(services, 5)
        with locked_by_another_process(look.path):
            consumer.process(deliveries)  # must not raise
        assert look.status_counts() == {4: 5}
        thread = threading.Thread(target=consumer.run)
        thread.start()
        thread.join(120)
        assert not thread.is_alive()
        assert look.status_counts() == {1: 5}
        assert len(look.effect_tags()) == 5 and look.duplicated_effects() == []
    finally:
        services.close()


def accept_and_claim(services, count: int):
    """Accept ``count`` probe operations through the real acceptor and claim them."""
    import asyncio

    from commerce_async.operations.accept import prepare
    from commerce_async.webapi.routes import SYSTEM

    route = services.routes.match("POST", ["V1", "faults", "effects"])[0]
    store = services.stores.snapshot.default_store
    items = [prepare(route, key, {"tag": f"t-{key}"}, store) for key in range(count)]
    asyncio.run(services.acceptor.accept(route, SYSTEM, items))
    services.writer.stop()
    return services.new_source().claim(count, timeout=5)


def test_sqlite_lock_helper_really_locks(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with locked_by_another_process(str(path)):
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
