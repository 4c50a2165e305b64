"""Headless Chromium for browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright
(Playwright's own browser download is not used), and a deployment to point it at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support import ROOT, ServerProcess, cli, process_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Admin123secret"


def missing_chromium() -> str | None:
    """Why the browser cannot run, or None. Browser tests fail with this, they never skip."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"{CHROMIUM} is missing: browser tests drive Debian's Chromium. Install it with "
        "`apt-get update && apt-get install -y chromium` (.ci/run does this)."
    )


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Deployment:
    """A real ``serve`` process on its own SQLite file, with an admin user for the admin page
    and an integration token for the REST calls."""

    env: dict[str, str]
    server: ServerProcess
    token: str

    @property
    def url(self) -> str:
        return self.server.base_url

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )


def deploy(tmp: Path, *, consumers: int, integration: str = "erp-sync") -> Deployment:
    env = process_env(f"sqlite:///{tmp / 'admin.sqlite3'}")
    cli(env, "setup:upgrade")
    cli(env, "admin:user:create", "--admin-user", ADMIN_USER, "--admin-password", ADMIN_PASSWORD)
    token = cli(env, "integration:create", "--name", integration, "--all-resources").stdout
    server = ServerProcess(env, consumers=consumers, log_path=tmp / "server.log").start()
    return Deployment(env, server, token.strip())


def sign_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/admin/bulk")
    page.fill('input[name="username"]', ADMIN_USER)
    page.fill('input[name="password"]', ADMIN_PASSWORD)
    page.click('button:has-text("Sign in")')
    page.wait_for_url(f"{base_url}/admin/bulk")


def product(sku: str, name: str, price: float) -> dict[str, Any]:
    return {
        "product": {
            "sku": sku,
            "name": name,
            "attribute_set_id": 4,
            "type_id": "simple",
            "price": price,
            "status": 1,
            "visibility": 4,
            "custom_attributes": [{"attribute_code": "url_key", "value": sku.lower()}],
        }
    }
