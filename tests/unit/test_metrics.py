"""``/metrics``: counters from the REST edge and the consumers, gauges from the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.bootstrap import Services
from commerce_async.metrics import Metrics
from commerce_async.setup import upgrade
from commerce_async.storage import schema
from commerce_async.webapi.app import create_app
from tests import echo_routes
from tests.support import admin_token, make_settings, wait_for

JSON = {"Content-Type": "application/json"}
POST_TOPIC = "async.tests.echo.api.itemrepositoryinterface.save.post"
PUT_TOPIC = "async.tests.echo.api.itemrepositoryinterface.save.put"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The echo routes, one consumer thread inside the app, retries an hour away."""
    services = bootstrap.build(
        make_settings(tmp_path, retry_backoff=3600.0), routes=echo_routes.all_routes()
    )
    upgrade(services)
    headers = {"Authorization": f"Bearer {admin_token(services)}", **JSON}
    echo_routes.TRANSIENT_FAILURES["flaky"] = 1
    try:
        with TestClient(create_app(services, consumers=1)) as client:
            yield client, headers
    finally:
        echo_routes.TRANSIENT_FAILURES.pop("flaky", None)
        services.close()


def test_requests_items_and_operations_are_counted(
    running: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = running
    for sku in ("ok", "missing", "flaky"):
        response = client.post(
            "/rest/default/async/V1/echo/items", json={"item": {"sku": sku}}, headers=headers
        )
        assert response.status_code == 202
    bulk = client.put(
        "/rest/default/async/bulk/V1/echo/items/bySku",
        json=[
            {"item": {"sku": "b1"}, "sku": "b1"},
            {"item": {"sku": "b2", "price": "cheap"}, "sku": "b2"},
            {"item": {"sku": "b3"}, "sku": "b3"},
        ],
        headers={**headers, "X-Commerce-Async-Partial": "1"},
    )
    assert [item["status"] for item in bulk.json()["request_items"]] == [
        "accepted",
        "rejected",
        "accepted",
    ]
    assert client.get("/rest/default/V1/echo/items/secret-sku", headers=headers).status_code == 200
    assert client.get("/rest/default/V1/echo/items/other-sku").status_code == 401
    assert client.get("/rest/default/V1/no/such/route").status_code == 404

    def executed() -> float:
        samples = scrape(client)
        return sum(v for (name, _), v in samples.items() if name.endswith("executed_total"))

    wait_for(lambda: executed() == 5)
    samples = scrape(client)

    requests = "commerce_async_http_requests_total"
    assert (
        value(samples, requests, mode="async", method="POST", route="/V1/echo/items", status="202")
        == 3
    )
    assert (
        value(
            samples, requests, mode="bulk", method="PUT", route="/V1/echo/items/bySku", status="202"
        )
        == 1
    )
    assert (
        value(
            samples, requests, mode="sync", method="GET", route="/V1/echo/items/:sku", status="200"
        )
        == 1
    )
    assert (
        value(
            samples, requests, mode="sync", method="GET", route="/V1/echo/items/:sku", status="401"
        )
        == 1
    )
    assert (
        value(samples, requests, mode="unmatched", method="GET", route="unmatched", status="404")
        == 1
    )
    text = client.get("/metrics").text
    assert "secret-sku" not in text and "/no/such" not in text  # templates, never raw URLs
    durations = "commerce_async_http_request_duration_seconds_count"
    assert value(samples, durations, mode="sync") == 2
    assert value(samples, durations, mode="async") == 3
    assert value(samples, durations, mode="unmatched") == 1

    items = "commerce_async_items_total"
    assert (
        value(
            samples, items, mode="async", method="POST", route="/V1/echo/items", outcome="accepted"
        )
        == 3
    )
    assert (
        value(
            samples,
            items,
            mode="bulk",
            method="PUT",
            route="/V1/echo/items/bySku",
            outcome="accepted",
        )
        == 2
    )
    assert (
        value(
            samples,
            items,
            mode="bulk",
            method="PUT",
            route="/V1/echo/items/bySku",
            outcome="rejected",
        )
        == 1
    )

    executed_total = "commerce_async_operations_executed_total"
    assert value(samples, executed_total, topic=POST_TOPIC, status="complete") == 1
    assert value(samples, executed_total, topic=POST_TOPIC, status="not_retriably_failed") == 1
    assert value(samples, executed_total, topic=POST_TOPIC, status="retriably_failed") == 1
    assert value(samples, executed_total, topic=PUT_TOPIC, status="complete") == 2
    assert value(samples, "commerce_async_operation_retries_scheduled_total", topic=POST_TOPIC) == 1
    histogram = "commerce_async_operation_execution_seconds_count"
    assert value(samples, histogram, topic=POST_TOPIC) == 3
    assert value(samples, histogram, topic=PUT_TOPIC) == 2
    assert (
        value(
            samples, "commerce_async_operation_execution_seconds_bucket", topic=PUT_TOPIC, le="+Inf"
        )
        == 2
    )

    assert {
        status: value(samples, "commerce_async_operations", status=status)
        for status in ("complete", "retriably_failed", "not_retriably_failed", "open", "rejected")
    } == {
        "complete": 3,
        "retriably_failed": 1,
        "not_retriably_failed": 1,
        "open": 0,
        "rejected": 1,
    }
    assert {
        state: value(samples, "commerce_async_queue_messages", state=state)
        for state in ("ready", "in_flight", "waiting_retry")
    } == {"ready": 0, "in_flight": 0, "waiting_retry": 1}
    assert value(samples, "commerce_async_queue_oldest_message_age_seconds") == 0
    assert value(samples, "commerce_async_oldest_open_operation_age_seconds") == 0
    assert value(samples, "commerce_async_consumers_alive") == 1
    assert value(samples, "commerce_async_database_up") == 1


def test_backlog_gauges_show_waiting_work(
    echo: TestClient, echo_services: Services, echo_auth: dict[str, str]
) -> None:
    """No consumer runs: accepted operations stay open and their messages ready."""
    for sku in ("x", "y"):
        response = echo.post(
            "/rest/default/async/V1/echo/items",
            json={"item": {"sku": sku}},
            headers={**echo_auth, **JSON},
        )
        assert response.status_code == 202
    table = schema.queue_message
    # Backdate the messages and operations so the ages are known, not timing-dependent.
    echo_services.db.run(
        lambda tx: (
            tx.execute(table.update().values(available_at=table.c.available_at - 120)),
            tx.execute(
                schema.magento_operation.update().values(
                    accepted_at=schema.magento_operation.c.accepted_at - 300
                )
            ),
        )
    )
    samples = scrape(echo)
    assert value(samples, "commerce_async_operations", status="open") == 2
    assert value(samples, "commerce_async_queue_messages", state="ready") == 2
    assert value(samples, "commerce_async_queue_messages", state="in_flight") == 0
    assert value(samples, "commerce_async_consumers_alive") == 0
    assert 120 <= value(samples, "commerce_async_queue_oldest_message_age_seconds") < 120 + 60
    assert 300 <= value(samples, "commerce_async_oldest_open_operation_age_seconds") < 300 + 60


def test_a_scrape_survives_an_unreachable_database(tmp_path: Path) -> None:
    """The database queries fail (the path is a directory): the counters are still served."""
    from starlette.applications import Starlette

    from commerce_async import metrics

    settings = make_settings(tmp_path, db_url=f"sqlite:///{tmp_path}")
    services = bootstrap.build(settings)
    app = Starlette()
    metrics.mount(app, services, None)
    try:
        with TestClient(app) as client:
            samples = scrape(client)
    finally:
        services.close()
    assert value(samples, "commerce_async_database_up") == 0
    assert not any(name == "commerce_async_operations" for name, _ in samples)


def test_each_services_has_its_own_registry(tmp_path: Path) -> None:
    first, second = Metrics(db=None), Metrics(db=None)
    scope = {"method": "GET", "commerce_async.route": ("sync", "/V1/x")}
    first.observe_request(scope, 200, 0.01)
    first.observe_request(scope, 200, 0.01)
    second.observe_request(scope, 200, 0.01)
    labels = {"method": "GET", "mode": "sync", "route": "/V1/x", "status": "200"}
    assert first.registry.get_sample_value("commerce_async_http_requests_total", labels) == 2
    assert second.registry.get_sample_value("commerce_async_http_requests_total", labels) == 1
