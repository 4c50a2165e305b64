"""Catalog fixtures: a second store view in the default website, a second website, and
helpers that spell out the full product JSON the API answers with."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.stores.repository import create_group, create_view, create_website

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture
def stores(services: Services) -> dict[str, int]:
    """Store views ``default`` (1) and ``second`` (2) in website 1; ``other`` (3) in website 2."""

    def work(tx: Any) -> dict[str, int]:
        second = create_view(tx, "second", "Second View", group_id=1)
        website = create_website(tx, "other_site", "Other Website")
        group = create_group(tx, "other_group", "Other Store", website.website_id)
        other = create_view(tx, "other", "Other View", group_id=group.group_id)
        return {"default": 1, "second": second.store_id, "other": other.store_id}

    created = services.db.run(work)
    services.stores.reload()
    return created


@pytest.fixture
def api(client: TestClient, auth: dict[str, str]) -> Callable[..., Any]:
    """``api(method, path, body=None) -> (status, json)`` with the admin token."""

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = client.request(method, path, json=body, headers=auth)
        return response.status_code, response.json()

    return call


def stock_item(product_id: int, qty: float = 0.0, is_in_stock: bool = False) -> dict[str, Any]:
    return {
        "item_id": product_id,
        "product_id": product_id,
        "stock_id": 1,
        "qty": qty,
        "is_in_stock": is_in_stock,
        "is_qty_decimal": False,
        "show_default_notification_message": False,
        "use_config_min_qty": True,
        "min_qty": 0.0,
        "use_config_min_sale_qty": True,
        "min_sale_qty": 1.0,
        "use_config_max_sale_qty": True,
        "max_sale_qty": 10000.0,
        "use_config_backorders": True,
        "backorders": 0,
        "use_config_notify_stock_qty": True,
        "notify_stock_qty": 1.0,
        "use_config_qty_increments": True,
        "qty_increments": 0.0,
        "use_config_enable_qty_inc": True,
        "enable_qty_increments": False,
        "use_config_manage_stock": True,
        "manage_stock": True,
        "low_stock_date": None,
        "is_decimal_divided": False,
        "stock_status_changed_auto": 0,
    }


def without_times(product: dict[str, Any]) -> dict[str, Any]:
    """The product with its two timestamps checked for format and removed."""
    body = dict(product)
    assert TIMESTAMP.match(body.pop("created_at"))
    assert TIMESTAMP.match(body.pop("updated_at"))
    return body


def attrs(product: dict[str, Any]) -> dict[str, Any]:
    """``custom_attributes`` as a mapping (order checked separately where it matters)."""
    return {item["attribute_code"]: item["value"] for item in product["custom_attributes"]}
