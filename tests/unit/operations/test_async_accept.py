"""The async accept path and the consumer, through the whole app, on the echo routes."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from commerce_async.operations.consumer import Consumer
from commerce_async.storage import schema
from tests import echo_routes
from tests.support import integration_token

JSON = {"Content-Type": "application/json"}


def run_consumer(services, max_messages: int = 1000) -> int:
    consumer = Consumer(services, services.new_source(), max_messages=max_messages)
    processed = 0
    while True:
        deliveries = consumer.source.claim(services.settings.consumer_batch, timeout=0)
        if not deliveries:
            return processed
        consumer.process(deliveries)
        processed += len(deliveries)


def rows(services, table) -> list:
    return services.db.run_read(lambda tx: tx.all(sa.select(table)))


def operation(services, bulk_uuid: str, key: int = 0):
    table = schema.magento_operation
    return services.db.run_read(
        lambda tx: tx.first(
            sa.select(table).where(table.c.bulk_uuid == bulk_uuid, table.c.operation_key == key)
        )
    )


def post_async(client, path, body, headers, store="default", method="POST"):
    return client.request(
        method, f"/rest/{store}/async/V1/{path}", headers={**headers, **JSON}, json=body
    )


def test_single_request_is_accepted_durably(echo: TestClient, echo_services, echo_auth) -> None:
    response = post_async(echo, "echo/items", {"item": {"sku": "A", "price": 29}}, echo_auth)
    assert response.status_code == 202
    body = response.json()
    assert list(body) == ["bulk_uuid", "request_items", "errors"]
    bulk_uuid = body["bulk_uuid"]
    stored = operation(echo_services, bulk_uuid)
    assert stored.serialized_data == (
        '{"entity_id":null,"entity_link":"","meta_information":'
        '"{\\"item\\":{\\"sku\\":\\"A\\",\\"price\\":29}}","store_id":"1"}'
    )
    assert body["request_items"] == [
        {
            "id": 0,
            "data_hash": hashlib.sha256(stored.serialized_data.encode()).hexdigest(),
            "status": "accepted",
        }
    ]
    assert body["errors"] is False
    assert stored.status == 4 and stored.topic_name == (
        "async.tests.echo.api.itemrepositoryinterface.save.post"
    )
    (bulk,) = rows(echo_services, schema.magento_bulk)
    assert (bulk.uuid, bulk.user_type, bulk.operation_count, bulk.description) == (
        bulk_uuid,
        2,
        1,
        "Topic async.tests.echo.api.itemrepositoryinterface.save.post",
    )
    assert [(m.bulk_uuid, m.operation_key) for m in rows(echo_services, schema.queue_message)] == [
        (bulk_uuid, 0)
    ]


def test_put_path_parameter_is_written_into_the_body(echo, echo_services, echo_auth) -> None:
    response = post_async(
        echo, "echo/items/24-MB01", {"item": {"price": 29}}, echo_auth, method="PUT"
    )
    assert response.status_code == 202
    stored = operation(echo_services, response.json()["bulk_uuid"])
    meta = json.loads(json.loads(stored.serialized_data)["meta_information"])
    assert meta == {"item": {"price": 29, "sku": "24-MB01"}, "sku": "24-MB01"}


@pytest.mark.parametrize(("store", "store_id"), [("default", "1"), ("all", "0"), (None, "1")])
def test_store_id_travels_with_the_operation(echo, echo_services, echo_auth, store, store_id):
    url = "/rest/async/V1/echo/items" if store is None else f"/rest/{store}/async/V1/echo/items"
    response = echo.post(url, headers={**echo_auth, **JSON}, json={"item": {"sku": "S"}})
    stored = operation(echo_services, response.json()["bulk_uuid"])
    assert json.loads(stored.serialized_data)["store_id"] == store_id


def test_async_routing_errors(echo: TestClient, echo_services, echo_auth) -> None:
    response = echo.get("/rest/default/async/V1/echo/items/A", headers=echo_auth)
    assert (response.status_code, response.json()) == (
        400,
        {"message": "Specified request cannot be processed."},
    )
    response = echo.patch(
        "/rest/default/async/V1/echo/items", headers={**echo_auth, **JSON}, json={}
    )
    assert (response.status_code, response.json()) == (
        405,
        {"message": "The PATCH HTTP method is not supported."},
    )
    response = post_async(echo, "nonexistent", {}, echo_auth)
    assert (response.status_code, response.json()) == (
        404,
        {"message": "Request does not match any route."},
    )
    response = post_async(echo, "store/storeViews", {}, echo_auth)
    assert response.status_code == 404
    assert rows(echo_services, schema.magento_bulk) == []


def test_refused_requests_store_nothing(echo: TestClient, echo_services, echo_auth) -> None:
    response = post_async(echo, "echo/items", {"item": {"sku": "A"}}, {})
    assert (response.status_code, response.json()) == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Tests_Echo::items"},
        },
    )
    response = post_async(echo, "echo/items", {"item": {"sku": "A", "bad": 1}}, echo_auth)
    assert response.status_code == 400
    response = post_async(echo, "echo/items", {"item": {"price": "cheap"}}, echo_auth)
    assert response.status_code == 400
    response = post_async(echo, "echo/items", {}, echo_auth)
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "item"},
    }
    assert rows(echo_services, schema.magento_bulk) == []
    assert rows(echo_services, schema.magento_operation) == []
    assert rows(echo_services, schema.queue_message) == []


def test_success_is_recorded_like_magento(echo: TestClient, echo_services, echo_auth) -> None:
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "A"}}, echo_auth).json()[
        "bulk_uuid"
    ]
    assert run_consumer(echo_services) == 1
    sync = echo.post(
        "/rest/default/V1/echo/items", headers={**echo_auth, **JSON}, json={"item": {"sku": "A"}}
    ).json()
    stored = operation(echo_services, bulk_uuid)
    assert stored.status == 1
    assert stored.serialized_data is None
    assert json.loads(stored.result_serialized_data) == sync
    assert stored.result_message == (
        "Service execution success Tests\\Echo\\Model\\ItemRepository::save"
    )
    assert stored.error_code is None and stored.started_at is not None
    assert rows(echo_services, schema.queue_message) == []


def test_business_failure_is_status_3(echo: TestClient, echo_services, echo_auth) -> None:
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "missing"}}, echo_auth).json()[
        "bulk_uuid"
    ]
    run_consumer(echo_services)
    stored = operation(echo_services, bulk_uuid)
    assert (stored.status, stored.error_code, stored.result_message) == (
        3,
        0,
        'The item with SKU "missing" does not exist.',
    )
    assert stored.serialized_data is not None
    assert stored.result_serialized_data is None


def test_unexpected_failure_is_status_3_and_the_consumer_lives(echo, echo_services, echo_auth):
    first = post_async(echo, "echo/items", {"item": {"sku": "boom"}}, echo_auth).json()
    second = post_async(echo, "echo/items", {"item": {"sku": "fine"}}, echo_auth).json()
    run_consumer(echo_services)
    assert operation(echo_services, first["bulk_uuid"]).status == 3
    # The exception's text goes to the log under a report id, not to bulk readers.
    assert operation(echo_services, first["bulk_uuid"]).result_message.startswith(
        "Internal Error. Details are available in the log. Report ID: consumer-"
    )
    assert operation(echo_services, second["bulk_uuid"]).status == 1


def test_transient_failure_is_retried_then_succeeds(echo, echo_services, echo_auth) -> None:
    echo_routes.TRANSIENT_FAILURES["flaky"] = 2
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "flaky"}}, echo_auth).json()[
        "bulk_uuid"
    ]
    consumer = Consumer(echo_services, echo_services.new_source())
    for expected_status in (2, 2, 1):
        deliveries = consumer.source.claim(10, timeout=5)
        assert len(deliveries) == 1
        consumer.process(deliveries)
        assert operation(echo_services, bulk_uuid).status == expected_status
    stored = operation(echo_services, bulk_uuid)
    assert stored.attempts == 3
    assert rows(echo_services, schema.queue_message) == []


def test_transient_failure_stays_failed_after_max_attempts(echo, echo_services, echo_auth):
    echo_routes.TRANSIENT_FAILURES["doomed"] = 100
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "doomed"}}, echo_auth).json()[
        "bulk_uuid"
    ]
    consumer = Consumer(echo_services, echo_services.new_source())
    while rows(echo_services, schema.queue_message):
        consumer.process(consumer.source.claim(10, timeout=5))
    stored = operation(echo_services, bulk_uuid)
    assert (stored.status, stored.attempts, stored.result_message) == (
        2,
        echo_services.settings.max_attempts,
        "Database lock wait timeout exceeded",
    )
    echo_routes.TRANSIENT_FAILURES.pop("doomed")


def test_redelivered_finished_operation_is_not_executed_again(echo, echo_services, echo_auth):
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "once"}}, echo_auth).json()[
        "bulk_uuid"
    ]
    run_consumer(echo_services)
    finished = operation(echo_services, bulk_uuid)
    from commerce_async.queue.base import Message
    from commerce_async.queue.database import insert_messages

    echo_services.db.run(
        lambda tx: insert_messages(
            tx, [Message(finished.topic_name, bulk_uuid, 0)], finished.finished_at
        )
    )
    assert run_consumer(echo_services) == 1
    again = operation(echo_services, bulk_uuid)
    assert (again.finished_at, again.attempts) == (finished.finished_at, 1)
    assert rows(echo_services, schema.queue_message) == []


def test_operations_of_one_bulk_run_in_request_order(echo, echo_services, echo_auth) -> None:
    response = echo.post(
        "/rest/default/async/bulk/V1/echo/items",
        headers={**echo_auth, **JSON},
        json=[{"item": {"sku": f"o{index}"}} for index in range(20)],
    )
    bulk_uuid = response.json()["bulk_uuid"]
    run_consumer(echo_services)
    table = schema.magento_operation
    finished = echo_services.db.run_read(
        lambda tx: tx.all(
            sa.select(table.c.operation_key)
            .where(table.c.bulk_uuid == bulk_uuid)
            .order_by(table.c.finished_at, table.c.id)
        )
    )
    assert [row.operation_key for row in finished] == list(range(20))


def test_user_types_are_recorded(echo: TestClient, echo_services) -> None:
    integration = integration_token(echo_services, "erp", ["Tests_Echo::items"])
    response = post_async(
        echo, "echo/items", {"item": {"sku": "I"}}, {"Authorization": f"Bearer {integration}"}
    )
    guest = post_async(echo, "echo/prices/check", {"price": 1}, {})
    assert guest.status_code == 202
    by_uuid = {row.uuid: row for row in rows(echo_services, schema.magento_bulk)}
    integration_bulk = by_uuid[response.json()["bulk_uuid"]]
    assert (integration_bulk.user_type, integration_bulk.user_id) == (1, 1)
    guest_bulk = by_uuid[guest.json()["bulk_uuid"]]
    assert (guest_bulk.user_type, guest_bulk.user_id) == (4, None)


def test_the_creator_reads_its_own_bulk_without_the_bulk_resource(echo, echo_services) -> None:
    token = integration_token(echo_services, "erp", ["Tests_Echo::items"])
    headers = {"Authorization": f"Bearer {token}"}
    bulk_uuid = post_async(echo, "echo/items", {"item": {"sku": "mine"}}, headers).json()[
        "bulk_uuid"
    ]
    response = echo.get(f"/rest/V1/bulk/{bulk_uuid}/status", headers=headers)
    assert response.status_code == 200
    assert response.json()["operations_list"] == [
        {"id": 0, "status": 4, "result_message": None, "error_code": None}
    ]


def test_retry_reopens_failed_operations(echo: TestClient, echo_services, echo_auth) -> None:
    response = echo.post(
        "/rest/default/async/bulk/V1/echo/items",
        headers={**echo_auth, **JSON},
        json=[{"item": {"sku": "fine"}}, {"item": {"sku": "missing"}}],
    )
    bulk_uuid = response.json()["bulk_uuid"]
    run_consumer(echo_services)
    assert operation(echo_services, bulk_uuid, 1).status == 3
    retried = echo.post(
        f"/rest/V1/bulk/{bulk_uuid}/retry", headers={**echo_auth, **JSON}, json={"errorCodes": [0]}
    )
    assert (retried.status_code, retried.json()) == (200, 1)
    reopened = operation(echo_services, bulk_uuid, 1)
    assert (reopened.status, reopened.result_message, reopened.attempts) == (4, None, 0)
    assert operation(echo_services, bulk_uuid, 0).status == 1
    assert run_consumer(echo_services) == 1
    assert operation(echo_services, bulk_uuid, 1).status == 3
    none_left = echo.post(
        f"/rest/V1/bulk/{bulk_uuid}/retry",
        headers={**echo_auth, **JSON},
        json={"operationIds": [0]},
    )
    assert none_left.json() == 0
