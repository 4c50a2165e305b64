"""Category-product links (``/V1/categories/:categoryId/products``), through the catalog's
``commerce_async.catalog.links`` functions, which own the link table.

The category of a link is the path's (or, in a bulk item, the top-level ``categoryId``), else
``productLink.category_id``: the path wins, as Magento's PUT rule makes it win.
"""

from __future__ import annotations

from typing import Any

from commerce_async.catalog import links as catalog_links
from commerce_async.catalog.service import not_found as product_not_found
from commerce_async.categories import repository
from commerce_async.categories.service import load
from commerce_async.errors import InputError, required_field
from commerce_async.operations.model import utc_text
from commerce_async.webapi.routes import ServiceContext

NOT_IN_CATEGORY = "The category doesn't contain the specified product."

# Product saves refuse links to categories that do not exist.
catalog_links.register_category_validator(repository.existing_ids)


def _product_id(ctx: ServiceContext, sku: Any) -> int:
    if sku in (None, ""):
        raise required_field("sku")
    product_id = catalog_links.product_id_by_sku(ctx.tx, str(sku))
    if product_id is None:
        raise product_not_found(ctx, str(sku))
    return product_id


def assigned_products(ctx: ServiceContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    """``GET /V1/categories/:categoryId/products``: ``[{"sku", "position", "category_id"}]``."""
    row = load(ctx.tx, args["categoryId"])
    return catalog_links.category_products(ctx.tx, row.entity_id)


def save(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``POST``/``PUT /V1/categories/:categoryId/products``: assign a product, or move it to
    ``position`` if it is already assigned."""
    link = args.get("productLink") or {}
    category_id = args.get("categoryId")
    if category_id is None:
        category_id = link.get("category_id")
    if category_id in (None, ""):
        raise required_field("categoryId")
    row = load(ctx.tx, category_id)
    product_id = _product_id(ctx, link.get("sku"))
    catalog_links.add_category_link(ctx.tx, row.entity_id, product_id, link.get("position") or 0)
    repository.update(ctx.tx, row.entity_id, updated_at=utc_text(ctx.now))
    return True


def delete(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``DELETE /V1/categories/:categoryId/products/:sku``."""
    row = load(ctx.tx, args["categoryId"])
    product_id = _product_id(ctx, args["sku"])
    if not catalog_links.remove_category_link(ctx.tx, row.entity_id, product_id):
        raise InputError(NOT_IN_CATEGORY)
    repository.update(ctx.tx, row.entity_id, updated_at=utc_text(ctx.now))
    return True
