"""Bulk routes: array bodies, byXxx paths, invalid-item policies."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from commerce_async.storage import schema
from tests.unit.operations.test_async_accept import operation, rows, run_consumer

JSON = {"Content-Type": "application/json"}
BULK = "/rest/default/async/bulk/V1/echo/items"
PARTIAL = {"X-Commerce-Async-Partial": "1"}


def test_each_item_becomes_an_operation(echo: TestClient, echo_services, echo_auth) -> None:
    response = echo.post(
        BULK, headers={**echo_auth, **JSON}, json=[{"item": {"sku": "A"}}, {"item": {"sku": "B"}}]
    )
    assert response.status_code == 202
    body = response.json()
    assert [(item["id"], item["status"]) for item in body["request_items"]] == [
        (0, "accepted"),
        (1, "accepted"),
    ]
    assert body["errors"] is False
    (bulk,) = rows(echo_services, schema.magento_bulk)
    assert bulk.operation_count == 2
    assert run_consumer(echo_services) == 2
    assert [operation(echo_services, bulk.uuid, key).status for key in (0, 1)] == [1, 1]


def test_by_placeholder_paths(echo: TestClient, echo_services, echo_auth) -> None:
    url = "/rest/default/async/bulk/V1/echo/items/bySku"
    response = echo.put(
        url,
        headers={**echo_auth, **JSON},
        json=[{"item": {"sku": "A", "price": 5}}, {"sku": "B", "item": {"price": 6}}],
    )
    assert response.status_code == 202
    bulk_uuid = response.json()["bulk_uuid"]
    metas = [
        json.loads(
            json.loads(operation(echo_services, bulk_uuid, key).serialized_data)["meta_information"]
        )
        for key in (0, 1)
    ]
    assert metas == [
        {"item": {"sku": "A", "price": 5}},
        {"sku": "B", "item": {"price": 6, "sku": "B"}},
    ]
    delete = echo.request(
        "DELETE", url, headers={**echo_auth, **JSON}, json=[{"sku": "A"}, {"sku": "B"}]
    )
    assert delete.status_code == 202
    real_value = echo.put(
        "/rest/default/async/bulk/V1/echo/items/A",
        headers={**echo_auth, **JSON},
        json=[{"item": {"sku": "A"}}],
    )
    assert (real_value.status_code, real_value.json()) == (
        404,
        {"message": "Request does not match any route."},
    )


def test_alias_route(echo: TestClient, echo_auth) -> None:
    response = echo.put(BULK, headers={**echo_auth, **JSON}, json=[{"item": {"sku": "A"}}])
    assert response.status_code == 202


def test_invalid_items_refuse_the_whole_request_and_name_each(
    echo: TestClient, echo_services, echo_auth
) -> None:
    response = echo.post(
        BULK,
        headers={**echo_auth, **JSON},
        json=[
            {"item": {"sku": "ok"}},
            {"item": {"sku": "bad", "wrong_attribute": "simple"}},
            "not an object",
            {"item": {"price": "cheap"}},
        ],
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "One or more items of the bulk request are invalid; nothing was accepted.",
        "errors": [
            {
                "message": '"%fieldName" is not supported. Correct the field name and try again.',
                "parameters": {"fieldName": "WrongAttribute", "index": 1},
            },
            {
                "message": "Item %index of the request body is not a JSON object.",
                "parameters": {"index": 2},
            },
            {
                "message": 'Error occurred during "price" processing. The "cheap" value\'s type is '
                'invalid. The "float" type was expected. Verify and try again.',
                "parameters": {"index": 3},
            },
        ],
    }
    assert rows(echo_services, schema.magento_bulk) == []
    assert rows(echo_services, schema.magento_operation) == []


def test_partial_acceptance_records_rejected_items(echo, echo_services, echo_auth) -> None:
    response = echo.post(
        BULK,
        headers={**echo_auth, **JSON, **PARTIAL},
        json=[
            {"item": {"sku": "ok"}},
            {"item": {"sku": "bad", "wrong_attribute": "simple"}},
            7,
        ],
    )
    assert response.status_code == 202
    body = response.json()
    assert body["errors"] is True
    assert body["request_items"][1:] == [
        {
            "id": 1,
            "data_hash": None,
            "status": "rejected",
            "error_message": '"WrongAttribute" is not supported. Correct the field name and try '
            "again.",
            "error_code": 0,
        },
        {
            "id": 2,
            "data_hash": None,
            "status": "rejected",
            "error_message": "Item 2 of the request body is not a JSON object.",
            "error_code": 0,
        },
    ]
    assert body["request_items"][0]["status"] == "accepted"
    bulk_uuid = body["bulk_uuid"]
    assert [operation(echo_services, bulk_uuid, key).status for key in (0, 1, 2)] == [4, 5, 5]
    assert len(rows(echo_services, schema.queue_message)) == 1
    run_consumer(echo_services)
    status = echo.get(f"/rest/V1/bulk/{bulk_uuid}/status", headers=echo_auth).json()
    assert [(op["id"], op["status"]) for op in status["operations_list"]] == [
        (0, 1),
        (1, 5),
        (2, 5),
    ]


def test_body_shape_errors(echo: TestClient, echo_services, echo_auth) -> None:
    cases = [
        (
            {"item": {"sku": "A"}},
            "The request body must be a JSON array with one item per entity, "
            'for example [{"product": {...}}].',
        ),
        ([], "The request body is an empty array: a bulk request needs at least one item."),
    ]
    for body, message in cases:
        response = echo.post(BULK, headers={**echo_auth, **JSON}, json=body)
        assert (response.status_code, response.json()) == (400, {"message": message})
    response = echo.get("/rest/default/async/bulk/V1/echo/items/A", headers=echo_auth)
    assert response.json() == {"message": "Specified request cannot be processed."}
    assert rows(echo_services, schema.magento_bulk) == []
