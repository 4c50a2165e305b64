"""``GET /V1/products?searchCriteria...``: filters, logic, sorting, paging, echo, store scope."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

CATALOG = [
    ("SKU-A", "Alpha Shirt", 10.0, 1, "simple"),
    ("SKU-B", "Beta Shirt", 20.0, 1, "simple"),
    ("SKU-C", "Gamma Pants", 30.0, 2, "virtual"),
    ("SKU-D", "Delta Pants", 40.0, 1, "virtual"),
    ("SKU-E", "Epsilon Hat", 50.0, 2, "simple"),
]


@pytest.fixture
def catalog(api, stores, monkeypatch) -> None:
    from commerce_async.catalog import links

    monkeypatch.setattr(links, "_validators", [lambda tx, ids: ids])
    for index, (sku, name, price, status, type_id) in enumerate(CATALOG):
        product = {
            "sku": sku,
            "name": name,
            "price": price,
            "status": status,
            "type_id": type_id,
            "extension_attributes": {"category_links": [{"category_id": str(3 + index % 2)}]},
        }
        assert api("POST", "/rest/V1/products", {"product": product})[0] == 200


def query(*filter_groups: list[tuple[str, Any, str | None]], **extra: Any) -> str:
    """A PHP-style query string for the given filter groups and extra criteria."""
    params: dict[str, Any] = {}
    for g, group in enumerate(filter_groups):
        for f, (field, value, condition) in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params[f"{prefix}[field]"] = field
            params[f"{prefix}[value]"] = value
            if condition:
                params[f"{prefix}[condition_type]"] = condition
    for s, (field, direction) in enumerate(extra.pop("sort", [])):
        params[f"searchCriteria[sortOrders][{s}][field]"] = field
        if direction:
            params[f"searchCriteria[sortOrders][{s}][direction]"] = direction
    for key, value in extra.items():
        params[f"searchCriteria[{key}]"] = value
    return urlencode(params) or "searchCriteria="


def skus(api, qs: str, prefix: str = "/rest") -> tuple[list[str], int]:
    status, body = api("GET", f"{prefix}/V1/products?{qs}")
    assert status == 200, body
    return [item["sku"] for item in body["items"]], body["total_count"]


FILTER_CASES = [
    ([[("sku", "sku-c", None)]], ["SKU-C"]),
    ([[("sku", "sku-%", "like")]], ["SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"]),
    ([[("sku", "SKU-A,sku-e", "in")]], ["SKU-A", "SKU-E"]),
    ([[("name", "%Shirt", "like")]], ["SKU-A", "SKU-B"]),
    ([[("name", "Gamma Pants", "eq")]], ["SKU-C"]),
    ([[("name", "%shirt", "like")]], ["SKU-A", "SKU-B"]),
    ([[("name", "%Shirt", "nlike")]], ["SKU-C", "SKU-D", "SKU-E"]),
    ([[("price", "30", "gt")]], ["SKU-D", "SKU-E"]),
    ([[("price", "20", "lteq")]], ["SKU-A", "SKU-B"]),
    ([[("price", "20", "from")], [("price", "40", "to")]], ["SKU-B", "SKU-C", "SKU-D"]),
    ([[("status", "2", "eq")]], ["SKU-C", "SKU-E"]),
    ([[("status", "2", "neq")]], ["SKU-A", "SKU-B", "SKU-D"]),
    ([[("type_id", "virtual", None)]], ["SKU-C", "SKU-D"]),
    ([[("type_id", "simple", "nin")]], ["SKU-C", "SKU-D"]),
    ([[("special_price", "", "null")]], ["SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"]),
    ([[("special_price", "", "notnull")]], []),
    ([[("category_id", "4", None)]], ["SKU-B", "SKU-D"]),
    ([[("category_id", "3,4", "in")]], ["SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"]),
    ([[("website_id", "1", None)]], ["SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"]),
    ([[("website_id", "2", None)]], []),
    # OR inside a group, AND between groups.
    ([[("sku", "SKU-A", None), ("price", "50", "eq")]], ["SKU-A", "SKU-E"]),
    (
        [[("sku", "SKU-A", None), ("price", "50", "eq")], [("status", "1", None)]],
        ["SKU-A"],
    ),
]


def test_filters(api, catalog) -> None:
    """One catalogue, every case (the set-up dominates the cost of each query)."""
    for groups, expected in FILTER_CASES:
        assert skus(api, query(*groups)) == (expected, len(expected)), groups


def test_created_at_filter(api, catalog) -> None:
    created = api("GET", "/rest/V1/products/SKU-A")[1]["created_at"]
    assert skus(api, query([("created_at", created, "gteq")]))[1] == 5
    assert skus(api, query([("created_at", created, "lt")])) == ([], 0)


def test_sorting_and_paging(api, catalog) -> None:
    assert skus(api, query(sort=[("price", "DESC")]))[0] == [
        "SKU-E",
        "SKU-D",
        "SKU-C",
        "SKU-B",
        "SKU-A",
    ]
    # No direction means DESC; ties are broken by id.
    assert skus(api, query(sort=[("status", None)]))[0] == [
        "SKU-C",
        "SKU-E",
        "SKU-A",
        "SKU-B",
        "SKU-D",
    ]
    assert skus(api, query(sort=[("name", "ASC")], pageSize=2, currentPage=2)) == (
        ["SKU-D", "SKU-E"],
        5,
    )
    assert skus(api, query(sort=[("sku", "ASC")], pageSize=2, currentPage=3)) == (["SKU-E"], 5)
    assert skus(api, query(pageSize=2, currentPage=9)) == ([], 5)


def test_search_criteria_is_echoed(api, catalog) -> None:
    qs = query([("name", "%Pants", "like")], sort=[("price", "ASC")], pageSize=1, currentPage=1)
    status, body = api("GET", f"/rest/V1/products?{qs}")
    assert status == 200
    assert body["search_criteria"] == {
        "filter_groups": [
            {"filters": [{"field": "name", "value": "%Pants", "condition_type": "like"}]}
        ],
        "sort_orders": [{"field": "price", "direction": "ASC"}],
        "page_size": 1,
        "current_page": 1,
    }
    assert [item["sku"] for item in body["items"]] == ["SKU-C"]
    assert body["total_count"] == 2
    assert body["items"][0] == api("GET", "/rest/V1/products/SKU-C")[1]


def test_fields_filter_on_lists(api, catalog) -> None:
    qs = query([("sku", "SKU-A", None)]) + "&fields=items[sku,price],total_count"
    assert api("GET", f"/rest/V1/products?{qs}") == (
        200,
        {"items": [{"sku": "SKU-A", "price": 10.0}], "total_count": 1},
    )


def test_values_are_those_of_the_store_view(api, catalog) -> None:
    api("PUT", "/rest/second/V1/products/SKU-A", {"product": {"name": "Zeta Shirt"}})
    by_name = query([("name", "Zeta Shirt", None)])
    assert skus(api, by_name, "/rest/second") == (["SKU-A"], 1)
    assert skus(api, by_name, "/rest/default") == ([], 0)
    assert skus(api, by_name, "/rest/all") == ([], 0)
    alpha = query([("name", "Alpha%", "like")])
    assert skus(api, alpha, "/rest/second") == ([], 0)
    assert skus(api, alpha, "/rest/default") == (["SKU-A"], 1)
    # Sorting uses the view's values too.
    order = query(sort=[("name", "DESC")], pageSize=1)
    assert skus(api, order, "/rest/second")[0] == ["SKU-A"]
    assert skus(api, order, "/rest/default")[0] == ["SKU-C"]
    # Pages of a sort by an overridden attribute (merged from the view's and store 0's rows).
    ascending = query(sort=[("name", "ASC")], pageSize=2, currentPage=2)
    assert skus(api, ascending, "/rest/second") == (["SKU-E", "SKU-C"], 5)
    assert skus(api, ascending, "/rest/default") == (["SKU-D", "SKU-E"], 5)
    enabled = query([("status", "1", None)], sort=[("name", "ASC")], pageSize=10)
    assert skus(api, enabled, "/rest/second") == (["SKU-B", "SKU-D", "SKU-A"], 3)
    assert skus(api, query(sort=[("name", "DESC")], pageSize=5, currentPage=2), "/rest/second") == (
        [],
        5,
    )
    items = api("GET", f"/rest/second/V1/products?{by_name}")[1]["items"]
    assert items[0]["name"] == "Zeta Shirt"


SEARCH_ERRORS = [
    (
        query([("price", "cheap", "gt")]),
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": "cheap", "fieldName": "price"},
        },
    ),
    (
        query([("name", "x", "between")]),
        {"message": 'Invalid condition type "%1".', "parameters": ["between"]},
    ),
    (
        query([("store_id", "1", None)]),
        {"message": "Invalid attribute name: %1", "parameters": ["store_id"]},
    ),
    (
        query(sort=[("password", "ASC")]),
        {"message": "Invalid attribute name: %1", "parameters": ["password"]},
    ),
    (
        "",
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "searchCriteria"},
        },
    ),
    (
        query([("category_id", "x", None)]),
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": "x", "fieldName": "category_id"},
        },
    ),
]


def test_search_errors(api, catalog) -> None:
    for qs, expected in SEARCH_ERRORS:
        assert api("GET", f"/rest/V1/products?{qs}") == (400, expected), qs
