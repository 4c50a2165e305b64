"""Secrets at rest: tokens only as SHA-256 digests, passwords only as Argon2id hashes; the
credentials of synchronous calls never reach the database files at all. (A queued account
creation's password is handled by ``operations.sensitive``: see ``test_sensitive_data``.)"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from commerce_async.operations.consumer import Consumer
from commerce_async.storage import schema
from tests.security.conftest import CUSTOMER_PASSWORD, World, build_world
from tests.support import ADMIN_PASSWORD

ASYNC_PASSWORD = "Queued!Passw0rd"
FAILING_PASSWORD = "Failing!Passw0rd"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("secrets"))


@pytest.fixture(scope="module")
def issued(world: World) -> dict[str, str]:
    """Tokens issued through the real token routes, after a few sign-in failures."""
    client = world.client
    for password in ("wrong-1", "wrong-2"):
        client.post(
            "/rest/V1/integration/admin/token", json={"username": "admin", "password": password}
        )
    admin = client.post(
        "/rest/V1/integration/admin/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    customer = client.post(
        "/rest/V1/integration/customer/token",
        json={"username": "shopper@example.com", "password": CUSTOMER_PASSWORD},
    )
    assert admin.status_code == customer.status_code == 200
    # An account created asynchronously, and one whose creation fails in the consumer.
    for email, password in (("queued@example.com", ASYNC_PASSWORD), ("x@", FAILING_PASSWORD)):
        response = client.post(
            "/rest/async/V1/customers",
            json={
                "customer": {"email": email, "firstname": "Q", "lastname": "Ueued"},
                "password": password,
            },
            headers=world.headers(None),
        )
        assert response.status_code == 202, response.text
    Consumer(world.services, world.services.new_source(), max_messages=2).run()
    return {"admin": admin.json(), "customer": customer.json()}


def database_bytes(world: World) -> bytes:
    path = Path(world.services.settings.db_url[len("sqlite:///") :])
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


def test_tokens_are_stored_as_digests_only(world: World, issued: dict[str, str]) -> None:
    rows = world.services.db.run_read(lambda tx: tx.all(sa.select(schema.oauth_token)))
    digests = {row.token_hash for row in rows}
    for token in (*issued.values(), world.admin, world.customer, world.integration):
        assert hashlib.sha256(token.encode()).hexdigest() in digests
        assert all(token not in str(tuple(row)) for row in rows)


def test_passwords_are_argon2id_hashes(world: World, issued: dict[str, str]) -> None:
    for table in (schema.admin_user, schema.customer_entity):
        hashes = world.services.db.run_read(
            lambda tx, table=table: tx.all(
                sa.select(table.c.password_hash).where(table.c.password_hash.is_not(None))
            )
        )
        assert hashes and all(row[0].startswith("$argon2id$") for row in hashes), table.name


def test_no_token_or_password_of_a_synchronous_call_is_in_the_database_files(
    world: World, issued: dict[str, str]
) -> None:
    content = database_bytes(world)
    secrets = [
        *issued.values(),
        world.admin,
        world.customer,
        ADMIN_PASSWORD,
        CUSTOMER_PASSWORD,
        "wrong-1",
    ]
    for secret in secrets:
        assert secret.encode() not in content, secret
