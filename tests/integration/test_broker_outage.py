"""A RabbitMQ outage in the middle of a run, with real server and consumer processes: the HTTP
API keeps accepting into the outbox, nothing accepted is lost, nothing is applied twice.

The processes reach the broker through a TCP proxy that the test cuts (every connection
dropped, new ones refused, as when the broker host dies or is partitioned away); after it is
back, the broker itself closes every connection of the test's virtual host. Only this test's
connections are affected, so it can run next to other tests using the same broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import backends
from tests.contract.test_async_operations import assert_applied_once, catalogue
from tests.deployment import Deployment, Template, deployment, template_for
from tests.support import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rabbitmq")]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return template_for("postgres-amqp", tmp_path_factory)


@pytest.fixture
def stack(template: Template, tmp_path: Path) -> Iterator[Deployment]:
    with deployment(template, tmp_path) as installed:
        yield installed


def progress(stack: Deployment, bulk_uuid: str) -> int:
    return stack.status_counts(bulk_uuid).get(1, 0)


def test_broker_outage_mid_run_loses_nothing_and_api_keeps_accepting(
    stack: Deployment,
) -> None:
    assert stack.vhost is not None
    proxy = backends.TcpProxy(5672)
    stack.queue_url = backends.with_port(stack.vhost.url, proxy.port)
    try:
        server = stack.server()
        consumers = [stack.consumer(), stack.consumer()]
        for consumer in consumers:
            stack.wait_started(consumer)
        first = catalogue("outage-a", 60)
        bulk_a = stack.post_products(server, first)
        wait_for(lambda: progress(stack, bulk_a) > 0, 120)

        proxy.down()
        second = catalogue("outage-b", 30)
        bulk_b = stack.post_products(server, second)  # 202 while the broker is unreachable
        wait_for(lambda: proxy.refused >= 3, 120)  # the processes keep trying to reconnect
        waiting = stack.value("SELECT count(*) FROM queue_message WHERE bulk_uuid = :b", b=bulk_b)
        assert waiting == 30  # durable in the outbox until the broker is back
        assert progress(stack, bulk_b) == 0

        proxy.up()
        wait_for(lambda: progress(stack, bulk_b) > 0, 120)
        stack.vhost.close_connections()  # now the broker drops everyone itself
        stack.wait_until_done(bulk_a, len(first))
        stack.wait_until_done(bulk_b, len(second))
        assert [consumer.stop() for consumer in consumers] == [0, 0]
    finally:
        proxy.close()
    assert_applied_once(stack, bulk_a, first)
    assert_applied_once(stack, bulk_b, second)
