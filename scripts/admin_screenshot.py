"""Regenerate ``docs/admin-bulk.png``, the README's picture of the Bulk Actions page.

Usage: ``.venv/bin/python scripts/admin_screenshot.py [output.png]``

Starts a real server on a scratch database with no consumer inside it, sends a few realistic
bulks through the REST API, and runs consumer processes for exact numbers of operations so that
the bulks stand in every state: finished successfully, finished with failures, in progress and not
started. Then signs in to the page in headless Chromium and takes the picture.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.support import (  # noqa: E402
    ADMIN_PASSWORD,
    ADMIN_USER,
    chromium,
    deploy,
    missing_chromium,
    product,
    sign_in,
)
from tests.support import cli  # noqa: E402

COLOURS = ["Black", "White", "Navy", "Heather Grey", "Forest Green", "Burgundy"]
SIZES = ["S", "M", "L", "XL"]


def catalogue(count: int) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        colour, size = COLOURS[n // len(SIZES) % len(COLOURS)], SIZES[n % len(SIZES)]
        sku = f"TEE-{colour[:3].upper()}-{size}-{n:03d}"
        items.append(product(sku, f"Organic Cotton Tee {colour} {size}", 24.0))
    return items


def accept(client: Any, method: str, path: str, items: list[dict[str, Any]]) -> str:
    response = client.request(method, f"/rest/default/async/bulk{path}", json=items)
    if response.status_code != 202:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
    return response.json()["bulk_uuid"]


def consume(env: dict[str, str], count: int) -> None:
    cli(env, "queue:consumers:start", "async.operations.all", "--max-messages", str(count))


def main(output: Path) -> None:
    problem = missing_chromium()
    if problem:
        raise SystemExit(problem)
    with tempfile.TemporaryDirectory() as scratch:
        deployment = deploy(Path(scratch), consumers=0)
        try:
            pim = cli(
                deployment.env, "integration:create", "--name", "pim-connector", "--all-resources"
            ).stdout.strip()
            with deployment.http() as erp, deployment.http() as admin, deployment.http() as other:
                token = admin.post(
                    "/rest/V1/integration/admin/token",
                    json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                ).json()
                admin.headers["Authorization"] = f"Bearer {token}"
                other.headers["Authorization"] = f"Bearer {pim}"

                tees = catalogue(24)
                accept(erp, "POST", "/V1/products", tees)
                skus = [item["product"]["sku"] for item in tees]
                # A price change for ten existing tees and two that were never created.
                prices = [
                    {"sku": sku, "product": {"price": 19.9}}
                    for sku in [*skus[:10], "TEE-SAND-M-900", "TEE-SAND-L-901"]
                ]
                accept(admin, "PATCH", "/V1/products/bySku", prices)
                consume(deployment.env, len(tees) + len(prices))

                hoodies = [product(f"HOODIE-{n:03d}", f"Zip Hoodie {n}", 59.0) for n in range(40)]
                accept(other, "PUT", "/V1/products/bySku", hoodies)
                consume(deployment.env, 15)

                discontinued = [{"sku": sku} for sku in skus[18:24]]
                accept(erp, "DELETE", "/V1/products/bySku", discontinued)

            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1280, "height": 700})
                sign_in(page, deployment.url)
                page.locator(".live.on").wait_for()
                output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(output), full_page=True)
        finally:
            deployment.server.stop()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "admin-bulk.png")
