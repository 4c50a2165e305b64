"""The database queue on PostgreSQL: NOTIFY wake-ups, SKIP LOCKED claims, connection loss."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from commerce_async import bootstrap
from commerce_async.queue.base import Message
from commerce_async.queue.database import DatabaseSource, Doorbell
from commerce_async.queue.postgres import NotifyWaiter
from commerce_async.settings import Settings
from tests import backends
from tests.deployment import Template, template_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return template_for("postgres-db", tmp_path_factory)


@pytest.fixture
def services(template: Template) -> Iterator[bootstrap.Services]:
    url = backends.create_database(template=backends.database_name(template.url))
    built = bootstrap.build(Settings(db_url=url, log_level="WARNING"))
    try:
        yield built
    finally:
        built.close()
        backends.drop_database(url)


def enqueue(services: bootstrap.Services, count: int, bulk: str = "bulk") -> None:
    """Commit ``count`` messages the way the accept path does (with its NOTIFY)."""
    with services.db.transaction() as tx:
        services.transport.enqueue(
            tx, [Message("async.test", bulk, key) for key in range(count)], time.time()
        )


def test_waiter_returns_on_a_committed_notify_and_not_before(
    services: bootstrap.Services,
) -> None:
    waiter = NotifyWaiter(services.settings.db_url)
    try:
        assert waiter.connected
        assert waiter.wait(0.05) is False
        enqueue(services, 1)
        # Waits up to a minute: only the notification can end it early with True.
        assert waiter.wait(60) is True
        assert waiter.wait(0.05) is False
        # A rolled-back transaction notifies nobody.
        with pytest.raises(RuntimeError), services.db.transaction() as tx:
            services.transport.enqueue(tx, [Message("async.test", "gone", 0)], time.time())
            raise RuntimeError("roll back")
        assert waiter.wait(0.2) is False
    finally:
        waiter.close()


def test_waiter_reconnects_after_its_session_is_killed(services: bootstrap.Services) -> None:
    waiter = NotifyWaiter(services.settings.db_url, reconnect_interval=0)
    try:
        assert waiter.connected
        assert backends.terminate_connections(services.settings.db_url) >= 1
        assert waiter.wait(5) is False  # notices the loss
        assert waiter.connected is False
        assert waiter.wait(5) is True  # reconnected: notifications may have been missed
        assert waiter.connected
        enqueue(services, 1)
        assert waiter.wait(60) is True
    finally:
        waiter.close()


class RecordingWaiter(NotifyWaiter):
    """Records what each wait returned: True means a notification ended it."""

    def __init__(self, db_url: str) -> None:
        super().__init__(db_url)
        self.results: list[bool] = []

    def wait(self, timeout: float) -> bool:
        woken = super().wait(timeout)
        self.results.append(woken)
        return woken


def test_idle_consumer_claim_is_woken_by_notify(services: bootstrap.Services) -> None:
    waiter = RecordingWaiter(services.settings.db_url)
    source = DatabaseSource(services.db, Doorbell(), 60.0, max_poll_interval=3600.0, waiter=waiter)
    claimed: list = []
    try:
        thread = threading.Thread(target=lambda: claimed.extend(source.claim(10, timeout=300)))
        thread.start()
        # Each empty poll doubles the next wait; after ten, the claim sleeps a second or more,
        # so the commit below lands while it sleeps.
        deadline = time.monotonic() + 60
        while len(waiter.results) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(waiter.results)
        enqueue(services, 3)
        thread.join(300)
        assert [(d.bulk_uuid, d.operation_key, d.deliveries) for d in claimed] == [
            ("bulk", 0, 1),
            ("bulk", 1, 1),
            ("bulk", 2, 1),
        ]
        assert waiter.results[-1] is True  # the claim ended because of the notification
    finally:
        source.close()


def test_concurrent_claims_skip_locked_rows_and_share_the_work(
    services: bootstrap.Services,
) -> None:
    enqueue(services, 200)
    sources = [DatabaseSource(services.db, Doorbell(), 60.0) for _ in range(4)]
    results: list[list[int]] = [[] for _ in sources]
    start = threading.Barrier(len(sources))

    def drain(index: int) -> None:
        start.wait()
        while True:
            batch = sources[index].claim(7, timeout=0)
            if not batch:
                return
            results[index].extend(d.operation_key for d in batch)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [key for keys in results for key in keys]
    assert sorted(every) == list(range(200))  # each message claimed by exactly one consumer


def test_claims_survive_killed_sessions(services: bootstrap.Services) -> None:
    enqueue(services, 5)
    source = DatabaseSource(services.db, Doorbell(), 60.0)
    # Sessions of the pool die (a failover, an administrator); the pool checks connections
    # before use and opens new ones.
    assert source.claim(2, timeout=0)
    assert backends.terminate_connections(services.settings.db_url) >= 1
    assert [d.operation_key for d in source.claim(10, timeout=0)] == [2, 3, 4]
