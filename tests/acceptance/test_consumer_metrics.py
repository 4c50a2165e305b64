"""A consumer process serves its own metrics with ``--metrics-port``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from commerce_async.webapi.app import create_app
from tests.support import (
    ConsumerProcess,
    admin_token,
    free_port,
    make_services,
    process_env,
    wait_for,
)

pytestmark = pytest.mark.acceptance

TOPIC = "async.magento.asynchronousoperations.api.bulkstatusinterface.retrybulk.post"


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with contextlib.suppress(httpx.HTTPError):
        response = httpx.get(url, timeout=5)
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }
    return {}


def test_consumer_process_reports_its_operations(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    try:
        headers = {"Authorization": f"Bearer {admin_token(services)}"}
        with TestClient(create_app(services, consumers=0)) as client:
            for index in range(3):
                response = client.post(
                    f"/rest/default/async/V1/bulk/no-such-bulk-{index}/retry",
                    json={},
                    headers=headers,
                )
                assert response.status_code == 202
    finally:
        services.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    env = process_env(services.settings.db_url)
    consumer = ConsumerProcess(env, "--metrics-port", str(port), log_path=tmp_path / "c.log")
    consumer.start()
    executed = (
        "commerce_async_operations_executed_total",
        (("status", "not_retriably_failed"), ("topic", TOPIC)),
    )

    def all_three_executed() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        scraped = samples(url)
        return scraped if scraped.get(executed) == 3 else None

    try:
        found = wait_for(all_three_executed, 60)
    finally:
        consumer.stop()
    assert found[("commerce_async_operation_execution_seconds_count", (("topic", TOPIC),))] == 3
    assert found[("commerce_async_operations", (("status", "not_retriably_failed"),))] == 3
    assert found[("commerce_async_operations", (("status", "open"),))] == 0
    assert found[("commerce_async_consumers_alive", ())] == 1
