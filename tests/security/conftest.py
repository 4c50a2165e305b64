"""One installed service per test module with every kind of caller a security test needs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from commerce_async.auth import tokens
from commerce_async.bootstrap import Services
from commerce_async.storage import schema
from commerce_async.webapi.app import create_app
from commerce_async.webapi.routes import USER_ADMIN, USER_CUSTOMER
from tests.support import admin_token, integration_token, make_services

CUSTOMER_PASSWORD = "Cust0mer!Secret"
JSON = {"Content-Type": "application/json"}


@dataclass
class World:
    services: Services
    client: TestClient
    admin: str
    integration: str
    """Every resource."""
    unrelated: str
    """An integration allowed only ``Magento_Cms::page``, a resource no route here needs."""
    customer: str
    customer_id: int
    expired: str
    revoked: str
    deactivated: str
    """A token of an admin user who was deactivated afterwards."""

    def headers(self, token: str | None) -> dict[str, str]:
        return {**JSON, "Authorization": f"Bearer {token}"} if token else dict(JSON)

    def count(self, table: sa.Table) -> int:
        return self.services.db.run_read(
            lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(table))
        )

    def bulks(self) -> int:
        return self.count(schema.magento_bulk)

    def operations(self) -> int:
        return self.count(schema.magento_operation)


def _customer(client: TestClient) -> int:
    response = client.post(
        "/rest/V1/customers",
        json={
            "customer": {"email": "shopper@example.com", "firstname": "Ann", "lastname": "Lee"},
            "password": CUSTOMER_PASSWORD,
        },
        headers=JSON,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def build_world(tmp_path: Path, **settings) -> Iterator[World]:
    services = make_services(tmp_path, **settings)
    app = create_app(services, consumers=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        customer_id = _customer(client)
        now = time.time()

        def issue(user_type: int, user_id: int, lifetime: float | None, at: float) -> str:
            return services.db.run(lambda tx: tokens.issue(tx, user_type, user_id, lifetime, at))

        admin = admin_token(services)
        admin_id = services.db.run_read(
            lambda tx: tx.scalar(
                sa.select(schema.admin_user.c.user_id).where(
                    schema.admin_user.c.username == "admin"
                )
            )
        )
        revoked = issue(USER_ADMIN, admin_id, 3600, now)
        services.db.run(lambda tx: tokens.revoke(tx, revoked))
        deactivated = admin_token(services, "leaver")
        services.db.run(
            lambda tx: tx.execute(
                schema.admin_user.update()
                .where(schema.admin_user.c.username == "leaver")
                .values(is_active=False)
            )
        )
        yield World(
            services=services,
            client=client,
            admin=admin,
            integration=integration_token(services, "everything"),
            unrelated=integration_token(services, "cms-only", ["Magento_Cms::page"]),
            customer=issue(USER_CUSTOMER, customer_id, 3600, now),
            customer_id=customer_id,
            expired=issue(USER_ADMIN, admin_id, 60, now - 3600),
            revoked=revoked,
            deactivated=deactivated,
        )
    services.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("security"))
