"""Customer fixtures: request helpers, a second website, account creation and consumers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.operations.consumer import Consumer
from commerce_async.storage import schema
from commerce_async.stores.repository import create_group, create_view, create_website

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
JSON = {"Content-Type": "application/json"}
PASSWORD = "J!Do&007x"


@pytest.fixture
def call(client: TestClient) -> Callable[..., Any]:
    """``call(method, path, body=None, token=None) -> (status, json)``."""

    def run(method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = dict(JSON)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = client.request(method, path, json=body, headers=headers)
        return response.status_code, response.json()

    return run


@pytest.fixture
def website2(services: Services) -> dict[str, int]:
    """Website ``website2`` with the store view ``fr_store_view`` (Magento's test fixture)."""

    def work(tx: Any) -> dict[str, int]:
        website = create_website(tx, "website2", "Website 2")
        group = create_group(tx, "paris", "Le Site de Paris", website.website_id)
        view = create_view(tx, "fr_store_view", "French View", group_id=group.group_id)
        return {"website_id": website.website_id, "store_id": view.store_id}

    created = services.db.run(work)
    services.stores.reload()
    return created


def without_times(customer: dict[str, Any]) -> dict[str, Any]:
    body = dict(customer)
    assert TIMESTAMP.match(body.pop("created_at"))
    assert TIMESTAMP.match(body.pop("updated_at"))
    return body


def stored(services: Services, customer_id: int) -> Any:
    table = schema.customer_entity
    return services.db.run_read(
        lambda tx: tx.first(sa.select(table).where(table.c.entity_id == customer_id))
    )


def run_consumer(services: Services, operations: int) -> None:
    """Execute exactly ``operations`` queued operations in this process."""
    Consumer(services, services.new_source(), max_messages=operations).run()
