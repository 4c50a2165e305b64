"""Category-product links: assign, list, reposition, unassign, their errors, and the bulk route."""

from __future__ import annotations

import json

import sqlalchemy as sa

from commerce_async.storage import schema
from tests.unit.categories.conftest import run_consumer

JSON = {"Content-Type": "application/json"}
PRODUCT_NOT_FOUND = {
    "message": "The product that was requested doesn't exist. Verify the product and try again."
}


def category_not_found(category_id):
    return {
        "message": "No such entity with %fieldName = %fieldValue",
        "parameters": {"fieldName": "id", "fieldValue": category_id},
    }


def setup_catalog(api, skus=("A1", "B2")) -> int:
    status, body = api("POST", "/rest/V1/categories", {"category": {"name": "Bags"}})
    assert status == 200
    for sku in skus:
        product = {"sku": sku, "name": f"Product {sku}", "price": 10, "attribute_set_id": 4}
        assert api("POST", "/rest/V1/products", {"product": product})[0] == 200
    return body["id"]


def test_assign_list_reposition_and_unassign(api) -> None:
    bags = setup_catalog(api)
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (200, [])
    link = {"productLink": {"sku": "B2", "position": 5}}
    assert api("POST", f"/rest/V1/categories/{bags}/products", link) == (200, True)
    # PUT puts the path's category into the link; POST takes it from the path too.
    link = {"productLink": {"sku": "a1", "position": 1, "category_id": "999"}}
    assert api("PUT", f"/rest/V1/categories/{bags}/products", link) == (200, True)
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (
        200,
        [
            {"sku": "A1", "position": 1, "category_id": str(bags)},
            {"sku": "B2", "position": 5, "category_id": str(bags)},
        ],
    )
    # Assigning again moves the product.
    link = {"productLink": {"sku": "A1", "position": 9}}
    assert api("POST", f"/rest/V1/categories/{bags}/products", link) == (200, True)
    assert api("GET", f"/rest/V1/categories/{bags}/products")[1][1] == {
        "sku": "A1",
        "position": 9,
        "category_id": str(bags),
    }
    product = api("GET", "/rest/V1/products/A1")[1]
    assert product["extension_attributes"]["category_links"] == [
        {"position": 9, "category_id": str(bags)}
    ]
    assert api("DELETE", f"/rest/V1/categories/{bags}/products/A1") == (200, True)
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (
        200,
        [{"sku": "B2", "position": 5, "category_id": str(bags)}],
    )


def test_link_errors(api) -> None:
    bags = setup_catalog(api, skus=("A1",))
    link = {"productLink": {"sku": "A1"}}
    assert api("POST", "/rest/V1/categories/99/products", link) == (404, category_not_found(99))
    assert api("GET", "/rest/V1/categories/99/products") == (404, category_not_found(99))
    missing = {"productLink": {"sku": "NOPE"}}
    assert api("POST", f"/rest/V1/categories/{bags}/products", missing) == (404, PRODUCT_NOT_FOUND)
    assert api("POST", f"/rest/V1/categories/{bags}/products", {"productLink": {}}) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "sku"},
        },
    )
    assert api("POST", f"/rest/V1/categories/{bags}/products", {}) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "productLink"},
        },
    )
    assert api("DELETE", f"/rest/V1/categories/{bags}/products/A1") == (
        400,
        {"message": "The category doesn't contain the specified product."},
    )
    assert api("DELETE", f"/rest/V1/categories/{bags}/products/NOPE") == (404, PRODUCT_NOT_FOUND)
    assert api("DELETE", "/rest/V1/categories/99/products/A1") == (404, category_not_found(99))


def test_product_saves_refuse_unknown_categories(api) -> None:
    bags = setup_catalog(api, skus=())
    product = {
        "sku": "C3",
        "name": "C3",
        "price": 1,
        "extension_attributes": {"category_links": [{"category_id": "77", "position": 2}]},
    }
    assert api("POST", "/rest/V1/products", {"product": product}) == (
        400,
        {
            "message": 'Could not save product "%1" with position %2 to category %3',
            "parameters": ["C3", 2, 77],
        },
    )
    product["extension_attributes"]["category_links"][0]["category_id"] = str(bags)
    assert api("POST", "/rest/V1/products", {"product": product})[0] == 200
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (
        200,
        [{"sku": "C3", "position": 2, "category_id": str(bags)}],
    )


def test_bulk_links_take_the_category_from_the_item_or_the_link(
    client, auth, api, services
) -> None:
    bags = setup_catalog(api, skus=("A1", "B2", "C3"))
    items = [
        {"categoryId": bags, "productLink": {"sku": "A1", "position": 1}},
        {"categoryId": str(bags), "productLink": {"sku": "B2", "position": 2}},
        {"productLink": {"sku": "C3", "position": 3, "category_id": str(bags)}},
        {"productLink": {"sku": "C3"}},
    ]
    response = client.post(
        "/rest/default/async/bulk/V1/categories/byCategoryId/products",
        headers={**auth, **JSON},
        json=items,
    )
    assert response.status_code == 202
    body = response.json()
    assert [item["status"] for item in body["request_items"]] == ["accepted"] * 4
    run_consumer(services, 4)
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (
        200,
        [
            {"sku": "A1", "position": 1, "category_id": str(bags)},
            {"sku": "B2", "position": 2, "category_id": str(bags)},
            {"sku": "C3", "position": 3, "category_id": str(bags)},
        ],
    )
    table = schema.magento_operation
    operations = services.db.run_read(
        lambda tx: tx.all(
            sa.select(table)
            .where(table.c.bulk_uuid == body["bulk_uuid"])
            .order_by(table.c.operation_key)
        )
    )
    assert [(op.status, op.result_message, op.result_serialized_data) for op in operations] == [
        (
            1,
            "Service execution success Magento\\Catalog\\Model\\CategoryLinkRepository::save",
            "true",
        ),
        (
            1,
            "Service execution success Magento\\Catalog\\Model\\CategoryLinkRepository::save",
            "true",
        ),
        (
            1,
            "Service execution success Magento\\Catalog\\Model\\CategoryLinkRepository::save",
            "true",
        ),
        (3, '"categoryId" is required. Enter and try again.', None),
    ]
    assert json.loads(json.loads(operations[3].serialized_data)["meta_information"]) == {
        "productLink": {"sku": "C3"}
    }
    # The bulk DELETE twin names the category and the SKU in each item.
    response = client.request(
        "DELETE",
        "/rest/default/async/bulk/V1/categories/byCategoryId/products/bySku",
        headers={**auth, **JSON},
        json=[{"categoryId": bags, "sku": "A1"}, {"categoryId": bags, "sku": "B2"}],
    )
    assert response.status_code == 202
    run_consumer(services, 2)
    assert api("GET", f"/rest/V1/categories/{bags}/products") == (
        200,
        [{"sku": "C3", "position": 3, "category_id": str(bags)}],
    )
