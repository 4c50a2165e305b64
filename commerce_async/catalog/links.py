"""Category membership of products: the one way other modules read and write it.

The categories module owns the category entity; the catalog owns ``catalog_category_product``.
Both sides go through these functions, inside the caller's transaction. When the categories
module registers a validator (``register_category_validator``), product saves refuse links to
categories that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from commerce_async.catalog import repository
from commerce_async.storage import schema
from commerce_async.storage.database import Tx

CategoryValidator = Callable[[Tx, set[int]], set[int]]
"""Given category ids, returns those that exist."""

_validators: list[CategoryValidator] = []
_table = schema.catalog_category_product


def register_category_validator(validator: CategoryValidator) -> None:
    """Called once by the module that owns categories (idempotent)."""
    if validator not in _validators:
        _validators.append(validator)


def missing_categories(tx: Tx, category_ids: Iterable[int]) -> set[int]:
    """The ids among ``category_ids`` that no registered validator knows (none without one)."""
    wanted = set(category_ids)
    if not _validators or not wanted:
        return set()
    known: set[int] = set()
    for validator in _validators:
        known |= validator(tx, wanted)
    return wanted - known


def product_id_by_sku(tx: Tx, sku: str) -> int | None:
    """The product's entity id; SKUs match ignoring case."""
    return repository.entity_id_by_sku(tx, sku)


def get_category_links(tx: Tx, product_id: int) -> list[dict[str, Any]]:
    """``[{"position": 0, "category_id": "11"}]`` as the product JSON shows them."""
    links = repository.load_category_links(tx, [product_id]).get(product_id, [])
    return [{"position": position, "category_id": str(category)} for category, position in links]


def set_category_links(
    tx: Tx, product_id: int, links: Iterable[Mapping[str, Any] | tuple[int, int]]
) -> None:
    """Replace all links of the product. Items are ``{"category_id", "position"}`` mappings or
    ``(category_id, position)`` pairs; a category listed twice keeps its last position."""
    pairs: dict[int, int] = {}
    for link in links:
        if isinstance(link, Mapping):
            pairs[int(link["category_id"])] = int(link.get("position") or 0)
        else:
            pairs[int(link[0])] = int(link[1])
    repository.replace_category_links(tx, product_id, sorted(pairs.items()))


def add_category_link(tx: Tx, category_id: int, product_id: int, position: int = 0) -> None:
    """Assign (or move to ``position``) one product in one category."""
    updated = tx.execute(
        _table.update()
        .where(_table.c.category_id == category_id, _table.c.product_id == product_id)
        .values(position=position)
    ).rowcount
    if not updated:
        tx.execute(
            _table.insert().values(
                category_id=category_id, product_id=product_id, position=position
            )
        )


def remove_category_link(tx: Tx, category_id: int, product_id: int) -> bool:
    """Unassign; False when the product was not in the category."""
    deleted = tx.execute(
        _table.delete().where(
            _table.c.category_id == category_id, _table.c.product_id == product_id
        )
    ).rowcount
    return bool(deleted)


def category_products(tx: Tx, category_id: int) -> list[dict[str, Any]]:
    """``[{"sku", "position", "category_id"}]`` of one category (``GET .../products``)."""
    entity = schema.catalog_product_entity
    query = (
        sa.select(entity.c.sku, _table.c.position)
        .join(entity, entity.c.entity_id == _table.c.product_id)
        .where(_table.c.category_id == category_id)
        .order_by(_table.c.position, entity.c.entity_id)
    )
    return [
        {"sku": row.sku, "position": row.position, "category_id": str(category_id)}
        for row in tx.execute(query)
    ]


def remove_category(tx: Tx, category_ids: Iterable[int]) -> None:
    """Forget every link of deleted categories."""
    ids = list(category_ids)
    if ids:
        tx.execute(_table.delete().where(_table.c.category_id.in_(ids)))
