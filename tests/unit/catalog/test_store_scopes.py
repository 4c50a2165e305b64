"""The store-scope rules (Magento 2.4, spec 2.3-2.6), pinned on the stored rows and on reads.

Stores: ``default`` (1) and ``second`` (2) in website 1, ``other`` (3) in website 2, and ``all``
(the admin scope, store 0).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from commerce_async.catalog.attributes import BY_ID
from commerce_async.storage import schema
from tests.unit.catalog.conftest import attrs

PRODUCT = {
    "sku": "scoped",
    "name": "Base Name",
    "price": 10,
    "status": 1,
    "visibility": 4,
    "type_id": "simple",
    "custom_attributes": {"description": "Base description", "special_price": 8},
}


def stored_rows(services, sku: str = "scoped") -> list[tuple[str, int, Any]]:
    """``(attribute_code, store_id, value)`` of every stored value row of the product."""
    value = schema.catalog_product_value
    entity = schema.catalog_product_entity
    query = (
        sa.select(value)
        .join(entity, entity.c.entity_id == value.c.entity_id)
        .where(entity.c.sku_key == sku.lower())
    )
    rows = services.db.run_read(lambda tx: tx.all(query))
    result = []
    for row in rows:
        attribute = BY_ID[row.attribute_id]
        stored = getattr(row, attribute.column)
        result.append((attribute.code, row.store_id, stored))
    return sorted(result)


def names(api, sku: str = "scoped") -> dict[str, str]:
    return {
        code: api("GET", f"/rest/{code}/V1/products/{sku}")[1]["name"]
        for code in ("all", "default", "second", "other")
    }


def levels(services, code: str) -> dict[int, Any]:
    return {store: stored for attr, store, stored in stored_rows(services) if attr == code}


@pytest.fixture
def product(api, stores) -> dict[str, Any]:
    status, body = api("POST", "/rest/V1/products", {"product": PRODUCT})
    assert status == 200
    return body


def test_rule_1_create_without_code_writes_store_0_only(services, product) -> None:
    assert stored_rows(services) == [
        ("description", 0, "Base description"),
        ("name", 0, "Base Name"),
        ("price", 0, 10.0),
        ("special_price", 0, 8.0),
        ("status", 0, 1.0),
        ("tax_class_id", 0, 2.0),
        ("url_key", 0, "base-name"),
        ("visibility", 0, 4.0),
    ]


def test_create_through_a_store_code_also_writes_store_0(services, api, stores) -> None:
    status, body = api("POST", "/rest/second/V1/products", {"product": PRODUCT})
    assert status == 200 and body["name"] == "Base Name"
    assert {store for _, store, _ in stored_rows(services)} == {0}


def test_the_four_rules_across_store_views(services, api, product) -> None:
    base = {"all": "Base Name", "default": "Base Name", "second": "Base Name", "other": "Base Name"}
    assert names(api) == base

    # Rule 2: no store code writes the default store view only.
    status, body = api("PUT", "/rest/V1/products/scoped", {"product": {"name": "Default Name"}})
    assert (status, body["name"]) == (200, "Default Name")
    assert levels(services, "name") == {0: "Base Name", 1: "Default Name"}
    assert names(api) == {**base, "default": "Default Name"}

    # Rule 3: ``all`` writes store 0; views without their own value follow, ``default`` keeps its.
    status, body = api("PUT", "/rest/all/V1/products/scoped", {"product": {"name": "All Name"}})
    assert (status, body["name"]) == (200, "All Name")
    assert levels(services, "name") == {0: "All Name", 1: "Default Name"}
    assert names(api) == {
        "all": "All Name",
        "default": "Default Name",
        "second": "All Name",
        "other": "All Name",
    }

    # Rule 4: a store code writes that store view only.
    status, body = api("PUT", "/rest/second/V1/products/scoped", {"product": {"name": "Second"}})
    assert (status, body["name"]) == (200, "Second")
    assert levels(services, "name") == {0: "All Name", 1: "Default Name", 2: "Second"}
    assert names(api) == {
        "all": "All Name",
        "default": "Default Name",
        "second": "Second",
        "other": "All Name",
    }
    # Nothing but the name was written at store level.
    assert {(code, store) for code, store, _ in stored_rows(services) if store} == {
        ("name", 1),
        ("name", 2),
    }


def test_null_through_a_store_code_restores_the_fallback(services, api, product) -> None:
    api("PUT", "/rest/second/V1/products/scoped", {"product": {"name": "Second"}})
    api("PUT", "/rest/all/V1/products/scoped", {"product": {"name": "New Base"}})
    assert names(api)["second"] == "Second"
    status, body = api("PUT", "/rest/second/V1/products/scoped", {"product": {"name": None}})
    assert (status, body["name"]) == (200, "New Base")
    assert levels(services, "name") == {0: "New Base"}
    assert names(api)["second"] == "New Base"
    # Later changes of the default reach the view again.
    api("PUT", "/rest/all/V1/products/scoped", {"product": {"name": "Newest"}})
    assert names(api)["second"] == "Newest"


def test_null_through_a_custom_attribute_restores_the_fallback(services, api, product) -> None:
    change = {"custom_attributes": [{"attribute_code": "description", "value": "Mine"}]}
    api("PUT", "/rest/second/V1/products/scoped", {"product": change})
    assert levels(services, "description") == {0: "Base description", 2: "Mine"}
    clear = {"custom_attributes": [{"attribute_code": "description", "value": None}]}
    body = api("PUT", "/rest/second/V1/products/scoped", {"product": clear})[1]
    assert attrs(body)["description"] == "Base description"
    assert levels(services, "description") == {0: "Base description"}


def test_a_value_equal_to_the_inherited_one_creates_no_override(services, api, product) -> None:
    body = api(
        "PUT",
        "/rest/second/V1/products/scoped",
        {"product": {**PRODUCT, "sku": "scoped", "name": "Base Name", "visibility": 4}},
    )[1]
    assert body["name"] == "Base Name"
    assert {store for _, store, _ in stored_rows(services)} == {0}
    # Once overridden, the same value as the default is kept as the view's own value.
    api("PUT", "/rest/second/V1/products/scoped", {"product": {"visibility": 2}})
    api("PUT", "/rest/all/V1/products/scoped", {"product": {"visibility": 2}})
    api("PUT", "/rest/second/V1/products/scoped", {"product": {"visibility": 2}})
    assert levels(services, "visibility") == {0: 2.0, 2: 2.0}


def test_website_scoped_values_spread_to_the_views_of_the_website(services, api, product) -> None:
    body = api("PUT", "/rest/second/V1/products/scoped", {"product": {"status": 2}})[1]
    assert body["status"] == 2
    assert levels(services, "status") == {0: 1.0, 1: 2.0, 2: 2.0}
    statuses = {
        code: api("GET", f"/rest/{code}/V1/products/scoped")[1]["status"]
        for code in ("all", "default", "second", "other")
    }
    assert statuses == {"all": 1, "default": 2, "second": 2, "other": 1}
    # Through the other website's view only that website's views change.
    api("PUT", "/rest/other/V1/products/scoped", {"product": {"status": 2}})
    assert levels(services, "status") == {0: 1.0, 1: 2.0, 2: 2.0, 3: 2.0}
    # null removes the website's rows.
    api("PUT", "/rest/default/V1/products/scoped", {"product": {"status": None}})
    assert levels(services, "status") == {0: 1.0, 3: 2.0}


def test_global_values_and_prices_land_on_store_0(services, api, product) -> None:
    special = {"attribute_code": "special_price", "value": "7"}
    change = {"price": 12.5, "weight": 3, "custom_attributes": [special]}
    body = api("PUT", "/rest/second/V1/products/scoped", {"product": change})[1]
    assert (body["price"], body["weight"], attrs(body)["special_price"]) == (
        12.5,
        3.0,
        "7.000000",
    )
    assert {store for _, store, _ in stored_rows(services)} == {0}
    for code in ("all", "default", "other"):
        seen = api("GET", f"/rest/{code}/V1/products/scoped")[1]
        assert (seen["price"], seen["weight"], attrs(seen)["special_price"]) == (
            12.5,
            3.0,
            "7.000000",
        )


def test_website_price_scope_spreads_prices(services, api, product) -> None:
    config = schema.core_config
    services.db.run(
        lambda tx: tx.execute(config.insert().values(path="catalog/price/scope", value="1"))
    )
    api("PUT", "/rest/second/V1/products/scoped", {"product": {"price": 11}})
    assert levels(services, "price") == {0: 10.0, 1: 11.0, 2: 11.0}
    prices = {
        code: api("GET", f"/rest/{code}/V1/products/scoped")[1]["price"]
        for code in ("all", "default", "second", "other")
    }
    assert prices == {"all": 10.0, "default": 11.0, "second": 11.0, "other": 10.0}


def test_required_values_cannot_be_cleared_at_store_0(api, product) -> None:
    expected = {
        "message": 'The "%1" attribute value is empty. Set the attribute and try again.',
        "parameters": ["Product Name"],
    }
    assert api("PUT", "/rest/all/V1/products/scoped", {"product": {"name": None}}) == (
        400,
        expected,
    )
    # Price is global: clearing it through a store view would clear it everywhere.
    assert api("PUT", "/rest/second/V1/products/scoped", {"product": {"price": None}}) == (
        400,
        {**expected, "parameters": ["Price"]},
    )


def test_get_with_store_id(api, product) -> None:
    api("PUT", "/rest/second/V1/products/scoped", {"product": {"name": "Second"}})
    assert api("GET", "/rest/V1/products/scoped?storeId=2")[1]["name"] == "Second"
    assert api("GET", "/rest/second/V1/products/scoped?storeId=0")[1]["name"] == "Base Name"
    assert api("GET", "/rest/V1/products/scoped?storeId=99") == (
        404,
        {"message": "The store that was requested wasn't found. Verify the store and try again."},
    )


@pytest.mark.parametrize(
    ("prefix", "websites"),
    [("/rest", [1]), ("/rest/default", [1]), ("/rest/all", [1, 2]), ("/rest/other", [2])],
)
def test_website_assignment_on_create(api, stores, prefix: str, websites: list[int]) -> None:
    body = api("POST", f"{prefix}/V1/products", {"product": PRODUCT})[1]
    assert body["extension_attributes"]["website_ids"] == websites


def test_explicit_website_ids_win_on_create(api, stores) -> None:
    product = {**PRODUCT, "extension_attributes": {"website_ids": [2]}}
    body = api("POST", "/rest/all/V1/products", {"product": product})[1]
    assert body["extension_attributes"]["website_ids"] == [2]


def test_url_keys_are_unique_per_store_view(services, api, stores) -> None:
    api("POST", "/rest/V1/products", {"product": {**PRODUCT, "sku": "a", "name": "A"}})
    api("POST", "/rest/V1/products", {"product": {**PRODUCT, "sku": "b", "name": "B"}})
    taken = (400, {"message": "URL key for specified store already exists."})
    to_a = {"product": {"custom_attributes": {"url_key": "a"}}}
    # A's default key is visible in every view, so B cannot take it in ``second``...
    assert api("PUT", "/rest/second/V1/products/b", to_a) == taken
    # ...until A has a key of its own in ``second``.
    own = {"product": {"custom_attributes": {"url_key": "a-second"}}}
    assert api("PUT", "/rest/second/V1/products/a", own)[0] == 200
    status, body = api("PUT", "/rest/second/V1/products/b", to_a)
    assert (status, attrs(body)["url_key"]) == (200, "a")
    assert attrs(api("GET", "/rest/default/V1/products/b")[1])["url_key"] == "b"
    # A cannot drop its own key there now: its default would collide with B's key in ``second``.
    clear = {"product": {"custom_attributes": {"url_key": None}}}
    assert api("PUT", "/rest/second/V1/products/a", clear) == taken
    # In the other website's view A's default is still visible.
    assert api("PUT", "/rest/other/V1/products/b", to_a) == taken
