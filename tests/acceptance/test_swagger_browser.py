"""Swagger UI in a real browser against a real server: it renders the documents, sends the
token, runs a request, and never reaches outside the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess, cli, process_env

pytestmark = [pytest.mark.acceptance, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    env = process_env(f"sqlite:///{tmp_path / 'swagger.sqlite3'}")
    cli(env, "setup:upgrade")
    token = cli(env, "integration:create", "--name", "swagger", "--all-resources").stdout.strip()
    process = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        yield process, token
    finally:
        process.stop()


def test_swagger_ui_lists_and_runs_operations_offline(server: tuple[ServerProcess, str]) -> None:
    from playwright.sync_api import sync_playwright

    process, token = server
    base = process.base_url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            elsewhere: list[str] = []
            problems: list[str] = []
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(base) else elsewhere.append(request.url)
                ),
            )
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )

            retry = page.locator(".opblock-summary-path", has_text="/V1/bulk/byBulkUuid/retry")
            page.goto(f"{base}/swagger?type=bulk")
            page.wait_for_selector(".information-container")
            assert retry.count() == 0  # anonymous callers see anonymous routes only

            page.fill("#schema-token", token)
            page.click("button[type=submit]")
            retry.wait_for()  # the token's document lists the admin route
            assert (
                page.locator(".base-url").inner_text()
                == "[ Base URL: 127.0.0.1:" + str(process.port) + "/rest/all/async/bulk ]"
            )

            page.select_option("#schema-type", "sync")
            page.click("button[type=submit]")
            views = page.locator(".opblock-summary-path", has_text="/V1/store/storeViews")
            views.wait_for()
            assert page.url == f"{base}/swagger?type=sync&store=all"
            views.click()
            page.click(".opblock.is-open .try-out__btn")
            page.click(".opblock.is-open .execute")
            status = page.locator(
                ".opblock.is-open .live-responses-table tr.response .response-col_status"
            )
            status.first.wait_for()
            assert status.first.inner_text().strip() == "200"
            body = page.locator(".opblock.is-open .live-responses-table .microlight").first
            assert '"code": "default"' in body.inner_text()
        finally:
            browser.close()
    assert elsewhere == []
    assert problems == []
