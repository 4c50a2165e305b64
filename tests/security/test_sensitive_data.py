"""Sensitive input of queued operations (``Route.sensitive``): a queued account creation's password
is never in ``serialized_data``, never shown by the status API or found by its search, is used by
the consumer, and is dropped as soon as the operation's outcome is final."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from commerce_async import bootstrap
from commerce_async.errors import TemporaryError
from commerce_async.operations.consumer import Consumer
from commerce_async.operations.sensitive import DISCARDED, MASK
from commerce_async.storage import schema
from commerce_async.webapi.routes import Param, Route, ServiceContext
from commerce_async.webapi.types import STRING, Field, ObjectType
from tests.security.conftest import World, build_world

PASSWORD = "Queued!Passw0rd"
operation = schema.magento_operation


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from build_world(tmp_path, retry_backoff=0.0)


def account(email: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "customer": {"email": email, "firstname": "Q", "lastname": "Ueued"},
        "password": password,
    }


def rows(world: World, bulk_uuid: str) -> list[Any]:
    return world.services.db.run_read(
        lambda tx: tx.all(
            sa.select(operation)
            .where(operation.c.bulk_uuid == bulk_uuid)
            .order_by(operation.c.operation_key)
        )
    )


def run_consumer(world: World, count: int) -> None:
    Consumer(world.services, world.services.new_source(), max_messages=count).run()


def test_a_queued_password_is_kept_apart_masked_everywhere_and_dropped_once_used(world: World):
    response = world.client.post(
        "/rest/async/bulk/V1/customers",
        json=[account("good@example.com"), account("not-an-email")],
        headers=world.headers(world.admin),
    )
    assert response.status_code == 202
    body = response.json()
    bulk_uuid = body["bulk_uuid"]

    # Accepted: the data holds the mask, the secret sits apart, the hash covers the masked data.
    stored = rows(world, bulk_uuid)
    for row, item in zip(stored, body["request_items"], strict=True):
        assert PASSWORD not in row.serialized_data and MASK in row.serialized_data
        assert row.sensitive_data == '{"password": "' + PASSWORD + '"}'
        assert item["data_hash"] == hashlib.sha256(row.serialized_data.encode()).hexdigest()
    detail = world.client.get(
        f"/rest/V1/bulk/{bulk_uuid}/detailed-status", headers=world.headers(world.admin)
    )
    assert PASSWORD not in detail.text and MASK in detail.text
    assert "sensitive_data" not in detail.text

    run_consumer(world, 2)

    # The secret was used (the account signs in with it), then dropped; the failure keeps only
    # the masked data for inspection.
    done, failed = rows(world, bulk_uuid)
    assert (done.status, done.serialized_data, done.sensitive_data) == (1, None, None)
    assert failed.status == 3 and MASK in failed.serialized_data
    assert failed.sensitive_data is None
    token = world.client.post(
        "/rest/V1/integration/customer/token",
        json={"username": "good@example.com", "password": PASSWORD},
    )
    assert token.status_code == 200


def test_the_status_search_neither_shows_nor_finds_secrets(world: World) -> None:
    response = world.client.post(
        "/rest/async/V1/customers", json=account("open@example.com"), headers=world.headers(None)
    )
    assert response.status_code == 202
    admin = world.headers(world.admin)
    field = "searchCriteria[filterGroups][0][filters][0]"
    listing = world.client.get("/rest/V1/bulk?searchCriteria=", headers=admin)
    assert PASSWORD not in listing.text and MASK in listing.text
    probe = world.client.get(
        "/rest/V1/bulk",
        params={
            f"{field}[field]": "serialized_data",
            f"{field}[value]": f"%{PASSWORD[:5]}%",
            f"{field}[conditionType]": "like",
        },
        headers=admin,
    )
    assert probe.json()["total_count"] == 0
    hidden = world.client.get(
        "/rest/V1/bulk",
        params={f"{field}[field]": "sensitive_data", f"{field}[value]": PASSWORD},
        headers=admin,
    )
    assert (hidden.status_code, hidden.json()) == (
        400,
        {"message": "Invalid attribute name: %1", "parameters": ["sensitive_data"]},
    )


def test_a_retried_operation_whose_secret_was_dropped_fails_instead_of_using_the_mask(
    world: World,
) -> None:
    response = world.client.post(
        "/rest/async/V1/customers",
        json=account("retry@example.com", password="short"),
        headers=world.headers(world.admin),
    )
    bulk_uuid = response.json()["bulk_uuid"]
    run_consumer(world, 1)
    assert rows(world, bulk_uuid)[0].status == 3  # the password is too weak
    retried = world.client.post(
        f"/rest/V1/bulk/{bulk_uuid}/retry", json={}, headers=world.headers(world.admin)
    )
    assert retried.json() == 1
    run_consumer(world, 1)
    row = rows(world, bulk_uuid)[0]
    assert (row.status, row.result_message) == (
        3,
        DISCARDED.replace("%1", "password"),
    )
    assert (
        world.services.db.run_read(
            lambda tx: tx.scalar(
                sa.select(sa.func.count())
                .select_from(schema.customer_entity)
                .where(schema.customer_entity.c.email == "retry@example.com")
            )
        )
        == 0
    )


def test_rejected_items_store_the_mask_and_no_secret(world: World) -> None:
    response = world.client.post(
        "/rest/async/bulk/V1/customers",
        json=[account("fine@example.com"), {"customer": "not an object", "password": PASSWORD}],
        headers={**world.headers(world.admin), "X-Commerce-Async-Partial": "1"},
    )
    assert response.status_code == 202
    statuses = [item["status"] for item in response.json()["request_items"]]
    assert statuses == ["accepted", "rejected"]
    _accepted, rejected = rows(world, response.json()["bulk_uuid"])
    assert rejected.status == 5 and rejected.sensitive_data is None
    assert PASSWORD not in rejected.serialized_data and MASK in rejected.serialized_data


# --- the mechanism itself, with a probe route: nested paths, retries, camelCase keys ------------

CREDENTIALS = ObjectType("probe-credentials", {"login": Field(STRING), "secret": Field(STRING)})
seen: list[tuple[str, str]] = []
failures = itertools.count()


def use_secret(ctx: ServiceContext, args: dict[str, Any]) -> str:
    seen.append((args["credentials"]["secret"], args["apiKey"]))
    if next(failures) == 0:
        raise TemporaryError("The service is busy; try again.")
    return "used"


PROBE = Route(
    "POST",
    "/V1/probe/secrets",
    "CommerceAsync\\Probe\\Api\\SecretInterface",
    "use",
    ("Commerce_Async::probe",),
    use_secret,
    params=(Param("credentials", CREDENTIALS), Param("apiKey", STRING)),
    sensitive=("credentials.secret", "apiKey"),
    extension=True,
)


@pytest.fixture
def probe_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    routes = [*bootstrap.collect_routes(), PROBE]
    monkeypatch.setattr(bootstrap, "collect_routes", lambda: routes)
    yield from build_world(tmp_path, retry_backoff=0.0)


def test_secrets_survive_automatic_retries_and_go_with_the_final_outcome(probe_world: World):
    seen.clear()
    response = probe_world.client.post(
        "/rest/async/V1/probe/secrets",
        json={"credentials": {"login": "me", "secret": "s3cret"}, "api_key": "k3y"},
        headers=probe_world.headers(probe_world.admin),
    )
    assert response.status_code == 202
    bulk_uuid = response.json()["bulk_uuid"]
    (row,) = rows(probe_world, bulk_uuid)
    assert "s3cret" not in row.serialized_data and "k3y" not in row.serialized_data

    run_consumer(probe_world, 1)  # a transient failure: retried automatically, secrets kept
    (row,) = rows(probe_world, bulk_uuid)
    assert row.status == 2 and row.sensitive_data is not None

    run_consumer(probe_world, 1)
    (row,) = rows(probe_world, bulk_uuid)
    assert (row.status, row.sensitive_data) == (1, None)
    assert seen == [("s3cret", "k3y"), ("s3cret", "k3y")]
