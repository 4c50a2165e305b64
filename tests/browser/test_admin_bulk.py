"""The Bulk Actions page in headless Chromium against a real server with one in-process consumer:
a price update arrives before one of its products exists, the page shows the bulk finish with that
failure without being reloaded, the product is created, and "Retry failed" re-runs the operation,
which the page then shows completed, again without a reload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.support import (
    ARTIFACTS,
    Deployment,
    chromium,
    deploy,
    missing_chromium,
    product,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.acceptance]

NOT_FOUND = "The product that was requested doesn't exist. Verify the product and try again."
TIMEOUT_MS = 60_000


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    problem = missing_chromium()
    if problem:
        pytest.fail(problem)
    running = deploy(tmp_path, consumers=1)
    try:
        yield running
    finally:
        running.server.stop()


def test_watch_a_bulk_fail_then_retry_it(deployment: Deployment) -> None:
    base = deployment.url
    ARTIFACTS.mkdir(exist_ok=True)
    with deployment.http() as api, chromium() as browser:
        for n in (1, 2, 3):
            response = api.post("/rest/V1/products", json=product(f"SHIRT-{n}", f"Shirt {n}", 20))
            assert response.status_code == 200, response.text

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        elsewhere: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(TIMEOUT_MS)

        sign_in(page, base)
        assert page.locator("td.empty").inner_text() == "No bulks match these filters."
        # Survives only as long as the page is not reloaded.
        page.evaluate("window.notReloaded = true")

        # A price update for four SKUs; SHIRT-4 does not exist yet, so its operation fails in
        # the consumer (the request itself is valid and accepted).
        items = [{"sku": f"SHIRT-{n}", "product": {"price": 24.5}} for n in (1, 2, 3, 4)]
        response = api.patch("/rest/async/bulk/V1/products/bySku", json=items)
        assert response.status_code == 202, response.text
        bulk_uuid = response.json()["bulk_uuid"]

        row = page.locator(f'tr[data-bulk-id="{bulk_uuid}"]')
        row.locator('[data-field="status"]', has_text="Finished with Failure").wait_for()
        assert page.evaluate("window.notReloaded") is True
        assert row.locator('[data-field="complete"]').inner_text() == "3"
        assert row.locator('[data-field="failed"]').inner_text() == "1"
        assert row.locator('[data-field="open"]').inner_text() == "0"
        assert row.locator("td").nth(1).inner_text() == "erp-sync\nintegration"

        row.locator("a.title").click()
        page.wait_for_url(f"{base}/admin/bulk/details/{bulk_uuid}")
        failure = page.locator("li.failed-op")
        assert failure.count() == 1
        assert failure.locator(".op-id").inner_text() == "Operation #3"
        assert failure.locator(".message").inner_text() == NOT_FOUND
        request_data = json.loads(failure.locator("pre.request-data").inner_text())
        assert request_data == {"sku": "SHIRT-4", "product": {"price": 24.5, "sku": "SHIRT-4"}}
        page.screenshot(path=str(ARTIFACTS / "admin-bulk.png"), full_page=True)

        response = api.post("/rest/V1/products", json=product("SHIRT-4", "Shirt 4", 20))
        assert response.status_code == 200, response.text
        page.click('button:has-text("Retry failed")')
        page.wait_for_url(f"{base}/admin/bulk/details/{bulk_uuid}")
        assert page.locator(".flash").inner_text() == "1 item(s) have been scheduled for update."

        page.evaluate("window.notReloaded = true")
        badge = page.locator('.page-head [data-field="status"]')
        badge.filter(has_text="Finished Successfully").wait_for()
        page.locator("li.failed-op").wait_for(state="detached")
        assert page.evaluate("window.notReloaded") is True
        assert page.locator('[data-count="1"]').inner_text() == "4"
        assert page.locator('[data-count="3"]').inner_text() == "0"
        page.screenshot(path=str(ARTIFACTS / "admin-bulk-retried.png"), full_page=True)

        # The failed operation itself was reopened and executed again.
        status = api.get(f"/rest/V1/bulk/{bulk_uuid}/detailed-status").json()
        retried = status["operations_list"][3]
        assert (retried["id"], retried["status"], retried["error_code"]) == (3, 1, None)
        assert retried["result_message"].startswith("Service execution success ")
        assert api.get("/rest/V1/products/SHIRT-4").json()["price"] == 24.5

        assert elsewhere == []
        assert errors == []
