"""The bulk status API, with Magento's own fixture (spec section 9, scenarios 14-21, 34)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from commerce_async.storage import schema
from tests.support import integration_token

TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.put"


@pytest.fixture
def searchable(services) -> None:
    """``operation_searchable.php``: bulk 6 with one operation per status, bulk 7 with none."""
    operations = [
        (0, 1, None, None),
        (1, 3, 1111, "Something went wrong during your request"),
        (2, 2, 2222, "Entity with ID=4 does not exist"),
        (3, 4, None, None),
        (4, 4, None, None),
        (5, 5, None, None),
    ]

    def work(tx) -> None:
        tx.execute(
            schema.magento_bulk.insert(),
            [
                {
                    "uuid": "bulk-uuid-searchable-6",
                    "user_id": 1,
                    "user_type": 2,
                    "description": "Bulk Description",
                    "operation_count": 6,
                    "start_time": "2009-10-10 00:00:00",
                },
                {
                    "uuid": "bulk-uuid-searchable-7",
                    "user_id": 1,
                    "user_type": 2,
                    "description": "Bulk Description",
                    "operation_count": 3,
                    "start_time": "2009-10-10 00:00:00",
                },
            ],
        )
        tx.execute(
            schema.magento_operation.insert(),
            [
                {
                    "bulk_uuid": "bulk-uuid-searchable-6",
                    "operation_key": key,
                    "topic_name": TOPIC,
                    "serialized_data": '{"entity_id":null}',
                    "status": status,
                    "error_code": code,
                    "result_message": message,
                }
                for key, status, code, message in operations
            ],
        )

    services.db.run(work)


@pytest.mark.parametrize(("status", "count"), [(1, 1), (2, 1), (3, 1), (4, 2), (5, 1)])
def test_operation_count_by_status(client, auth, searchable, status, count) -> None:
    url = f"/rest/V1/bulk/bulk-uuid-searchable-6/operation-status/{status}"
    assert client.get(url, headers=auth).json() == count


def test_count_does_not_fall_back_to_operation_count(client, auth, searchable) -> None:
    url = "/rest/V1/bulk/bulk-uuid-searchable-7/operation-status/4"
    assert client.get(url, headers=auth).json() == 0
    assert client.get("/rest/V1/bulk/nope/operation-status/4", headers=auth).json() == 0
    response = client.get("/rest/V1/bulk/nope/operation-status/open", headers=auth)
    assert response.status_code == 400


def test_short_status(client: TestClient, auth, searchable) -> None:
    response = client.get("/rest/V1/bulk/bulk-uuid-searchable-6/status", headers=auth)
    assert response.json() == {
        "operations_list": [
            {"id": 0, "status": 1, "result_message": None, "error_code": None},
            {
                "id": 1,
                "status": 3,
                "result_message": "Something went wrong during your request",
                "error_code": 1111,
            },
            {
                "id": 2,
                "status": 2,
                "result_message": "Entity with ID=4 does not exist",
                "error_code": 2222,
            },
            {"id": 3, "status": 4, "result_message": None, "error_code": None},
            {"id": 4, "status": 4, "result_message": None, "error_code": None},
            {"id": 5, "status": 5, "result_message": None, "error_code": None},
        ],
        "user_type": 2,
        "bulk_id": "bulk-uuid-searchable-6",
        "description": "Bulk Description",
        "start_time": "2009-10-10 00:00:00",
        "user_id": 1,
        "operation_count": 6,
    }


def test_detailed_status(client: TestClient, auth, searchable) -> None:
    body = client.get("/rest/V1/bulk/bulk-uuid-searchable-6/detailed-status", headers=auth).json()
    assert list(body) == [
        "operations_list",
        "user_type",
        "bulk_id",
        "description",
        "start_time",
        "user_id",
        "operation_count",
    ]
    assert body["operations_list"][1] == {
        "id": 1,
        "bulk_uuid": "bulk-uuid-searchable-6",
        "topic_name": TOPIC,
        "serialized_data": '{"entity_id":null}',
        "result_serialized_data": None,
        "status": 3,
        "result_message": "Something went wrong during your request",
        "error_code": 1111,
    }


def test_unknown_bulk_is_404(client: TestClient, auth) -> None:
    for suffix in ("status", "detailed-status", "summary"):
        response = client.get(f"/rest/V1/bulk/0f0e-unknown/{suffix}", headers=auth)
        assert (response.status_code, response.json()) == (
            404,
            {
                "message": "Bulk uuid %bulkUuid not exist",
                "parameters": {"bulkUuid": "0f0e-unknown"},
            },
        )


def test_search_by_start_time(client: TestClient, auth, searchable) -> None:
    criteria = {
        "searchCriteria[filter_groups][0][filters][0][field]": "start_time",
        "searchCriteria[filter_groups][0][filters][0][value]": "2010-10-10 00:00:00",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "lteq",
        "searchCriteria[current_page]": "1",
        "searchCriteria[page_size]": "20",
    }
    body = client.get(f"/rest/V1/bulk?{urlencode(criteria)}", headers=auth).json()
    assert body["total_count"] == 6
    assert {item["bulk_uuid"] for item in body["items"]} == {"bulk-uuid-searchable-6"}
    assert body["search_criteria"] == {
        "filter_groups": [
            {
                "filters": [
                    {
                        "field": "start_time",
                        "value": "2010-10-10 00:00:00",
                        "condition_type": "lteq",
                    }
                ]
            }
        ],
        "current_page": 1,
        "page_size": 20,
    }
    assert list(body["items"][0]) == [
        "extension_attributes",
        "id",
        "bulk_uuid",
        "topic_name",
        "serialized_data",
        "result_serialized_data",
        "status",
        "result_message",
        "error_code",
    ]
    assert body["items"][0]["extension_attributes"] == {"start_time": "2009-10-10 00:00:00"}


def test_search_with_two_groups(client: TestClient, auth, searchable) -> None:
    criteria = {
        "searchCriteria[filter_groups][0][filters][0][field]": "bulk_uuid",
        "searchCriteria[filter_groups][0][filters][0][value]": "bulk-uuid-searchable-6",
        "searchCriteria[filter_groups][1][filters][0][field]": "status",
        "searchCriteria[filter_groups][1][filters][0][value]": "3",
    }
    body = client.get(f"/rest/V1/bulk?{urlencode(criteria)}", headers=auth).json()
    assert body["total_count"] == 1
    assert [(item["bulk_uuid"], item["id"]) for item in body["items"]] == [
        ("bulk-uuid-searchable-6", 1)
    ]


def test_search_requires_criteria(client: TestClient, auth) -> None:
    response = client.get("/rest/V1/bulk", headers=auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "searchCriteria"},
        },
    )


def test_summary_is_truthful(client: TestClient, auth, searchable) -> None:
    body = client.get("/rest/V1/bulk/bulk-uuid-searchable-6/summary", headers=auth).json()
    assert (body["status"], body["status_label"]) == (1, "In Progress")
    assert body["operations_by_status"] == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 1}
    empty = client.get("/rest/V1/bulk/bulk-uuid-searchable-7/summary", headers=auth).json()
    assert (empty["status"], empty["status_label"]) == (0, "Not Started")


def test_only_the_creator_or_bulk_readers_see_a_bulk(client: TestClient, services, searchable):
    other = integration_token(services, "other", ["Magento_Catalog::products"])
    headers = {"Authorization": f"Bearer {other}"}
    for suffix in ("status", "detailed-status", "summary"):
        response = client.get(f"/rest/V1/bulk/bulk-uuid-searchable-6/{suffix}", headers=headers)
        assert response.status_code == 404
    count = client.get("/rest/V1/bulk/bulk-uuid-searchable-6/operation-status/1", headers=headers)
    assert count.json() == 0
    listing = client.get("/rest/V1/bulk?searchCriteria=", headers=headers).json()
    assert listing["total_count"] == 0
    guest = client.get("/rest/V1/bulk/bulk-uuid-searchable-6/status")
    assert guest.status_code == 401
    reader = integration_token(
        services, "reader", ["Magento_Logging::system_magento_logging_bulk_operations"]
    )
    response = client.get(
        "/rest/V1/bulk/bulk-uuid-searchable-6/status",
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert response.status_code == 200


def test_scenario_22_search_recent_operations(client: TestClient, auth) -> None:
    import time as clock

    from commerce_async.operations.model import utc_text

    since = utc_text(clock.time() - 60)
    for run in range(2):
        response = client.post(
            "/rest/default/async/bulk/V1/customers",
            headers={**auth, "Content-Type": "application/json"},
            json=[
                {
                    "customer": {
                        "email": f"customer{n}-{run}@abc.com",
                        "firstname": "C",
                        "lastname": "N",
                    },
                    "password": "Strong-Password1",
                }
                for n in (1, 2)
            ],
        )
        assert response.status_code == 202
        assert response.json()["errors"] is False
    criteria = {
        "searchCriteria[filter_groups][0][filters][0][field]": "start_time",
        "searchCriteria[filter_groups][0][filters][0][value]": since,
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "gt",
    }
    body = client.get(f"/rest/V1/bulk?{urlencode(criteria)}", headers=auth).json()
    assert body["total_count"] == 4
    assert {item["topic_name"] for item in body["items"]} == {
        "async.magento.customer.api.accountmanagementinterface.createaccount.post"
    }
