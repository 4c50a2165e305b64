from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.webapi.app import create_app
from tests.support import admin_token, make_services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Fully installed services on a fresh SQLite file (no consumers running)."""
    built = make_services(tmp_path)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """The whole ASGI app in-process, with no consumer threads (tests drive consumers)."""
    with TestClient(create_app(services, consumers=0), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def token(services: Services) -> str:
    return admin_token(services)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def echo_services(tmp_path: Path) -> Iterator[Services]:
    """Services whose route table adds the echo routes of ``tests/echo_routes.py``."""
    from commerce_async import bootstrap
    from commerce_async.setup import upgrade
    from tests.echo_routes import all_routes
    from tests.support import make_settings

    built = bootstrap.build(make_settings(tmp_path), routes=all_routes())
    upgrade(built)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def echo(echo_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(echo_services, consumers=0)) as test_client:
        yield test_client


@pytest.fixture
def echo_auth(echo_services: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(echo_services)}"}
