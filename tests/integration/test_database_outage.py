"""PostgreSQL sessions killed in the middle of a run (what a failover or an administrator does to
clients), with real server and consumer processes, on both queues: nothing accepted is lost,
nothing is applied twice, and the processes carry on without a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import backends
from tests.contract.test_async_operations import assert_applied_once, catalogue
from tests.deployment import Deployment, Template, deployment, template_for
from tests.support import ServerProcess, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("postgres-db"),
        pytest.param("postgres-amqp", marks=pytest.mark.xdist_group("rabbitmq")),
    ],
)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    return template_for(request.param, tmp_path_factory)


@pytest.fixture
def stack(template: Template, tmp_path: Path) -> Iterator[Deployment]:
    with deployment(template, tmp_path) as installed:
        yield installed


def progress(stack: Deployment, bulk_uuid: str) -> int:
    return stack.status_counts(bulk_uuid).get(1, 0)


class Poster:
    """A client sending small bulks one after another, in a thread, until stopped."""

    def __init__(self, stack: Deployment, server: ServerProcess) -> None:
        self.stack = stack
        self.url = f"{server.base_url}/rest/async/bulk/V1/products"
        self.accepted: list[tuple[str, list[dict]]] = []
        self.answers: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(headers=self.stack.auth, timeout=60) as client:
            while not self._stop.is_set():
                products = catalogue(f"pgkill-{len(self.answers)}", 5)
                response = client.post(self.url, json=[{"product": p} for p in products])
                self.answers.append(response.status_code)
                if response.status_code == 202:
                    self.accepted.append((response.json()["bulk_uuid"], products))

    def __enter__(self) -> Poster:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(120)


def test_database_sessions_killed_mid_run_lose_nothing(stack: Deployment) -> None:
    server = stack.server()
    consumers = [stack.consumer(), stack.consumer()]
    for consumer in consumers:
        stack.wait_started(consumer)

    with Poster(stack, server) as poster:
        for _kill in range(2):
            seen = len(poster.accepted)
            wait_for(lambda seen=seen: len(poster.accepted) >= seen + 3, 120)
            first_bulk = poster.accepted[0][0]
            wait_for(lambda first_bulk=first_bulk: progress(stack, first_bulk) > 0, 120)
            assert backends.terminate_connections(stack.db_url) > 0
        seen = len(poster.accepted)
        wait_for(lambda: len(poster.accepted) >= seen + 3, 120)  # accepting again

    # A request caught by the loss is answered 503 (the client may send it again), never 500.
    assert set(poster.answers) <= {202, 503}, poster.answers
    for bulk_uuid, products in poster.accepted:
        stack.wait_until_done(bulk_uuid, len(products))
    assert [consumer.process.poll() for consumer in consumers] == [None, None]
    assert [consumer.stop() for consumer in consumers] == [0, 0]
    for bulk_uuid, products in poster.accepted:
        assert_applied_once(stack, bulk_uuid, products)
