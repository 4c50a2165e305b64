"""Bulk endpoints against a real server and consumer process (spec section 9, scenarios 4-7)."""

from __future__ import annotations

import httpx

from tests.acceptance.conftest import Deployment
from tests.acceptance.test_async_products import drain, product


def products_exist(client: httpx.Client, *skus: str) -> list[bool]:
    return [client.get(f"/rest/V1/products/{sku}").status_code == 200 for sku in skus]


def test_scenario_4_two_products(deployment: Deployment) -> None:
    skus = ("psku-test-1-multiple", "psku-test-2-multiple")
    with deployment.http() as client:
        response = client.post(
            "/rest/default/async/bulk/V1/products",
            json=[product(skus[0], "simple"), product(skus[1], "virtual")],
        )
        assert response.status_code == 202
        body = response.json()
        assert [(item["id"], item["status"]) for item in body["request_items"]] == [
            (0, "accepted"),
            (1, "accepted"),
        ]
        assert body["errors"] is False
        drain(deployment, client, body["bulk_uuid"])
        assert products_exist(client, *skus) == [True, True]
        assert client.get(f"/rest/V1/products/{skus[1]}").json()["type_id"] == "virtual"


def test_scenario_5_single_element(deployment: Deployment) -> None:
    with deployment.http() as client:
        response = client.post(
            "/rest/default/async/bulk/V1/products", json=[product("psku-test-1-single")]
        )
        assert [item["status"] for item in response.json()["request_items"]] == ["accepted"]
        drain(deployment, client, response.json()["bulk_uuid"])
        assert products_exist(client, "psku-test-1-single") == [True]


def test_scenario_6_one_wrong_item_refuses_all(deployment: Deployment) -> None:
    with deployment.http() as client:
        response = client.post(
            "/rest/default/async/bulk/V1/products",
            json=[
                product("psku-test-1-wrong"),
                product("psku-test-2-wrong", "virtual"),
                {"product": {"sku": "psku-test-3-wrong", "wrong_attribute": "simple"}},
            ],
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {
                "message": '"%fieldName" is not supported. Correct the field name and try again.',
                "parameters": {"fieldName": "WrongAttribute", "index": 2},
            },
        ]
        assert products_exist(
            client, "psku-test-1-wrong", "psku-test-2-wrong", "psku-test-3-wrong"
        ) == [False, False, False]


def test_scenario_7_get_is_refused(deployment: Deployment) -> None:
    with deployment.http() as client:
        response = client.get("/rest/default/async/bulk/V1/products/psku-test-1")
        assert (response.status_code, response.json()) == (
            400,
            {"message": "Specified request cannot be processed."},
        )


def test_put_and_delete_through_by_sku(deployment: Deployment) -> None:
    with deployment.http() as client:
        created = client.post(
            "/rest/default/async/bulk/V1/products", json=[product("bysku-a"), product("bysku-b")]
        )
        drain(deployment, client, created.json()["bulk_uuid"])
        updated = client.put(
            "/rest/default/async/bulk/V1/products/bySku",
            json=[
                {"sku": "bysku-a", "product": {"price": 5}},
                {"product": {"sku": "bysku-b", "price": 6}},
            ],
        )
        assert updated.status_code == 202
        drain(deployment, client, updated.json()["bulk_uuid"])
        prices = [
            client.get(f"/rest/V1/products/{sku}").json()["price"] for sku in ("bysku-a", "bysku-b")
        ]
        assert prices == [5.0, 6.0]
        alias = client.put(
            "/rest/default/async/bulk/V1/products",
            json=[{"product": {"sku": "bysku-a", "price": 7}}],
        )
        assert alias.status_code == 202
        drain(deployment, client, alias.json()["bulk_uuid"])
        assert client.get("/rest/V1/products/bysku-a").json()["price"] == 7.0
        deleted = client.request(
            "DELETE",
            "/rest/default/async/bulk/V1/products/bySku",
            json=[{"sku": "bysku-a"}, {"sku": "bysku-b"}],
        )
        assert deleted.status_code == 202
        (status,) = drain(deployment, client, deleted.json()["bulk_uuid"])
        assert [op["status"] for op in status["operations_list"]] == [1, 1]
        assert products_exist(client, "bysku-a", "bysku-b") == [False, False]


def test_partial_acceptance(deployment: Deployment) -> None:
    with deployment.http() as client:
        response = client.post(
            "/rest/default/async/bulk/V1/products",
            headers={"X-Commerce-Async-Partial": "1"},
            json=[product("partial-ok"), {"product": {"sku": "partial-bad", "price": "x"}}],
        )
        assert response.status_code == 202
        body = response.json()
        assert body["errors"] is True
        assert body["request_items"][1] == {
            "id": 1,
            "data_hash": None,
            "status": "rejected",
            "error_message": 'Error occurred during "price" processing. The "x" value\'s type is '
            'invalid. The "float" type was expected. Verify and try again.',
            "error_code": 0,
        }
        (status,) = drain(deployment, client, body["bulk_uuid"])
        assert [op["status"] for op in status["operations_list"]] == [1, 5]
        assert products_exist(client, "partial-ok", "partial-bad") == [True, False]


def test_ten_thousand_items(deployment: Deployment) -> None:
    count = 10_000
    items = [product(f"big-{index}", price=index + 0.5) for index in range(count)]
    with deployment.http() as client:
        response = client.post("/rest/default/async/bulk/V1/products", json=items)
        assert response.status_code == 202
        body = response.json()
        assert len(body["request_items"]) == count
        assert body["errors"] is False
        (status,) = drain(deployment, client, body["bulk_uuid"], timeout=900)
        assert len(status["operations_list"]) == count
        assert {op["status"] for op in status["operations_list"]} == {1}
        listing = client.get(
            "/rest/V1/products",
            params={
                "searchCriteria[filter_groups][0][filters][0][field]": "sku",
                "searchCriteria[filter_groups][0][filters][0][value]": "big-%",
                "searchCriteria[filter_groups][0][filters][0][condition_type]": "like",
                "searchCriteria[pageSize]": str(count),
                "fields": "items[sku,price],total_count",
            },
        ).json()
        assert listing["total_count"] == count
        prices = {item["sku"]: item["price"] for item in listing["items"]}
        assert prices == {f"big-{index}": index + 0.5 for index in range(count)}


def test_category_products_bulk(deployment: Deployment) -> None:
    with deployment.http() as client:
        category = client.post(
            "/rest/V1/categories",
            json={"category": {"name": "Bulk Bags", "parent_id": 2, "is_active": True}},
        ).json()
        created = client.post(
            "/rest/default/async/bulk/V1/products",
            json=[product("linked-1"), product("linked-2")],
        )
        drain(deployment, client, created.json()["bulk_uuid"])
        response = client.post(
            "/rest/default/async/bulk/V1/categories/byCategoryId/products",
            json=[
                {"categoryId": category["id"], "productLink": {"sku": "linked-1", "position": 1}},
                {
                    "productLink": {
                        "sku": "linked-2",
                        "position": 2,
                        "category_id": str(category["id"]),
                    }
                },
            ],
        )
        assert response.status_code == 202
        (status,) = drain(deployment, client, response.json()["bulk_uuid"])
        assert [op["status"] for op in status["operations_list"]] == [1, 1]
        links = client.get(f"/rest/V1/categories/{category['id']}/products").json()
        assert sorted((link["sku"], link["position"]) for link in links) == [
            ("linked-1", 1),
            ("linked-2", 2),
        ]
