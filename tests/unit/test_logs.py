"""Structured logs: bulk and operation identifiers in every line that concerns them, and no
credential ever written, whatever the request."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.logs import JsonFormatter, TextFormatter, redact
from commerce_async.operations.consumer import Consumer
from tests.support import ADMIN_PASSWORD

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, as the JSON lines ``serve`` writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def drain(services: Services) -> None:
    consumer = Consumer(services, services.new_source())
    while deliveries := consumer.source.claim(services.settings.consumer_batch, timeout=0):
        consumer.process(deliveries)


def test_no_secret_is_logged_and_operations_are_traceable(
    echo: TestClient,
    echo_services: Services,
    echo_auth: dict[str, str],
    captured: io.StringIO,
) -> None:
    admin_bearer = echo_auth["Authorization"].split()[1]
    issued = echo.post(
        "/rest/V1/integration/admin/token",
        json={"username": "admin", "password": ADMIN_PASSWORD},
        headers=JSON,
    )
    assert issued.status_code == 200
    wrong = echo.post(
        "/rest/V1/integration/admin/token",
        json={"username": "admin", "password": "Wrong-guess-42"},
        headers=JSON,
    )
    assert wrong.status_code == 401
    broken = echo.post(
        "/rest/default/V1/echo/items", json={"item": {"sku": "boom"}}, headers={**echo_auth, **JSON}
    )
    assert broken.status_code == 500
    accepted = echo.post(
        "/rest/default/async/bulk/V1/echo/items",
        json=[{"item": {"sku": "fine"}}, {"item": {"sku": "missing"}}, {"item": {"sku": "boom"}}],
        headers={**echo_auth, **JSON},
    )
    assert accepted.status_code == 202
    bulk_uuid = accepted.json()["bulk_uuid"]
    drain(echo_services)

    text = captured.getvalue()
    for secret in (ADMIN_PASSWORD, "Wrong-guess-42", admin_bearer, issued.json()):
        assert secret not in text
    assert "Bearer" not in text and "Authorization" not in text

    entries = lines(captured)
    assert any(e["message"].startswith("unexpected error webapi-") for e in entries)
    [bulk_line] = [e for e in entries if e["message"] == "bulk accepted"]
    assert bulk_line["bulk_uuid"] == bulk_uuid
    assert bulk_line["operations"] == 3
    outcomes = {
        e["operation_key"]: e
        for e in entries
        if e["message"] in ("operation complete", "operation failed")
    }
    assert {key: (e["level"], e["message"], e["status"]) for key, e in outcomes.items()} == {
        0: ("DEBUG", "operation complete", 1),
        1: ("WARNING", "operation failed", 3),
        2: ("WARNING", "operation failed", 3),
    }
    assert all(e["bulk_uuid"] == bulk_uuid for e in outcomes.values())
    assert outcomes[1]["result_message"] == 'The item with SKU "missing" does not exist.'
    assert outcomes[1]["error_code"] == 0
    assert outcomes[2]["result_message"].startswith(
        "Internal Error. Details are available in the log. Report ID: consumer-"
    )
    assert outcomes[1]["topic"] == "async.tests.echo.api.itemrepositoryinterface.save.post"


def test_routine_successes_are_not_logged_above_debug(
    echo: TestClient, echo_services: Services, echo_auth: dict[str, str], captured: io.StringIO
) -> None:
    """One line per accepted request or completed operation is DEBUG: at the default level the
    log stays for what needs attention (the metrics and the bulk tables count the rest)."""
    logging.getLogger().setLevel(logging.INFO)
    response = echo.post(
        "/rest/default/async/V1/echo/items",
        json={"item": {"sku": "quiet"}},
        headers={**echo_auth, **JSON},
    )
    assert response.status_code == 202
    drain(echo_services)
    messages = [e["message"] for e in lines(captured)]
    assert "bulk accepted" not in messages
    assert "operation complete" not in messages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.DEF-123_x", "Authorization: Bearer [redacted]"),
        ('{"password": "s3cr\\"et", "x": 1}', '{"password": [redacted], "x": 1}'),
        ("username=a&password=hunter2&x=1", "username=a&password=[redacted]&x=1"),
        ("{'token': 'abc', 'sku': 'A'}", "{'token': [redacted], 'sku': 'A'}"),
        ("amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:[redacted]@127.0.0.1:5672/"),
        ("new_password: abc def", "new_password: [redacted] def"),
        (
            "Topic async.magento.integration.token.post",
            "Topic async.magento.integration.token.post",
        ),
        ("the bearer of bad news", "the bearer of bad news"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_both_formatters_redact_messages_fields_and_tracebacks() -> None:
    try:
        raise RuntimeError("connect to postgresql://shop:topsecret@db/shop failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "header %s", ("Bearer 5f1c9e0a7b",), exc_info
    )
    record.password = "plain"
    record.request = {"headers": {"authorization": "Bearer x"}, "sku": "A"}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "header Bearer [redacted]"
    assert entry["password"] == "[redacted]"
    assert entry["request"] == {"headers": {"authorization": "[redacted]"}, "sku": "A"}
    assert "topsecret" not in entry["exception"]
    assert "postgresql://shop:[redacted]@db/shop" in entry["exception"]
    plain = TextFormatter().format(record)
    assert "5f1c9e0a7b" not in plain and "topsecret" not in plain
    assert "header Bearer [redacted]" in plain
