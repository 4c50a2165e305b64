"""The RabbitMQ transport against a real broker: Magento's topology and message, the outbox relay
(confirms, concurrent relays, broker refusing connections), acks after commit, redelivery,
retry scheduling and poison messages."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pika
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.operations.model import QUEUE_NAME
from commerce_async.queue.amqp import AmqpSource, Outbox, OutboxRelay
from commerce_async.queue.base import Message
from commerce_async.settings import Settings
from commerce_async.webapi.app import create_app
from tests import backends
from tests.deployment import Template, template_for
from tests.support import admin_token, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rabbitmq")]

TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.post"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return template_for("postgres-amqp", tmp_path_factory)


@pytest.fixture
def services(template: Template) -> Iterator[bootstrap.Services]:
    assert template.vhost is not None
    template.vhost.purge()
    url = backends.create_database(template=backends.database_name(template.url))
    built = bootstrap.build(Settings(db_url=url, queue_url=template.vhost.url, log_level="WARNING"))
    try:
        yield built
    finally:
        built.close()
        backends.drop_database(url)


@pytest.fixture
def vhost(template: Template) -> backends.Vhost:
    assert template.vhost is not None
    return template.vhost


def outbox_size(services: bootstrap.Services) -> int:
    return services.db.run_read(lambda tx: tx.scalar(sa.text("SELECT count(*) FROM queue_message")))


def accept_products(services: bootstrap.Services, count: int, prefix: str) -> str:
    """Accept ``count`` product creations through the async bulk route (the app's own relay
    runs while the test client is open)."""
    token = admin_token(services)
    with TestClient(create_app(services, consumers=0)) as client:
        response = client.post(
            "/rest/async/bulk/V1/products",
            json=[
                {"product": {"sku": f"{prefix}-{i}", "name": f"{prefix} {i}", "price": i + 1}}
                for i in range(count)
            ],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202, response.text
        return response.json()["bulk_uuid"]


def get_all(vhost: backends.Vhost) -> list[tuple[object, object, bytes]]:
    """Take every ready message off the queue (acknowledging them)."""
    connection, channel = vhost.channel()
    taken = []
    try:
        while True:
            method, properties, body = channel.basic_get(QUEUE_NAME, auto_ack=True)  # type: ignore[attr-defined]
            if method is None:
                return taken
            taken.append((method, properties, body))
    finally:
        connection.close()


def test_messages_use_magentos_topology_routing_and_body(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    services.transport.start_relay()  # type: ignore[attr-defined]
    bulk_uuid = accept_products(services, 2, "wire")
    wait_for(lambda: outbox_size(services) == 0, 60)

    connection, channel = vhost.channel()
    try:
        # Declaring with Magento's properties succeeds only if what exists is equivalent.
        channel.exchange_declare("magento", exchange_type="topic", durable=True)  # type: ignore[attr-defined]
        channel.queue_declare(QUEUE_NAME, durable=True)  # type: ignore[attr-defined]
    finally:
        connection.close()
    bindings = backends.rabbitmqctl(
        "list_bindings", "-p", vhost.name, "source_name", "destination_name", "routing_key"
    )
    assert ["magento", QUEUE_NAME, "async.#"] in [line.split() for line in bindings.splitlines()]

    rows = services.db.run_read(
        lambda tx: tx.all(
            sa.text(
                "SELECT operation_key, serialized_data FROM magento_operation "
                "WHERE bulk_uuid = :b ORDER BY operation_key"
            ),
            {"b": bulk_uuid},
        )
    )
    messages = get_all(vhost)
    assert len(messages) == 2
    for (method, properties, body), row in zip(messages, rows, strict=True):
        assert method.routing_key == TOPIC  # type: ignore[attr-defined]
        assert properties.delivery_mode == 2  # type: ignore[attr-defined]
        assert len(properties.message_id) == 64  # type: ignore[attr-defined]
        decoded = json.loads(body)
        assert list(decoded.items()) == [
            ("id", row.operation_key),
            ("bulk_uuid", bulk_uuid),
            ("topic_name", TOPIC),
            ("serialized_data", row.serialized_data),
            ("result_serialized_data", None),
            ("status", 4),
            ("result_message", None),
            ("error_code", None),
        ]


def test_relay_keeps_the_outbox_while_the_broker_is_unreachable_and_drains_it_after(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    proxy = backends.TcpProxy(5672)
    relay = OutboxRelay(backends.with_port(vhost.url, proxy.port), Outbox(services.db, 30.0))
    relay.start()
    try:
        wait_for(lambda: relay.connected, 60)
        proxy.down()
        accept_products_without_relay(services, 5)
        wait_for(lambda: proxy.refused >= 2, 60)  # the relay keeps trying, and is refused
        assert outbox_size(services) == 5  # accepted and durable, not yet published
        assert vhost.queue_depth() == 0
        proxy.up()
        wait_for(lambda: outbox_size(services) == 0, 120)
    finally:
        relay.stop()
        proxy.close()
    assert relay.published == 5
    assert vhost.queue_depth() == 5


def test_concurrent_relays_publish_each_row_exactly_once(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    with services.db.transaction() as tx:
        services.transport.enqueue(
            tx, [Message(TOPIC, "no-such-bulk", key) for key in range(1)], time.time()
        )
    # Rows whose operation does not exist are dropped, not published.
    bulk_uuid = accept_products_without_relay(services, 300)
    relays = [OutboxRelay(vhost.url, Outbox(services.db, 30.0)) for _ in range(3)]
    for relay in relays:
        relay.start()
    try:
        wait_for(lambda: outbox_size(services) == 0, 120)
    finally:
        for relay in relays:
            relay.stop()
    assert sum(relay.published for relay in relays) == 300
    messages = get_all(vhost)
    keys = sorted(json.loads(body)["id"] for _, _, body in messages)
    assert keys == list(range(300))
    assert {json.loads(body)["bulk_uuid"] for _, _, body in messages} == {bulk_uuid}


def accept_products_without_relay(services: bootstrap.Services, count: int) -> str:
    """Operations and outbox rows as the accept path writes them, with no relay running."""
    from commerce_async.operations.model import serialize_operation_data
    from commerce_async.storage import schema

    bulk_uuid = "bulk-relays"
    with services.db.transaction() as tx:
        tx.execute(
            schema.magento_bulk.insert().values(
                uuid=bulk_uuid,
                user_type=2,
                user_id=1,
                operation_count=count,
                start_time="2026-01-01 00:00:00",
            )
        )
        tx.execute(
            schema.magento_operation.insert(),
            [
                {
                    "bulk_uuid": bulk_uuid,
                    "operation_key": key,
                    "topic_name": TOPIC,
                    "serialized_data": serialize_operation_data({}, 1),
                    "status": 4,
                }
                for key in range(count)
            ],
        )
        services.transport.enqueue(
            tx, [Message(TOPIC, bulk_uuid, key) for key in range(count)], time.time()
        )
    return bulk_uuid


def test_unacknowledged_deliveries_come_back_and_acks_follow_the_commit(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    services.transport.start_relay()  # type: ignore[attr-defined]
    bulk_uuid = accept_products(services, 3, "acks")
    wait_for(lambda: vhost.queue_depth() == 3, 60)

    dying = AmqpSource(vhost.url, services.db)
    first = claim_all(dying, 3)
    assert [(d.bulk_uuid, d.operation_key, d.deliveries) for d in first] == [
        (bulk_uuid, 0, 1),
        (bulk_uuid, 1, 1),
        (bulk_uuid, 2, 1),
    ]
    assert vhost.queue_depth() == 0  # all three are with the consumer, unacknowledged
    dying.close()  # the consumer dies before its outcome committed: nothing was acked
    wait_for(lambda: vhost.queue_depth() == 3, 30)

    survivor = AmqpSource(vhost.url, services.db)
    try:
        again = claim_all(survivor, 3)
        assert [(d.operation_key, d.deliveries) for d in again] == [(0, 2), (1, 2), (2, 2)]
        survivor.release(again[2:])  # given back: redelivered at once
        survivor.after_commit(again[:2])
        last = claim_all(survivor, 1)
        assert [(d.operation_key, d.deliveries) for d in last] == [(2, 2)]
        survivor.after_commit(last)
    finally:
        survivor.close()
    # Closing the channel would have returned anything not acknowledged.
    assert vhost.messages() == (0, 0)


def claim_all(source: AmqpSource, count: int) -> list:
    taken: list = []
    deadline = time.monotonic() + 60
    while len(taken) < count and time.monotonic() < deadline:
        taken.extend(source.claim(count - len(taken), timeout=1.0))
    return taken


def test_retry_later_reschedules_through_the_outbox_without_loss(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    services.transport.start_relay()  # type: ignore[attr-defined]
    bulk_uuid = accept_products(services, 1, "retry")
    source = AmqpSource(vhost.url, services.db)
    try:
        [delivery] = claim_all(source, 1)
        with services.db.transaction() as tx:
            source.retry_later(tx, delivery, 1.0, time.time())
        source.after_commit([delivery])
        # The old delivery is acknowledged; the retry waits in the outbox until it is due,
        # then the relay publishes it and it is delivered again.
        [again] = claim_all(source, 1)
        assert (again.bulk_uuid, again.operation_key, again.deliveries) == (bulk_uuid, 0, 1)
        source.after_commit([again])
    finally:
        source.close()
    wait_for(lambda: outbox_size(services) == 0, 30)  # the relay deletes it once confirmed
    assert vhost.queue_depth() == 0


def test_a_message_that_is_not_an_operation_is_rejected_without_requeue(
    services: bootstrap.Services, vhost: backends.Vhost
) -> None:
    connection, channel = vhost.channel()
    try:
        channel.basic_publish(  # type: ignore[attr-defined]
            "magento", TOPIC, b"not json", pika.BasicProperties(delivery_mode=2)
        )
    finally:
        connection.close()
    wait_for(lambda: vhost.queue_depth() == 1, 30)
    source = AmqpSource(vhost.url, services.db)
    try:
        assert source.claim(10, timeout=30) == []
    finally:
        source.close()
    assert vhost.queue_depth() == 0  # not requeued when the channel closed
