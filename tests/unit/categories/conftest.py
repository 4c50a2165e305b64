"""Category fixtures: extra store views, an admin ``api`` helper and an in-process consumer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.operations.consumer import Consumer
from commerce_async.stores.repository import create_view

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture
def views(services: Services) -> dict[str, int]:
    """Store views ``default`` (1), ``fr`` (2) and ``de`` (3), all in the main website."""

    def work(tx: Any) -> dict[str, int]:
        french = create_view(tx, "fr", "French", group_id=1)
        german = create_view(tx, "de", "German", group_id=1)
        return {"default": 1, "fr": french.store_id, "de": german.store_id}

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


def without_times(category: dict[str, Any]) -> dict[str, Any]:
    """The category with its two timestamps checked for format and removed."""
    body = dict(category)
    assert TIMESTAMP.match(body.pop("created_at"))
    assert TIMESTAMP.match(body.pop("updated_at"))
    return body


def run_consumer(services: Services, operations: int) -> None:
    """Execute exactly ``operations`` queued operations in this process."""
    Consumer(services, services.new_source(), max_messages=operations).run()
