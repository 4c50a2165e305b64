"""Categories: create, read, update with store scopes, tree, delete, move, and their errors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commerce_async.storage import schema
from tests.unit.categories.conftest import run_consumer, without_times

JSON = {"Content-Type": "application/json"}
NOT_FOUND_99 = {
    "message": "No such entity with %fieldName = %fieldValue",
    "parameters": {"fieldName": "id", "fieldValue": 99},
}
KIDS = {
    "parent_id": 2,
    "name": "Kids",
    "is_active": True,
    "level": 2,
    "include_in_menu": True,
    "custom_attributes": [
        {"attribute_code": "description", "value": "kids category description"},
        {"attribute_code": "meta_title", "value": "Kids meta title"},
        {"attribute_code": "meta_keywords", "value": "Kids meta keywords"},
        {"attribute_code": "meta_description", "value": "Kids meta description"},
        {"attribute_code": "url_key", "value": "kids"},
        {"attribute_code": "url_path", "value": "kids"},
    ],
}


def custom(path: str, children_count: int = 0, **values: str) -> list[dict[str, str]]:
    """``custom_attributes`` in the order the API answers them."""
    order = ["description", "is_anchor", "path", "children_count", "url_key", "url_path"]
    values = {"is_anchor": "1", "path": path, "children_count": str(children_count), **values}
    return [{"attribute_code": code, "value": values[code]} for code in order if code in values]


def create(api, name: str, parent_id: int = 2, **fields: Any) -> dict[str, Any]:
    status, body = api(
        "POST",
        "/rest/V1/categories",
        {"category": {"name": name, "parent_id": parent_id, **fields}},
    )
    assert status == 200, body
    return body


def names(api, category_id: int, stores: list[str]) -> dict[str, str | None]:
    result = {}
    for store in stores:
        status, body = api("GET", f"/rest/{store}/V1/categories/{category_id}")
        assert status == 200
        result[store] = body.get("name")
    return result


def name_rows(services, category_id: int) -> dict[int, str]:
    value = schema.catalog_category_value
    rows = services.db.run_read(
        lambda tx: tx.all(
            sa.select(value.c.store_id, value.c.value).where(
                value.c.entity_id == category_id, value.c.attribute_id == 45
            )
        )
    )
    return {row.store_id: row.value for row in rows}


def test_a_fresh_install_has_the_root_catalog_and_the_default_category(api) -> None:
    status, root = api("GET", "/rest/all/V1/categories/1")
    assert status == 200
    assert without_times(root) == {
        "id": 1,
        "parent_id": 0,
        "name": "Root Catalog",
        "position": 0,
        "level": 0,
        "children": "2",
        "path": "1",
        "available_sort_by": [],
        "custom_attributes": [
            {"attribute_code": "path", "value": "1"},
            {"attribute_code": "children_count", "value": "1"},
        ],
    }
    status, default = api("GET", "/rest/V1/categories/2")
    assert status == 200
    assert without_times(default) == {
        "id": 2,
        "parent_id": 1,
        "name": "Default Category",
        "is_active": True,
        "position": 1,
        "level": 1,
        "children": "",
        "path": "1/2",
        "available_sort_by": [],
        "include_in_menu": True,
        "custom_attributes": [
            {"attribute_code": "display_mode", "value": "PRODUCTS"},
            {"attribute_code": "is_anchor", "value": "1"},
            {"attribute_code": "path", "value": "1/2"},
            {"attribute_code": "children_count", "value": "0"},
        ],
    }


def test_install_is_idempotent(services) -> None:
    from commerce_async.setup import upgrade

    assert upgrade(services) is False
    entity = schema.catalog_category_entity
    count = services.db.run_read(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(entity))
    )
    assert count == 2


def test_create_answers_like_the_documentation_example(api) -> None:
    status, body = api("POST", "/rest/V1/categories", {"category": KIDS})
    assert status == 200
    assert body["created_at"] == body["updated_at"]
    assert without_times(body) == {
        "id": 3,
        "parent_id": 2,
        "name": "Kids",
        "is_active": True,
        "position": 1,
        "level": 2,
        "children": "",
        "path": "1/2/3",
        "available_sort_by": [],
        "include_in_menu": True,
        "custom_attributes": [
            {"attribute_code": "description", "value": "kids category description"},
            {"attribute_code": "meta_title", "value": "Kids meta title"},
            {"attribute_code": "meta_keywords", "value": "Kids meta keywords"},
            {"attribute_code": "meta_description", "value": "Kids meta description"},
            {"attribute_code": "is_anchor", "value": "1"},
            {"attribute_code": "path", "value": "1/2/3"},
            {"attribute_code": "children_count", "value": "0"},
            {"attribute_code": "url_key", "value": "kids"},
            {"attribute_code": "url_path", "value": "kids"},
        ],
    }
    status, parent = api("GET", "/rest/V1/categories/2")
    assert (parent["children"], parent["custom_attributes"][3]) == (
        "3",
        {"attribute_code": "children_count", "value": "1"},
    )


def test_create_defaults_and_nesting(api) -> None:
    shoes = create(api, "Shoes & Boots")
    create(api, "Hats")
    boots = create(api, "Winter Boots", parent_id=shoes["id"], available_sort_by=["name", "price"])
    assert without_times(boots) == {
        "id": 5,
        "parent_id": 3,
        "name": "Winter Boots",
        "position": 1,
        "level": 3,
        "children": "",
        "path": "1/2/3/5",
        "available_sort_by": ["name", "price"],
        "include_in_menu": True,
        "custom_attributes": custom(
            "1/2/3/5", url_key="winter-boots", url_path="shoes-boots/winter-boots"
        ),
    }
    root = api("GET", "/rest/all/V1/categories/1")[1]
    assert root["custom_attributes"][-1] == {"attribute_code": "children_count", "value": "4"}
    assert api("GET", "/rest/V1/categories/2")[1]["children"] == "3,4"
    explicit = create(api, "First", position=0, custom_attributes={"is_anchor": "0"})
    assert (explicit["position"], explicit["custom_attributes"][0]) == (
        0,
        {"attribute_code": "is_anchor", "value": "0"},
    )


CREATE_ERRORS = [
    (
        {"parent_id": 2},
        400,
        {
            "message": "Could not save category: %1",
            "parameters": ['The "Name" attribute is required. Enter and try again.'],
        },
    ),
    (
        {"name": "", "parent_id": 2},
        400,
        {
            "message": "Could not save category: %1",
            "parameters": ['The "Name" attribute is required. Enter and try again.'],
        },
    ),
    ({"name": "Orphan", "parent_id": 99}, 404, NOT_FOUND_99),
    (
        {"name": "X", "is_active": "maybe"},
        400,
        {
            "message": 'Error occurred during "is_active" processing. The "maybe" value\'s '
            'type is invalid. The "bool" type was expected. Verify and try again.'
        },
    ),
    (
        {"name": "X", "custom_attributes": [{"attribute_code": "colour", "value": "red"}]},
        400,
        {
            "message": 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the '
            "attribute and try again.",
            "parameters": ["colour"],
        },
    ),
    (
        {"name": "X", "custom_attributes": [{"attribute_code": "is_anchor", "value": "2"}]},
        400,
        {"message": 'Attribute "is_anchor" has invalid value. The value "2" is not one of 0, 1.'},
    ),
    (
        {"name": "X", "custom_attributes": [{"attribute_code": "url_key"}]},
        400,
        {
            "message": 'The "%1" attribute code doesn\'t have a value set. Enter the value '
            "and try again.",
            "parameters": ["url_key"],
        },
    ),
    (
        {"name": "???"},
        400,
        {"message": "Could not save category: %1", "parameters": ["Invalid URL key"]},
    ),
    (
        {"name": "X", "store_id": 1},
        400,
        {
            "message": '"%fieldName" is not supported. Correct the field name and try again.',
            "parameters": {"fieldName": "StoreId"},
        },
    ),
]


def test_create_errors(api) -> None:
    for category, status, expected in CREATE_ERRORS:
        assert api("POST", "/rest/V1/categories", {"category": category}) == (status, expected)
    assert api("GET", "/rest/V1/categories/3") == (
        404,
        {**NOT_FOUND_99, "parameters": {"fieldName": "id", "fieldValue": 3}},
    )


def test_read_and_write_errors(api, client) -> None:
    assert api("GET", "/rest/V1/categories/99") == (404, NOT_FOUND_99)
    assert api("PUT", "/rest/V1/categories/99", {"category": {"name": "X"}}) == (404, NOT_FOUND_99)
    assert api("DELETE", "/rest/V1/categories/99") == (404, NOT_FOUND_99)
    assert api("GET", "/rest/V1/categories/abc") == (
        400,
        {
            "message": 'Error occurred during "categoryId" processing. The "abc" value\'s type is '
            'invalid. The "int" type was expected. Verify and try again.'
        },
    )
    assert api("GET", "/rest/V1/categories/2?storeId=42") == (
        404,
        {"message": "The store that was requested wasn't found. Verify the store and try again."},
    )
    assert api("POST", "/rest/V1/categories", {}) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "category"},
        },
    )
    response = client.get("/rest/V1/categories/2")
    assert (response.status_code, response.json()) == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Catalog::categories"},
        },
    )


def test_put_updates_the_category_named_by_the_path(api) -> None:
    kids = create(api, "Kids")
    status, body = api(
        "PUT",
        f"/rest/all/V1/categories/{kids['id']}",
        {"category": {"name": "Children", "is_active": False, "position": 7, "parent_id": 1}},
    )
    assert status == 200
    assert without_times(body) == {
        **without_times(kids),
        "name": "Children",
        "is_active": False,
        "position": 7,
    }
    # The body's id names the category too (POST with an id updates, as in Magento).
    status, body = api(
        "POST", "/rest/all/V1/categories", {"category": {"id": kids["id"], "name": "Young"}}
    )
    assert (status, body["name"], body["parent_id"]) == (200, "Young", 2)
    assert api("PUT", f"/rest/all/V1/categories/{kids['id']}", {"category": {"name": None}}) == (
        400,
        {
            "message": "Could not save category: %1",
            "parameters": ['The "Name" attribute is required. Enter and try again.'],
        },
    )


def test_names_follow_the_four_store_rules(api, services, views) -> None:
    category_id = create(api, "Shoes")["id"]
    stores = ["all", "default", "fr", "de"]
    assert name_rows(services, category_id) == {0: "Shoes"}

    # Without a code an update writes the default store view.
    status, body = api(
        "PUT", f"/rest/V1/categories/{category_id}", {"category": {"name": "Shoes EN"}}
    )
    assert (status, body["name"]) == (200, "Shoes EN")
    # A code writes that store view.
    status, body = api(
        "PUT", f"/rest/fr/V1/categories/{category_id}", {"category": {"name": "Chaussures"}}
    )
    assert (status, body["name"]) == (200, "Chaussures")
    assert names(api, category_id, stores) == {
        "all": "Shoes",
        "default": "Shoes EN",
        "fr": "Chaussures",
        "de": "Shoes",
    }
    # ``all`` writes the default scope: views without their own name follow, the others keep it.
    status, body = api(
        "PUT", f"/rest/all/V1/categories/{category_id}", {"category": {"name": "Footwear"}}
    )
    assert (status, body["name"]) == (200, "Footwear")
    assert names(api, category_id, stores) == {
        "all": "Footwear",
        "default": "Shoes EN",
        "fr": "Chaussures",
        "de": "Footwear",
    }
    # The value a view already inherits creates no override there.
    api("PUT", f"/rest/de/V1/categories/{category_id}", {"category": {"name": "Footwear"}})
    # null through a view restores inheritance ("Use Default Value").
    api("PUT", f"/rest/fr/V1/categories/{category_id}", {"category": {"name": None}})
    assert name_rows(services, category_id) == {0: "Footwear", 1: "Shoes EN"}
    api("PUT", f"/rest/all/V1/categories/{category_id}", {"category": {"name": "Boots"}})
    assert names(api, category_id, stores) == {
        "all": "Boots",
        "default": "Shoes EN",
        "fr": "Boots",
        "de": "Boots",
    }
    # storeId reads another view; the URL code is the default otherwise.
    status, body = api("GET", f"/rest/all/V1/categories/{category_id}?storeId=1")
    assert (status, body["name"]) == (200, "Shoes EN")
    status, body = api("GET", f"/rest/V1/categories/{category_id}")
    assert body["name"] == "Shoes EN"
    # A create through a store code still writes the default scope only.
    status, body = api("POST", "/rest/fr/V1/categories", {"category": {"name": "Sandales"}})
    assert name_rows(services, body["id"]) == {0: "Sandales"}


def test_other_store_scoped_values_and_url_keys(api, views) -> None:
    category_id = create(api, "Shoes", is_active=True)["id"]
    child_id = create(api, "Running", parent_id=category_id)["id"]
    status, body = api(
        "PUT",
        f"/rest/fr/V1/categories/{category_id}",
        {
            "category": {
                "is_active": False,
                "custom_attributes": [
                    {"attribute_code": "url_key", "value": "Chaussures Été"},
                    {"attribute_code": "description", "value": "Des chaussures"},
                ],
            }
        },
    )
    assert status == 200
    assert (body["is_active"], body["custom_attributes"]) == (
        False,
        custom(
            f"1/2/{category_id}",
            1,
            description="Des chaussures",
            url_key="chaussures-ete",
            url_path="chaussures-ete",
        ),
    )
    status, child = api("GET", f"/rest/fr/V1/categories/{child_id}")
    assert child["custom_attributes"][-1] == {
        "attribute_code": "url_path",
        "value": "chaussures-ete/running",
    }
    status, body = api("GET", f"/rest/de/V1/categories/{category_id}")
    assert (body["is_active"], body["custom_attributes"]) == (
        True,
        custom(f"1/2/{category_id}", 1, url_key="shoes", url_path="shoes"),
    )
    status, child = api("GET", f"/rest/V1/categories/{child_id}")
    assert child["custom_attributes"][-1] == {
        "attribute_code": "url_path",
        "value": "shoes/running",
    }


def test_siblings_may_not_share_a_url_key(api, views) -> None:
    create(api, "Shoes")
    hats = create(api, "Hats")
    duplicate = {
        "message": "Could not save category: %1",
        "parameters": ["URL key for specified store already exists."],
    }
    assert api("POST", "/rest/V1/categories", {"category": {"name": "shoes"}}) == (400, duplicate)
    rename = {"category": {"custom_attributes": {"url_key": "shoes"}}}
    assert api("PUT", f"/rest/all/V1/categories/{hats['id']}", rename) == (400, duplicate)
    # Under another parent the same key is fine.
    assert create(api, "Shoes", parent_id=hats["id"])["custom_attributes"][-1] == {
        "attribute_code": "url_path",
        "value": "hats/shoes",
    }


def test_tree_of_the_store_root_with_depth_and_product_counts(api) -> None:
    women = create(api, "Women")["id"]
    tops = create(api, "Tops", parent_id=women)["id"]
    create(api, "Men", is_active=True)
    for sku in ("T1", "T2"):
        status, _ = api(
            "POST",
            "/rest/V1/products",
            {"product": {"sku": sku, "name": sku, "price": 5, "attribute_set_id": 4}},
        )
        assert status == 200
    api("POST", f"/rest/V1/categories/{tops}/products", {"productLink": {"sku": "T1"}})
    api("POST", f"/rest/V1/categories/{women}/products", {"productLink": {"sku": "T2"}})
    api("POST", f"/rest/V1/categories/{tops}/products", {"productLink": {"sku": "T2"}})

    def node(category_id, parent_id, name, position, level, count, children, active=False):
        return {
            "id": category_id,
            "parent_id": parent_id,
            "name": name,
            "is_active": active,
            "position": position,
            "level": level,
            "product_count": count,
            "children_data": children,
        }

    tops_node = node(tops, women, "Tops", 1, 3, 2, [])
    women_node = node(women, 2, "Women", 1, 2, 2, [tops_node])
    men_node = node(5, 2, "Men", 2, 2, 0, [], active=True)
    default_node = node(2, 1, "Default Category", 1, 1, 2, [women_node, men_node], active=True)
    assert api("GET", "/rest/V1/categories") == (200, default_node)
    assert api("GET", "/rest/all/V1/categories") == (
        200,
        node(1, 0, "Root Catalog", 0, 0, 0, [default_node]),
    )
    assert api("GET", "/rest/V1/categories?depth=1") == (
        200,
        {**default_node, "children_data": [{**women_node, "children_data": []}, men_node]},
    )
    assert api("GET", f"/rest/V1/categories?rootCategoryId={women}&depth=0") == (
        200,
        {**women_node, "children_data": []},
    )
    # A category that is not an anchor counts its own products only.
    api(
        "PUT",
        f"/rest/all/V1/categories/{women}",
        {"category": {"custom_attributes": {"is_anchor": 0}}},
    )
    status, tree = api("GET", f"/rest/V1/categories?rootCategoryId={women}")
    assert (tree["product_count"], tree["children_data"][0]["product_count"]) == (1, 2)
    assert api("GET", "/rest/V1/categories?rootCategoryId=99") == (404, NOT_FOUND_99)


def test_delete_removes_the_subtree_and_its_links(api, services) -> None:
    women = create(api, "Women")["id"]
    tops = create(api, "Tops", parent_id=women)["id"]
    men = create(api, "Men")["id"]
    api("POST", "/rest/V1/products", {"product": {"sku": "T1", "name": "T1", "price": 5}})
    api("POST", f"/rest/V1/categories/{tops}/products", {"productLink": {"sku": "T1"}})
    assert api("DELETE", f"/rest/V1/categories/{women}") == (200, True)
    assert api("GET", f"/rest/V1/categories/{tops}") == (
        404,
        {**NOT_FOUND_99, "parameters": {"fieldName": "id", "fieldValue": tops}},
    )
    default = api("GET", "/rest/V1/categories/2")[1]
    assert (default["children"], default["custom_attributes"][3]) == (
        str(men),
        {"attribute_code": "children_count", "value": "1"},
    )
    product = api("GET", "/rest/V1/products/T1")[1]
    assert "category_links" not in product["extension_attributes"]
    values = services.db.run_read(
        lambda tx: tx.scalar(
            sa.select(sa.func.count())
            .select_from(schema.catalog_category_value)
            .where(schema.catalog_category_value.c.entity_id.in_([women, tops]))
        )
    )
    assert values == 0
    for root in (1, 2):
        assert api("DELETE", f"/rest/V1/categories/{root}") == (
            400,
            {"message": "Cannot delete category with id %1", "parameters": [root]},
        )


def test_move_rewrites_paths_levels_positions_and_counts(api) -> None:
    women = create(api, "Women")["id"]  # 3
    tops = create(api, "Tops", parent_id=women)["id"]  # 4
    tees = create(api, "Tees", parent_id=tops)["id"]  # 5
    men = create(api, "Men")["id"]  # 6
    shirts = create(api, "Shirts", parent_id=men)["id"]  # 7
    assert api("PUT", f"/rest/V1/categories/{tops}/move", {"parentId": men, "afterId": 0}) == (
        200,
        True,
    )
    _, moved = api("GET", f"/rest/V1/categories/{tops}")
    assert (moved["parent_id"], moved["path"], moved["level"], moved["position"]) == (
        men,
        f"1/2/{men}/{tops}",
        3,
        1,
    )
    _, child = api("GET", f"/rest/V1/categories/{tees}")
    assert (child["path"], child["level"], child["custom_attributes"][-1]["value"]) == (
        f"1/2/{men}/{tops}/{tees}",
        4,
        "men/tops/tees",
    )
    _, men_body = api("GET", f"/rest/V1/categories/{men}")
    assert (men_body["children"], men_body["custom_attributes"][2]["value"]) == (
        f"{tops},{shirts}",
        "3",
    )
    _, women_body = api("GET", f"/rest/V1/categories/{women}")
    assert (women_body["children"], women_body["custom_attributes"][2]["value"]) == ("", "0")
    assert api("GET", f"/rest/V1/categories/{shirts}")[1]["position"] == 2
    # Without afterId the category goes last.
    assert api("PUT", f"/rest/V1/categories/{women}/move", {"parentId": men}) == (200, True)
    assert api("GET", f"/rest/V1/categories/{men}")[1]["children"] == f"{tops},{shirts},{women}"
    assert api("PUT", f"/rest/V1/categories/{men}/move", {"parentId": tees}) == (
        400,
        {"message": "Operation do not allow to move a parent category to any of children category"},
    )


def test_async_create_and_store_scoped_update(client, auth, api, services, views) -> None:
    headers = {**auth, **JSON}
    response = client.post(
        "/rest/default/async/V1/categories",
        headers=headers,
        json={"category": {"name": "Async Shoes", "is_active": True}},
    )
    assert response.status_code == 202
    assert response.json()["request_items"][0]["status"] == "accepted"
    run_consumer(services, 1)
    status, body = api("GET", "/rest/V1/categories/3")
    assert (status, body["name"], body["parent_id"]) == (200, "Async Shoes", 2)
    for store in ("default", "all", "fr"):
        response = client.put(
            f"/rest/{store}/async/V1/categories/3",
            headers=headers,
            json={"category": {"name": f"Shoes {store}"}},
        )
        assert response.status_code == 202
        run_consumer(services, 1)
    assert names(api, 3, ["all", "default", "fr", "de"]) == {
        "all": "Shoes all",
        "default": "Shoes default",
        "fr": "Shoes fr",
        "de": "Shoes all",
    }
    response = client.request(
        "DELETE",
        "/rest/async/bulk/V1/categories/byCategoryId",
        headers=headers,
        json=[{"categoryId": 3}],
    )
    assert response.status_code == 202
    run_consumer(services, 1)
    assert api("GET", "/rest/V1/categories/3")[0] == 404
