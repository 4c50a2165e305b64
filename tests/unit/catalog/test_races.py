"""What a save does when a concurrent writer got there between its checks and its inserts
(possible with PostgreSQL and several consumers): the database's unique keys decide."""

from __future__ import annotations

import pytest

from commerce_async.catalog import service
from commerce_async.errors import InputError, TemporaryError
from commerce_async.webapi.routes import SYSTEM, ServiceContext


def context(services, tx) -> ServiceContext:
    return ServiceContext(tx, services.stores.snapshot.default_store, SYSTEM, services)


def test_a_sku_created_meanwhile_makes_the_save_retriable(services, api) -> None:
    assert api("POST", "/rest/V1/products", {"product": {"sku": "R", "name": "R", "price": 1}})[0]
    product = {"sku": "r", "name": "Other", "price": 2}
    with pytest.raises(TemporaryError) as raised, services.db.transaction() as tx:
        service._create(context(services, tx), "r", product)
    assert raised.value.message == "The product was unable to be saved. Please try again."
    # Tried again, the save finds the product and updates it.
    status, body = api("POST", "/rest/all/V1/products", {"product": product})
    assert (status, body["id"], body["name"]) == (200, 1, "Other")


def test_a_url_key_taken_meanwhile_is_refused(services, api) -> None:
    api("POST", "/rest/V1/products", {"product": {"sku": "A", "name": "Same", "price": 1}})
    api("POST", "/rest/V1/products", {"product": {"sku": "B", "name": "Other", "price": 1}})
    with pytest.raises(InputError) as raised, services.db.transaction() as tx:
        service._set_url_key(tx, 2, 0, "same", fresh=False)
    assert raised.value.to_body() == {"message": "URL key for specified store already exists."}
