"""Schemathesis against the service's own OpenAPI documents (``/rest/all/schema``,
``/rest/all/async/schema``, ``/rest/all/async/bulk/schema``): every documented operation gets
generated requests, none may answer a 5xx. Bounded for CI by ``SCHEMA_FUZZ_EXAMPLES``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.security.conftest import World, build_world

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "3"))
DOCUMENTS = ["/rest/all/schema", "/rest/all/async/schema", "/rest/all/async/bulk/schema"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("schema-fuzz"), max_body_bytes=256 * 1024)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documented_operations_never_answer_5xx(world: World, document: str) -> None:
    schema = schemathesis.openapi.from_asgi(
        document, world.client.app, headers=world.headers(world.admin)
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        token = world.customer if "/customers/me" in operation.path else world.admin
        check_operation(operation, token)


def check_operation(operation, token: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def generated(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body, dict) and isinstance(body.get("message"), str)

    generated()
