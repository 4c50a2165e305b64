"""The product routes through ``/async`` and ``/async/bulk``, executed by an in-process consumer:
the store scope travels with the operation, so the effect equals the synchronous call's."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from commerce_async.operations.consumer import Consumer
from commerce_async.storage import schema
from tests.unit.catalog.test_store_scopes import stored_rows

UPDATE = {
    "product": {
        "name": "Second Name",
        "status": 2,
        "price": 12,
        "type_id": "virtual",
        "custom_attributes": {"description": "Second description"},
    }
}
PUT_TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.put"


def create(api, sku: str) -> None:
    product = {
        "sku": sku,
        "name": "Base Name",
        "price": 10,
        "custom_attributes": {"url_key": sku, "description": "Base description"},
    }
    assert api("POST", "/rest/V1/products", {"product": product})[0] == 200


def operations(services) -> list[Any]:
    table = schema.magento_operation
    return services.db.run_read(
        lambda tx: tx.all(sa.select(table).order_by(table.c.bulk_uuid, table.c.operation_key))
    )


def comparable(product: dict[str, Any]) -> dict[str, Any]:
    """What must match between two products saved the same way (not their identities)."""
    body = {
        key: value
        for key, value in product.items()
        if key not in ("id", "sku", "created_at", "updated_at")
    }
    body["extension_attributes"] = {
        **product["extension_attributes"],
        "stock_item": {
            k: v
            for k, v in product["extension_attributes"]["stock_item"].items()
            if k not in ("item_id", "product_id")
        },
    }
    body["custom_attributes"] = [
        item for item in product["custom_attributes"] if item["attribute_code"] != "url_key"
    ]
    return body


def test_async_put_through_a_store_code_equals_the_sync_call(
    services, client, auth, api, stores
) -> None:
    create(api, "sync-sku")
    create(api, "async-sku")
    status, synchronous = api("PUT", "/rest/second/V1/products/sync-sku", UPDATE)
    assert status == 200

    response = client.put("/rest/second/async/V1/products/async-sku", json=UPDATE, headers=auth)
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["errors"] is False
    assert [item["status"] for item in accepted["request_items"]] == ["accepted"]
    assert Consumer(services, services.new_source(), max_messages=1).run() == 1

    [operation] = operations(services)
    assert (operation.topic_name, operation.status, operation.result_message) == (
        PUT_TOPIC,
        1,
        "Service execution success Magento\\Catalog\\Model\\ProductRepository::save",
    )
    result = msgspec.json.decode(operation.result_serialized_data)
    assert result == api("GET", "/rest/second/V1/products/async-sku")[1]
    assert comparable(result) == comparable(synchronous)
    for code in ("all", "default", "second", "other"):
        seen_sync = api("GET", f"/rest/{code}/V1/products/sync-sku")[1]
        seen_async = api("GET", f"/rest/{code}/V1/products/async-sku")[1]
        assert comparable(seen_async) == comparable(seen_sync), code
    assert stored_rows(services, "async-sku") == [
        (code, store, value if code != "url_key" else value.replace("sync", "async"))
        for code, store, value in stored_rows(services, "sync-sku")
    ]
    # The store-view values landed in ``second`` only (status spread over website 1).
    assert api("GET", "/rest/second/V1/products/async-sku")[1]["name"] == "Second Name"
    assert api("GET", "/rest/default/V1/products/async-sku")[1]["name"] == "Base Name"
    assert api("GET", "/rest/default/V1/products/async-sku")[1]["status"] == 2
    assert api("GET", "/rest/all/V1/products/async-sku")[1]["type_id"] == "virtual"


def test_bulk_put_by_sku_and_its_alias(services, client, auth, api, stores) -> None:
    create(api, "bulk-1")
    create(api, "bulk-2")
    items = [
        {"product": {"sku": "bulk-1", "name": "One"}},
        {"product": {"sku": "bulk-2", "name": "Two"}},
    ]
    for path in (
        "/rest/second/async/bulk/V1/products/bySku",
        "/rest/second/async/bulk/V1/products",
    ):
        response = client.put(path, json=items, headers=auth)
        assert response.status_code == 202, response.json()
    assert Consumer(services, services.new_source(), max_messages=4).run() == 4
    assert [(op.topic_name, op.status) for op in operations(services)] == [(PUT_TOPIC, 1)] * 4
    assert api("GET", "/rest/second/V1/products/bulk-2")[1]["name"] == "Two"
    assert api("GET", "/rest/all/V1/products/bulk-2")[1]["name"] == "Base Name"


def test_async_save_with_an_unknown_attribute_is_refused_at_accept(client, auth, services) -> None:
    product = {"sku": "x", "name": "X", "price": 1, "custom_attributes": {"nope": "1"}}
    response = client.post("/rest/async/V1/products", json={"product": product}, headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the '
            "attribute and try again.",
            "parameters": ["nope"],
        },
    )
    assert operations(services) == []


def test_async_failure_is_recorded_with_the_sync_message(services, client, auth) -> None:
    response = client.patch(
        "/rest/async/V1/products/ghost", json={"product": {"price": 1}}, headers=auth
    )
    assert response.status_code == 202
    Consumer(services, services.new_source(), max_messages=1).run()
    [operation] = operations(services)
    assert (operation.topic_name, operation.status, operation.result_message) == (
        "async.magento.catalog.api.productrepositoryinterface.patch.patch",
        3,
        "The product that was requested doesn't exist. Verify the product and try again.",
    )
