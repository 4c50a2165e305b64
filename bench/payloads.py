"""Request bodies: a simple product of about 1 KB, as Magento clients send it."""

from __future__ import annotations

from typing import Any

import msgspec

SKU_MARK = "{SKU}"

# About 700 characters of description, so one product body is about 1 KB of JSON.
DESCRIPTION = (
    "A sturdy everyday product used to measure the service: woven cotton shell, brushed "
    "lining, reinforced seams and a water-repellent finish that survives repeated washing. "
    "It comes in one size, weighs about a kilogram and ships flat in a recyclable carton "
    "with care instructions in six languages. The same text is sent with every request so "
    "that each measurement moves the same number of bytes; only the SKU changes from one "
    "request to the next, as it would when a catalogue is synchronised from an ERP system "
    "overnight. Prices, stock and visibility are ordinary values, nothing here exercises a "
    "special case, and there are no images, links, options or tier prices to process; the "
    "point is the cost of the service itself."
)


def product(sku: str, price: float = 12.5) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"Bench {sku}",
        "attribute_set_id": 4,
        "price": price,
        "status": 1,
        "visibility": 4,
        "type_id": "simple",
        "weight": 1,
        "custom_attributes": [{"attribute_code": "description", "value": DESCRIPTION}],
    }


def product_body(sku: str, price: float = 12.5) -> bytes:
    """``{"product": {...}}`` for ``POST /V1/products`` and ``PUT /V1/products/:sku``."""
    return msgspec.json.encode({"product": product(sku, price)})


def product_template() -> bytes:
    """A product body with ``{SKU}`` where each request puts its own SKU (see bench/lua)."""
    return product_body(SKU_MARK)


def bulk_body(skus: list[str], price: float = 12.5) -> bytes:
    """``[{"product": {...}}, ...]`` for ``POST /async/bulk/V1/products``."""
    return msgspec.json.encode([{"product": product(sku, price)} for sku in skus])
