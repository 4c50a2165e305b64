"""A bulk's status and operations (which hold the request bodies) are visible only to its creator
and to holders of ``Magento_Logging::system_magento_logging_bulk_operations``: every status route
of the table, and ``GET /V1/bulk`` with filters that would probe the data, with a foreign token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commerce_async import bootstrap
from commerce_async.operations.consumer import Consumer
from commerce_async.operations.status import BULK_NOT_FOUND, BULK_RESOURCE
from tests.security.conftest import World, build_world
from tests.support import integration_token

MARKER = "secret-sku-4711"
OWNED = [route for route in bootstrap.collect_routes() if route.owner_access]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("visibility"))


@pytest.fixture(scope="module")
def bulk(world: World) -> dict:
    """A bulk created by the ``creator`` integration, with one failed operation."""
    creator = integration_token(world.services, "creator", ["Magento_Catalog::products"])
    # Attribute set 999 does not exist: a business rule the consumer applies, so the operation
    # fails and keeps its request data (as Magento keeps it) for readers to inspect.
    response = world.client.post(
        "/rest/all/async/V1/products",
        json={"product": {"sku": MARKER, "name": "Hidden", "attribute_set_id": 999}},
        headers=world.headers(creator),
    )
    assert response.status_code == 202, response.text
    Consumer(world.services, world.services.new_source(), max_messages=1).run()
    assert status_of(world, response.json()["bulk_uuid"], creator) == [3]
    return {
        "uuid": response.json()["bulk_uuid"],
        "creator": creator,
        "foreign": integration_token(world.services, "foreign", ["Magento_Catalog::products"]),
        "reader": integration_token(world.services, "reader", [BULK_RESOURCE]),
    }


def url(route, bulk_uuid: str) -> str:
    path = route.path.replace(":bulkUuid", bulk_uuid).replace(":status", "3")
    return f"/rest/V1{path[3:]}" + ("?searchCriteria=" if route.path == "/V1/bulk" else "")


def call(world: World, route, bulk_uuid: str, token: str):
    body = b"{}" if route.method != "GET" else None
    return world.client.request(
        route.method, url(route, bulk_uuid), content=body, headers=world.headers(token)
    )


def status_of(world: World, bulk_uuid: str, token: str) -> list:
    response = world.client.get(f"/rest/V1/bulk/{bulk_uuid}/status", headers=world.headers(token))
    return [op["status"] for op in response.json()["operations_list"]]


def test_every_owner_route_is_covered() -> None:
    assert {route.service_method for route in OWNED} >= {
        "getBulkShortStatus",
        "getBulkDetailedStatus",
        "getOperationsCountByBulkIdAndStatus",
        "getList",
    }


@pytest.mark.parametrize("who", ["foreign", "customer"])
@pytest.mark.parametrize("route", OWNED, ids=lambda route: f"{route.method} {route.path}")
def test_foreign_callers_see_nothing_of_the_bulk(world: World, bulk: dict, route, who: str):
    token = bulk.get(who, world.customer)
    response = call(world, route, bulk["uuid"], token)
    assert MARKER not in response.text and bulk["uuid"] not in response.text.replace(
        f'"bulkUuid":"{bulk["uuid"]}"', ""
    )
    if route.service_method == "getOperationsCountByBulkIdAndStatus":
        assert (response.status_code, response.json()) == (200, 0)
    elif route.service_method == "getList":
        assert response.status_code == 200
        assert (response.json()["items"], response.json()["total_count"]) == ([], 0)
    else:
        assert (response.status_code, response.json()) == (
            404,
            {"message": BULK_NOT_FOUND, "parameters": {"bulkUuid": bulk["uuid"]}},
        )
    assert status_of(world, bulk["uuid"], bulk["creator"]) == [3]  # nothing was changed


@pytest.mark.parametrize("who", ["creator", "reader", "admin"])
@pytest.mark.parametrize(
    "route",
    [r for r in OWNED if r.method == "GET"],
    ids=lambda route: f"{route.method} {route.path}",
)
def test_the_creator_and_bulk_readers_see_it(world: World, bulk: dict, route, who: str):
    token = bulk.get(who, world.admin)
    response = call(world, route, bulk["uuid"], token)
    assert response.status_code == 200
    if route.service_method in ("getBulkDetailedStatus", "getList"):
        assert MARKER in response.text
    if route.service_method == "getOperationsCountByBulkIdAndStatus":
        assert response.json() == 1


@pytest.mark.parametrize(
    "field", ["serialized_data", "bulk_uuid", "result_message", "topic_name", "user_id"]
)
def test_search_filters_do_not_probe_foreign_bulks(world: World, bulk: dict, field: str):
    for value in ("%", f"%{MARKER}%", bulk["uuid"]):
        response = world.client.get(
            "/rest/V1/bulk",
            params={
                "searchCriteria[filterGroups][0][filters][0][field]": field,
                "searchCriteria[filterGroups][0][filters][0][value]": value,
                "searchCriteria[filterGroups][0][filters][0][conditionType]": "like",
            },
            headers=world.headers(bulk["foreign"]),
        )
        assert response.status_code == 200, response.text
        assert (response.json()["items"], response.json()["total_count"]) == ([], 0)


def test_a_queued_retry_of_a_foreign_bulk_changes_nothing(world: World, bulk: dict) -> None:
    response = world.client.post(
        f"/rest/async/V1/bulk/{bulk['uuid']}/retry", json={}, headers=world.headers(bulk["foreign"])
    )
    if response.status_code == 202:
        Consumer(world.services, world.services.new_source(), max_messages=1).run()
        queued = response.json()["bulk_uuid"]
        detail = world.client.get(
            f"/rest/V1/bulk/{queued}/detailed-status", headers=world.headers(bulk["foreign"])
        ).json()
        assert [op["status"] for op in detail["operations_list"]] == [3]
        assert MARKER not in str(detail)
    else:
        assert response.status_code in (400, 404, 405)
    assert status_of(world, bulk["uuid"], bulk["creator"]) == [3]


def test_bulks_of_guests_are_nobodys(tmp_path: Path) -> None:
    """An anonymous async request (account creation) makes a bulk no token can read but the
    bulk readers'."""
    gen = build_world(tmp_path)
    world = next(gen)
    try:
        response = world.client.post(
            "/rest/async/V1/customers",
            json={"customer": {"email": "anon@example.com", "firstname": "A", "lastname": "B"}},
            headers=world.headers(None),
        )
        assert response.status_code == 202
        uuid = response.json()["bulk_uuid"]
        for token in (world.customer, world.unrelated):
            seen = world.client.get(f"/rest/V1/bulk/{uuid}/status", headers=world.headers(token))
            assert seen.status_code == 404
        guest = world.client.get(f"/rest/V1/bulk/{uuid}/status", headers=world.headers(None))
        assert guest.status_code == 401
        admin = world.client.get(f"/rest/V1/bulk/{uuid}/status", headers=world.headers(world.admin))
        assert admin.status_code == 200
    finally:
        gen.close()
