"""Unexpected failures: production bodies are exactly Magento's masked message with a report id
(the details go to the log under that id, never to the client); developer mode adds the trace.
Forced through a test-only route table passed to ``bootstrap.build``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.operations.consumer import Consumer
from commerce_async.setup import upgrade
from commerce_async.storage import schema
from commerce_async.webapi.app import create_app
from commerce_async.webapi.routes import ANONYMOUS, Param, Route, ServiceContext, UserContext
from commerce_async.webapi.types import STRING
from tests.support import admin_token, make_settings

DETAIL = "connection string postgresql://app:hunter2@db/shop"
MASKED = re.compile(
    r"^Internal Error\. Details are available in Magento log file\. Report ID: webapi-[0-9a-f]{13}$"
)


CONSUMER_MASKED = re.compile(
    r"^Internal Error\. Details are available in the log\. Report ID: consumer-[0-9a-f]{13}$"
)


def explode(ctx: ServiceContext, args: dict[str, Any]) -> Any:
    raise RuntimeError(DETAIL)


def explode_on_accept(user: UserContext, data: dict[str, Any]) -> None:
    raise KeyError(DETAIL)


BROKEN = [
    Route("GET", "/V1/broken", "Probe\\BrokenInterface", "get", (ANONYMOUS,), explode),
    Route(
        "POST",
        "/V1/broken",
        "Probe\\BrokenInterface",
        "save",
        ("Probe::broken",),
        explode,
        params=(Param("name", STRING),),
    ),
    Route(
        "PUT",
        "/V1/broken/:name",
        "Probe\\BrokenInterface",
        "check",
        ("Probe::broken",),
        explode,
        params=(Param("name", STRING, source="path"),),
        accept_check=explode_on_accept,
    ),
]


def services_with(tmp_path: Path, **settings: Any) -> bootstrap.Services:
    services = bootstrap.build(
        make_settings(tmp_path, **settings), routes=[*bootstrap.collect_routes(), *BROKEN]
    )
    upgrade(services)
    return services


@pytest.fixture
def production(tmp_path: Path) -> Iterator[tuple[TestClient, dict, bootstrap.Services]]:
    services = services_with(tmp_path)
    headers = {"Authorization": f"Bearer {admin_token(services)}"}
    with TestClient(create_app(services, consumers=0), raise_server_exceptions=False) as client:
        yield client, headers, services
    services.close()


def report_id(body: dict) -> str:
    return body["message"].rsplit(" ", 1)[1]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/rest/V1/broken", None),
        ("POST", "/rest/default/V1/broken", {"name": "x"}),
        ("PUT", "/rest/all/async/V1/broken/x", {}),
        ("PUT", "/rest/async/bulk/V1/broken/byName", [{"name": "x"}]),
    ],
)
def test_production_bodies_are_magentos_masked_message_and_the_log_has_the_rest(
    production, caplog: pytest.LogCaptureFixture, method: str, path: str, body: Any
) -> None:
    client, headers, services = production
    bulks = services.db.run_read(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(schema.magento_bulk))
    )
    with caplog.at_level(logging.ERROR, logger="commerce_async.webapi"):
        response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 500
    answer = response.json()
    assert list(answer) == ["message"] and MASKED.match(answer["message"]), answer
    assert DETAIL not in response.text and "Traceback" not in response.text
    # The operator finds the failure in the log under the same report id.
    (record,) = [r for r in caplog.records if report_id(answer) in r.getMessage()]
    assert record.exc_info is not None and DETAIL in str(record.exc_info[1])
    # A failed accept stores nothing.
    assert (
        services.db.run_read(
            lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(schema.magento_bulk))
        )
        == bulks
    )


def test_report_ids_differ(production) -> None:
    client, headers, _ = production
    ids = {report_id(client.get("/rest/V1/broken", headers=headers).json()) for _ in range(5)}
    assert len(ids) == 5


def test_developer_mode_adds_the_exception_and_its_trace(tmp_path: Path) -> None:
    services = services_with(tmp_path, developer_mode=True)
    try:
        with TestClient(create_app(services, consumers=0), raise_server_exceptions=False) as client:
            response = client.get("/rest/V1/broken")
        assert response.status_code == 500
        body = response.json()
        assert set(body) == {"message", "trace"}
        assert DETAIL in body["message"] and "RuntimeError" in body["message"]
        assert "Traceback" in body["trace"] and "explode" in body["trace"]
    finally:
        services.close()


def test_a_handler_that_breaks_in_the_consumer_fails_its_operation_only(
    production, caplog: pytest.LogCaptureFixture
) -> None:
    """The operation's message is masked like a 500 (bulk readers see it); the log has it all."""
    client, headers, services = production
    response = client.post("/rest/async/V1/broken", json={"name": "x"}, headers=headers)
    assert response.status_code == 202
    with caplog.at_level(logging.ERROR, logger="commerce_async.consumer"):
        Consumer(services, services.new_source(), max_messages=1).run()
    status = client.get(
        f"/rest/V1/bulk/{response.json()['bulk_uuid']}/status", headers=headers
    ).json()
    (operation,) = status["operations_list"]
    assert operation["status"] == 3
    assert CONSUMER_MASKED.match(operation["result_message"]), operation
    report = operation["result_message"].rsplit(" ", 1)[1]
    (record,) = [r for r in caplog.records if report in r.getMessage()]
    assert record.exc_info is not None and DETAIL in str(record.exc_info[1])


def test_developer_mode_keeps_the_consumers_exception_text(tmp_path: Path) -> None:
    services = services_with(tmp_path, developer_mode=True)
    try:
        headers = {"Authorization": f"Bearer {admin_token(services)}"}
        with TestClient(create_app(services, consumers=0)) as client:
            response = client.post("/rest/async/V1/broken", json={"name": "x"}, headers=headers)
            Consumer(services, services.new_source(), max_messages=1).run()
            status = client.get(
                f"/rest/V1/bulk/{response.json()['bulk_uuid']}/status", headers=headers
            ).json()
        assert status["operations_list"][0]["result_message"] == f"RuntimeError: {DETAIL}"
    finally:
        services.close()
