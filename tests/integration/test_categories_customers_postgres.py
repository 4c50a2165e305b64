"""Categories and customers on a real PostgreSQL: the statements that differ by dialect (value
upserts, the serial sequence after the install's fixed ids, subtree path rewrites, RETURNING,
unique violations inside savepoints) behave as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.operations.consumer import Consumer
from commerce_async.setup import upgrade
from commerce_async.stores.repository import create_view
from commerce_async.webapi.app import create_app
from tests import backends
from tests.support import admin_token, make_settings

pytestmark = pytest.mark.integration

PASSWORD = "J!Do&007x"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Any, bootstrap.Services]]:
    with backends.postgres_database() as url:
        services = bootstrap.build(make_settings(tmp_path, db_url=url))
        try:
            upgrade(services)
            services.db.run(lambda tx: create_view(tx, "fr", "French", group_id=1))
            services.stores.reload()
            admin = admin_token(services)
            with TestClient(create_app(services, consumers=0)) as client:

                def call(method: str, path: str, body: Any = None, token: str = admin):
                    headers = {"Authorization": f"Bearer {token}", **JSON}
                    response = client.request(method, path, json=body, headers=headers)
                    return response.status_code, response.json()

                yield call, services
        finally:
            services.close()


def test_categories_on_postgres(api) -> None:
    call, services = api
    status, women = call("POST", "/rest/V1/categories", {"category": {"name": "Women"}})
    assert (status, women["id"], women["path"]) == (200, 3, "1/2/3")
    tops = call("POST", "/rest/V1/categories", {"category": {"name": "Tops", "parent_id": 3}})[1]
    tees = call("POST", "/rest/V1/categories", {"category": {"name": "Tees", "parent_id": 4}})[1]
    men = call("POST", "/rest/V1/categories", {"category": {"name": "Men"}})[1]
    assert (tops["id"], tees["id"], men["id"]) == (4, 5, 6)
    assert call("PUT", "/rest/fr/V1/categories/3", {"category": {"name": "Femmes"}})[0] == 200
    assert call("PUT", "/rest/fr/V1/categories/3", {"category": {"name": "Femmes"}})[0] == 200
    assert call("GET", "/rest/fr/V1/categories/3")[1]["name"] == "Femmes"
    assert call("GET", "/rest/V1/categories/3")[1]["name"] == "Women"
    assert call("PUT", "/rest/V1/categories/4/move", {"parentId": 6}) == (200, True)
    moved = call("GET", "/rest/V1/categories/5")[1]
    assert (moved["path"], moved["level"], moved["custom_attributes"][-1]["value"]) == (
        "1/2/6/4/5",
        4,
        "men/tops/tees",
    )
    assert call("POST", "/rest/V1/categories", {"category": {"name": "men"}}) == (
        400,
        {
            "message": "Could not save category: %1",
            "parameters": ["URL key for specified store already exists."],
        },
    )
    product = {"sku": "T1", "name": "T1", "price": 5}
    assert call("POST", "/rest/V1/products", {"product": product})[0] == 200
    link = [{"categoryId": 5, "productLink": {"sku": "T1", "position": 2}}]
    assert call("POST", "/rest/async/bulk/V1/categories/byCategoryId/products", link)[0] == 202
    Consumer(services, services.new_source(), max_messages=1).run()
    assert call("GET", "/rest/V1/categories/5/products") == (
        200,
        [{"sku": "T1", "position": 2, "category_id": "5"}],
    )
    assert call("GET", "/rest/V1/categories")[1]["product_count"] == 1
    assert call("DELETE", "/rest/V1/categories/6") == (200, True)
    assert call("GET", "/rest/V1/categories/5")[0] == 404
    assert call("GET", "/rest/V1/categories/2")[1]["children"] == "3"


def test_customers_on_postgres(api) -> None:
    call, services = api
    jane = {"email": "jdoe@example.com", "firstname": "Jane", "lastname": "Doe"}
    status, body = call("POST", "/rest/V1/customers", {"customer": jane, "password": PASSWORD})
    assert (status, body["id"], body["group_id"], body["store_id"]) == (200, 1, 1, 1)
    shouting = {**jane, "email": "JDOE@EXAMPLE.COM"}
    assert call("POST", "/rest/V1/customers", {"customer": shouting}) == (
        400,
        {
            "message": "A customer with the same email address already exists in an "
            "associated website."
        },
    )
    sign_in = {"username": "jdoe@example.com", "password": PASSWORD}
    status, token = call("POST", "/rest/V1/integration/customer/token", sign_in)
    assert status == 200
    assert call("GET", "/rest/V1/customers/me", token=token)[1]["email"] == "jdoe@example.com"
    items = [{"customer": {**jane, "email": f"bulk{i}@example.com"}} for i in range(2)]
    items.append({"customer": jane})
    assert call("POST", "/rest/async/bulk/V1/customers", items)[0] == 202
    Consumer(services, services.new_source(), max_messages=3).run()
    status, found = call("GET", "/rest/V1/customers/search?searchCriteria=")
    assert (status, found["total_count"]) == (200, 3)
    operations = services.db.run_read(
        lambda tx: tx.all("SELECT status FROM magento_operation ORDER BY operation_key")
    )
    assert [row.status for row in operations] == [1, 1, 3]
