"""Products on a real PostgreSQL: the driver-level SQL (``?`` placeholders rewritten, RETURNING,
upserts), case-insensitive ``like`` (ILIKE), merged sorts and unique violations behave as on
SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.catalog import service
from commerce_async.errors import InputError, TemporaryError
from commerce_async.operations.consumer import Consumer
from commerce_async.setup import upgrade
from commerce_async.stores.repository import create_view
from commerce_async.webapi.app import create_app
from commerce_async.webapi.routes import SYSTEM, ServiceContext
from tests import backends
from tests.support import admin_token, make_settings
from tests.unit.catalog.test_search import query

pytestmark = pytest.mark.integration


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[Any, bootstrap.Services, Any]]:
    with backends.postgres_database() as url:
        services = bootstrap.build(make_settings(tmp_path, db_url=url))
        try:
            upgrade(services)
            services.db.run(lambda tx: create_view(tx, "second", "Second", group_id=1))
            services.stores.reload()
            headers = {"Authorization": f"Bearer {admin_token(services)}"}
            with TestClient(create_app(services, consumers=0)) as client:

                def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
                    response = client.request(method, path, json=body, headers=headers)
                    return response.status_code, response.json()

                yield (
                    call,
                    services,
                    lambda path, body: client.put(path, json=body, headers=headers),
                )
        finally:
            services.close()


def test_products_on_postgres(api) -> None:
    call, services, put = api
    for index, name in enumerate(("Alpha Shirt", "Beta Shirt", "Gamma Pants")):
        product = {"sku": f"PG-{index}", "name": name, "price": 10 * (index + 1)}
        status, body = call("POST", "/rest/V1/products", {"product": product})
        assert (status, body["id"], body["extension_attributes"]["website_ids"]) == (
            200,
            index + 1,
            [1],
        )
    # Scope rules.
    call("PUT", "/rest/second/V1/products/pg-0", {"product": {"name": "Zeta Shirt", "status": 2}})
    names = {
        c: call("GET", f"/rest/{c}/V1/products/PG-0")[1]["name"]
        for c in ("all", "default", "second")
    }
    assert names == {"all": "Alpha Shirt", "default": "Alpha Shirt", "second": "Zeta Shirt"}
    assert call("GET", "/rest/default/V1/products/PG-0")[1]["status"] == 2
    call("PUT", "/rest/second/V1/products/PG-0", {"product": {"name": None}})
    assert call("GET", "/rest/second/V1/products/PG-0")[1]["name"] == "Alpha Shirt"
    call("PUT", "/rest/second/V1/products/PG-0", {"product": {"name": "Zeta Shirt"}})

    # Search: case-insensitive like, ranges, merged sort in a view with overrides.
    like = query([("name", "%shirt", "like")])
    assert [i["sku"] for i in call("GET", f"/rest/all/V1/products?{like}")[1]["items"]] == [
        "PG-0",
        "PG-1",
    ]
    sort = query(sort=[("name", "DESC")], pageSize=2)
    assert [i["sku"] for i in call("GET", f"/rest/second/V1/products?{sort}")[1]["items"]] == [
        "PG-0",
        "PG-2",
    ]
    price = query([("price", "15", "gt")])
    assert call("GET", f"/rest/V1/products?{price}")[1]["total_count"] == 2

    # Unique keys: a URL key taken, a SKU created concurrently (inside the consumer's savepoint).
    taken = {"product": {"sku": "PG-9", "name": "Beta  Shirt", "price": 1}}
    assert call("POST", "/rest/V1/products", taken) == (
        400,
        {"message": "URL key for specified store already exists."},
    )
    with pytest.raises(TemporaryError), services.db.transaction() as tx, tx.driver_savepoint():
        context = ServiceContext(tx, services.stores.snapshot.default_store, SYSTEM, services)
        service._create(context, "pg-1", {"sku": "pg-1", "name": "Dup", "price": 1})
    # A URL key taken by a concurrent writer after the check: the product's rows go in one
    # pipelined round trip, and the key's collision still answers Magento's message; the
    # transaction goes on after the savepoint's rollback.
    with services.db.transaction() as tx:
        context = ServiceContext(tx, services.stores.snapshot.default_store, SYSTEM, services)
        with (
            pytest.raises(InputError, match="URL key for specified store already exists"),
            tx.driver_savepoint(),
            mock.patch.object(service.urlkey, "check_unique"),
        ):
            service._create(context, "PG-8", {"sku": "PG-8", "name": "Beta Shirt", "price": 1})
        assert tx.scalar("SELECT count(*) FROM catalog_product_entity WHERE sku = 'PG-8'") == 0

    # Asynchronous, through the consumer, in the store view of the URL.
    response = put("/rest/second/async/V1/products/PG-2", {"product": {"name": "Async Name"}})
    assert response.status_code == 202
    assert Consumer(services, services.new_source(), max_messages=1).run() == 1
    assert call("GET", "/rest/second/V1/products/PG-2")[1]["name"] == "Async Name"
    assert call("GET", "/rest/default/V1/products/PG-2")[1]["name"] == "Gamma Pants"

    assert call("DELETE", "/rest/V1/products/pg-2") == (200, True)
    assert call("GET", "/rest/V1/products?searchCriteria=")[1]["total_count"] == 2
