"""Product create, upsert, read, patch, delete and their errors, with full bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import make_services
from tests.unit.catalog.conftest import attrs, stock_item, without_times

NOT_FOUND = {
    "message": "The product that was requested doesn't exist. Verify the product and try again."
}
SHIRT = {
    "sku": "MS-Champ-S",
    "name": "Champ Tee Small",
    "attribute_set_id": 4,
    "price": 25,
    "status": 1,
    "visibility": 4,
    "type_id": "simple",
    "weight": 0.5,
    "extension_attributes": {"stock_item": {"qty": 100, "is_in_stock": True}},
    "custom_attributes": [
        {"attribute_code": "description", "value": "The Champ Tee keeps you cool."},
        {"attribute_code": "color", "value": "52"},
    ],
}


def test_create_answers_the_full_product(api) -> None:
    status, body = api("POST", "/rest/V1/products", {"product": SHIRT})
    assert status == 200
    assert body["created_at"] == body["updated_at"]
    assert without_times(body) == {
        "id": 1,
        "sku": "MS-Champ-S",
        "name": "Champ Tee Small",
        "attribute_set_id": 4,
        "price": 25.0,
        "status": 1,
        "visibility": 4,
        "type_id": "simple",
        "weight": 0.5,
        "extension_attributes": {
            "website_ids": [1],
            "stock_item": stock_item(1, qty=100.0, is_in_stock=True),
        },
        "product_links": [],
        "options": [],
        "media_gallery_entries": [],
        "tier_prices": [],
        "custom_attributes": [
            {"attribute_code": "description", "value": "The Champ Tee keeps you cool."},
            {"attribute_code": "color", "value": "52"},
            {"attribute_code": "url_key", "value": "champ-tee-small"},
            {"attribute_code": "tax_class_id", "value": "2"},
        ],
    }
    assert api("GET", "/rest/V1/products/MS-Champ-S") == (200, body)


def test_defaults_on_create_and_minimal_input(api) -> None:
    status, body = api(
        "POST", "/rest/V1/products", {"product": {"sku": "min", "name": "Min", "price": "3.62"}}
    )
    assert status == 200
    assert without_times(body) == {
        "id": 1,
        "sku": "min",
        "name": "Min",
        "attribute_set_id": 4,
        "price": 3.62,
        "status": 1,
        "visibility": 4,
        "type_id": "simple",
        "extension_attributes": {"website_ids": [1], "stock_item": stock_item(1)},
        "product_links": [],
        "options": [],
        "media_gallery_entries": [],
        "tier_prices": [],
        "custom_attributes": [
            {"attribute_code": "url_key", "value": "min"},
            {"attribute_code": "tax_class_id", "value": "2"},
        ],
    }


def test_custom_attributes_map_form_and_value_strings(api) -> None:
    product = {
        "sku": "map",
        "name": "Map Form",
        "price": 10,
        "type_id": "virtual",
        "custom_attributes": {
            "special_price": 7.5,
            "special_from_date": "2026-01-02",
            "manufacturer": 12,
            "url_key": "Custom Key!",
            "meta_title": "Title",
        },
    }
    status, body = api("POST", "/rest/V1/products", {"product": product})
    assert status == 200
    assert body["type_id"] == "virtual"
    assert body["custom_attributes"] == [
        {"attribute_code": "special_price", "value": "7.500000"},
        {"attribute_code": "special_from_date", "value": "2026-01-02 00:00:00"},
        {"attribute_code": "manufacturer", "value": "12"},
        {"attribute_code": "meta_title", "value": "Title"},
        {"attribute_code": "url_key", "value": "custom-key"},
        {"attribute_code": "tax_class_id", "value": "2"},
    ]


def test_post_to_an_existing_sku_updates_it(api) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    status, body = api(
        "POST", "/rest/all/V1/products", {"product": {"sku": "ms-champ-s", "price": 30}}
    )
    assert status == 200
    assert (body["id"], body["sku"], body["price"], body["name"]) == (
        1,
        "MS-Champ-S",
        30.0,
        "Champ Tee Small",
    )
    status, listing = api("GET", "/rest/V1/products?searchCriteria=")
    assert listing["total_count"] == 1


def test_put_to_an_unknown_sku_creates_it(api) -> None:
    status, body = api(
        "PUT", "/rest/V1/products/NEW-1", {"product": {"name": "New", "price": 1, "sku": "x"}}
    )
    assert status == 200
    assert (body["id"], body["sku"], body["name"]) == (1, "NEW-1", "New")


def test_sku_identity_ignores_case_and_surrounding_spaces(api) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    status, body = api("PUT", "/rest/all/V1/products/ms-CHAMP-s", {"product": {"price": 26}})
    assert (status, body["id"], body["sku"], body["price"]) == (200, 1, "MS-Champ-S", 26.0)
    status, body = api("POST", "/rest/all/V1/products", {"product": {"sku": "  MS-CHAMP-S "}})
    assert (status, body["id"]) == (200, 1)
    assert api("GET", "/rest/V1/products/ms-champ-s")[1]["id"] == 1
    assert api("DELETE", "/rest/V1/products/MS-CHAMP-S") == (200, True)


def test_put_path_rule_with_a_second_body_key(api) -> None:
    """With ``saveOptions`` beside ``product`` the URL SKU is not injected (Magento 0.2)."""
    status, body = api(
        "PUT",
        "/rest/V1/products/URL-SKU",
        {"product": {"sku": "BODY-SKU", "name": "B", "price": 1}, "saveOptions": True},
    )
    assert (status, body["sku"]) == (200, "BODY-SKU")
    status, body = api(
        "PUT", "/rest/V1/products/URL-SKU", {"product": {"name": "B"}, "saveOptions": True}
    )
    assert (status, body) == (
        400,
        {
            "message": 'The "%1" attribute value is empty. Set the attribute and try again.',
            "parameters": ["sku"],
        },
    )


def test_update_keeps_what_the_request_leaves_out(api) -> None:
    api("POST", "/rest/V1/products", {"product": {**SHIRT, "status": 2}})
    status, body = api(
        "PUT",
        "/rest/all/V1/products/MS-Champ-S",
        {"product": {"custom_attributes": [{"attribute_code": "meta_title", "value": "T"}]}},
    )
    assert status == 200
    assert (body["status"], body["price"], body["weight"]) == (2, 25.0, 0.5)
    assert body["extension_attributes"]["website_ids"] == [1]
    assert body["extension_attributes"]["stock_item"]["qty"] == 100.0
    assert attrs(body)["meta_title"] == "T"
    assert attrs(body)["description"] == "The Champ Tee keeps you cool."


def test_null_clears_an_optional_value(api) -> None:
    api("POST", "/rest/V1/products", {"product": {**SHIRT, "custom_attributes": {"cost": 4}}})
    status, body = api("PUT", "/rest/all/V1/products/MS-Champ-S", {"product": {"weight": None}})
    assert status == 200 and "weight" not in body
    body = api(
        "PUT",
        "/rest/all/V1/products/MS-Champ-S",
        {"product": {"custom_attributes": [{"attribute_code": "cost", "value": None}]}},
    )[1]
    assert "cost" not in attrs(body)


def test_patch_changes_only_the_given_fields(api) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    before = api("GET", "/rest/all/V1/products/MS-Champ-S")[1]
    status, body = api("PATCH", "/rest/all/V1/products/ms-champ-s", {"product": {"price": 19.5}})
    assert status == 200
    expected = {**before, "price": 19.5, "updated_at": body["updated_at"]}
    assert body == expected
    assert api("GET", "/rest/all/V1/products/MS-Champ-S") == (200, expected)


def test_patch_of_an_unknown_sku_is_404(api) -> None:
    status, body = api("PATCH", "/rest/V1/products/NOPE", {"product": {"price": 1}})
    assert (status, body) == (404, NOT_FOUND)
    assert api("GET", "/rest/V1/products/NOPE") == (404, NOT_FOUND)


def test_delete(api) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    assert api("DELETE", "/rest/V1/products/MS-Champ-S") == (200, True)
    assert api("GET", "/rest/V1/products/MS-Champ-S") == (404, NOT_FOUND)
    assert api("DELETE", "/rest/V1/products/MS-Champ-S") == (404, NOT_FOUND)
    # The URL key is free again.
    assert api("POST", "/rest/V1/products", {"product": {**SHIRT, "sku": "again"}})[0] == 200


def test_not_found_message_of_the_develop_line(tmp_path) -> None:
    from starlette.testclient import TestClient

    from commerce_async.webapi.app import create_app
    from tests.support import admin_token

    services = make_services(tmp_path, product_not_found_message="develop")
    try:
        with TestClient(create_app(services, consumers=0)) as client:
            headers = {"Authorization": f"Bearer {admin_token(services)}"}
            response = client.get("/rest/V1/products/Nope-1", headers=headers)
            assert (response.status_code, response.json()) == (
                404,
                {"message": 'The product with SKU "%1" does not exist.', "parameters": ["Nope-1"]},
            )
    finally:
        services.close()


def _empty(label: str) -> dict[str, Any]:
    return {
        "message": 'The "%1" attribute value is empty. Set the attribute and try again.',
        "parameters": [label],
    }


SAVE_ERRORS = [
    ({"name": "No SKU", "price": 1}, _empty("sku")),
    ({"sku": "   ", "name": "Blank SKU", "price": 1}, _empty("sku")),
    ({"sku": "no-name", "price": 1}, _empty("Product Name")),
    ({"sku": "empty-name", "name": "", "price": 1}, _empty("Product Name")),
    ({"sku": "no-price", "name": "No price"}, _empty("Price")),
    (
        {"sku": "x" * 65, "name": "Long", "price": 1},
        {"message": "SKU length should be %1 characters maximum.", "parameters": [64]},
    ),
    (
        {"sku": "bad-price", "name": "Bad", "price": "invalid_format"},
        {
            "message": 'Error occurred during "price" processing. The "invalid_format" '
            'value\'s type is invalid. The "float" type was expected. Verify and try again.'
        },
    ),
    (
        {"sku": "set", "name": "Set", "price": 1, "attribute_set_id": 3},
        {
            "message": "Invalid product data: %1",
            "parameters": ["Invalid attribute set entity type"],
        },
    ),
    (
        {"sku": "type", "name": "Type", "price": 1, "type_id": "bundle"},
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": "bundle", "fieldName": "type_id"},
        },
    ),
    (
        {"sku": "attr", "name": "A", "price": 1, "custom_attributes": {"shoe_size": "42"}},
        {
            "message": 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the '
            "attribute and try again.",
            "parameters": ["shoe_size"],
        },
    ),
    (
        {
            "sku": "sp",
            "name": "S",
            "price": 1,
            "custom_attributes": [{"attribute_code": "special_price", "value": "cheap"}],
        },
        {
            "message": 'Attribute "special_price" has invalid value. The "cheap" value\'s '
            'type is invalid. The "float" type was expected. Verify and try again.'
        },
    ),
    (
        {"sku": "st", "name": "S", "price": 1, "status": 3},
        {"message": 'Attribute "status" has invalid value. The value "3" is not one of 1, 2.'},
    ),
    (
        {"sku": "ca", "name": "C", "price": 1, "custom_attributes": [{"value": "x"}]},
        {
            "message": "A custom attribute is specified with a missing attribute code. "
            "Verify the code and try again."
        },
    ),
    (
        {
            "sku": "cv",
            "name": "C",
            "price": 1,
            "custom_attributes": [{"attribute_code": "cost"}],
        },
        {
            "message": 'The "%1" attribute code doesn\'t have a value set. Enter the value '
            "and try again.",
            "parameters": ["cost"],
        },
    ),
    (
        {"sku": "wrong", "name": "W", "price": 1, "wrong_attribute": 1},
        {
            "message": '"%fieldName" is not supported. Correct the field name and try again.',
            "parameters": {"fieldName": "WrongAttribute"},
        },
    ),
    (
        {"sku": "ws", "name": "W", "price": 1, "extension_attributes": {"website_ids": [9]}},
        {
            "message": "The website with id %1 that was requested wasn't found. Verify the "
            "website and try again.",
            "parameters": [9],
        },
    ),
    (
        {"sku": "opt", "name": "O", "price": 1, "options": [{"title": "Engraving"}]},
        {
            "message": 'The "%1" field is not supported yet: only an empty list is accepted.',
            "parameters": ["options"],
        },
    ),
]


def test_save_errors(api) -> None:
    for product, expected in SAVE_ERRORS:
        assert api("POST", "/rest/V1/products", {"product": product}) == (400, expected), product
    assert api("GET", "/rest/V1/products?searchCriteria=")[1]["total_count"] == 0


def test_missing_product_argument(api) -> None:
    assert api("POST", "/rest/V1/products", {"saveOptions": True}) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "product"},
        },
    )


def test_duplicate_url_key(api) -> None:
    assert api("POST", "/rest/V1/products", {"product": SHIRT})[0] == 200
    duplicate = {"sku": "other", "name": "Champ  Tee -- Small", "price": 1}
    expected = (400, {"message": "URL key for specified store already exists."})
    assert api("POST", "/rest/V1/products", {"product": duplicate}) == expected
    unique = {**duplicate, "custom_attributes": {"url_key": "champ-tee-small-2"}}
    assert api("POST", "/rest/V1/products", {"product": unique})[0] == 200
    # Changing the second product's key to the first one's is refused as well.
    change = {"product": {"custom_attributes": {"url_key": "champ-tee-small"}}}
    assert api("PUT", "/rest/all/V1/products/other", change) == expected


def test_script_tags_are_refused(api) -> None:
    product = {"sku": "xss", "name": "<script>alert(1)</script>", "price": 1}
    assert api("POST", "/rest/V1/products", {"product": product}) == (
        400,
        {
            "message": '"%field_name" does not contains valid value.',
            "parameters": {"field_name": "name"},
        },
    )


def test_acl(client) -> None:
    response = client.get("/rest/V1/products/ANY")
    assert (response.status_code, response.json()) == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Catalog::products"},
        },
    )


def test_fields_filter_on_get_and_save(api) -> None:
    status, body = api("POST", "/rest/V1/products?fields=sku,price", {"product": SHIRT})
    assert (status, body) == (200, {"sku": "MS-Champ-S", "price": 25.0})
    status, body = api(
        "GET", "/rest/V1/products/MS-Champ-S?fields=id,custom_attributes[url_key,color]"
    )
    assert body == {
        "id": 1,
        "custom_attributes": [
            {"attribute_code": "color", "value": "52"},
            {"attribute_code": "url_key", "value": "champ-tee-small"},
        ],
    }


@pytest.fixture
def known_categories(monkeypatch):
    """Categories 3 and 11 exist (the categories module answers through the same seam)."""
    from commerce_async.catalog import links

    monkeypatch.setattr(links, "_validators", [lambda tx, ids: ids & {3, 11}])


def test_category_links_round_trip(api, known_categories) -> None:
    product = {
        **SHIRT,
        "extension_attributes": {
            "category_links": [
                {"position": 2, "category_id": "11"},
                {"position": 0, "category_id": 3},
            ]
        },
    }
    body = api("POST", "/rest/V1/products", {"product": product})[1]
    expected_links = [{"position": 0, "category_id": "3"}, {"position": 2, "category_id": "11"}]
    assert body["extension_attributes"]["category_links"] == expected_links
    assert attrs(body)["category_ids"] == ["3", "11"]
    # Absent keeps them, [] removes them.
    body = api("PUT", "/rest/all/V1/products/MS-Champ-S", {"product": {"price": 2}})[1]
    assert body["extension_attributes"]["category_links"] == expected_links
    body = api(
        "PUT",
        "/rest/all/V1/products/MS-Champ-S",
        {"product": {"extension_attributes": {"category_links": []}}},
    )[1]
    assert "category_links" not in body["extension_attributes"]
    assert "category_ids" not in attrs(body)


def test_links_to_unknown_categories_are_refused(api, known_categories) -> None:
    links = [{"position": 1, "category_id": "3"}, {"position": 5, "category_id": "404"}]
    product = {**SHIRT, "extension_attributes": {"category_links": links}}
    assert api("POST", "/rest/V1/products", {"product": product}) == (
        400,
        {
            "message": 'Could not save product "%1" with position %2 to category %3',
            "parameters": ["MS-Champ-S", 5, 404],
        },
    )


def test_stock_item_is_merged(api) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    body = api(
        "PUT",
        "/rest/V1/products/MS-Champ-S",
        {"product": {"extension_attributes": {"stock_item": {"qty": 7}}}},
    )[1]
    assert body["extension_attributes"]["stock_item"] == stock_item(1, qty=7.0, is_in_stock=True)


def test_website_ids_replace_and_empty(api, stores) -> None:
    api("POST", "/rest/V1/products", {"product": SHIRT})
    body = api(
        "PUT",
        "/rest/V1/products/MS-Champ-S",
        {"product": {"extension_attributes": {"website_ids": [2, 1]}}},
    )[1]
    assert body["extension_attributes"]["website_ids"] == [1, 2]
    body = api(
        "PUT",
        "/rest/V1/products/MS-Champ-S",
        {"product": {"extension_attributes": {"website_ids": []}}},
    )[1]
    assert body["extension_attributes"]["website_ids"] == []


def test_a_product_read_can_be_saved_back_unchanged(services, api, known_categories) -> None:
    links = [{"position": 3, "category_id": "11"}]
    product = {**SHIRT, "extension_attributes": {"category_links": links}}
    api("POST", "/rest/V1/products", {"product": product})
    read = api("GET", "/rest/all/V1/products/MS-Champ-S")[1]
    status, saved = api("PUT", "/rest/all/V1/products/MS-Champ-S", {"product": read})
    assert status == 200
    assert saved == {**read, "updated_at": saved["updated_at"]}
    from tests.unit.catalog.test_store_scopes import stored_rows

    # Nothing but the store-0 rows exist: sending a product back creates no override either.
    status, saved = api("PUT", "/rest/default/V1/products/MS-Champ-S", {"product": read})
    assert status == 200
    assert {store for _, store, _ in stored_rows(services, "MS-Champ-S")} == {0}


def test_category_ids_custom_attribute_sets_the_categories(api, known_categories) -> None:
    links = [{"position": 3, "category_id": "11"}]
    product = {**SHIRT, "extension_attributes": {"category_links": links}}
    api("POST", "/rest/V1/products", {"product": product})
    change = {"custom_attributes": [{"attribute_code": "category_ids", "value": ["3", "11"]}]}
    body = api("PUT", "/rest/V1/products/MS-Champ-S", {"product": change})[1]
    assert body["extension_attributes"]["category_links"] == [
        {"position": 0, "category_id": "3"},
        {"position": 3, "category_id": "11"},
    ]
    bad = {"custom_attributes": {"category_ids": "3,x"}}
    assert api("PUT", "/rest/V1/products/MS-Champ-S", {"product": bad}) == (
        400,
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": "x", "fieldName": "category_ids"},
        },
    )
