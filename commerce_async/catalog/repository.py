"""Product persistence: every SQL statement of the catalog, batched so that no read is N+1.

Values are loaded for the store levels a caller needs (store 0 and the store view in scope) and
written with one ``executemany`` upsert (``INSERT ... ON CONFLICT DO UPDATE``, the same text on
SQLite and PostgreSQL). Hot statements use the driver cursor directly (``Tx.raw_executemany``) so
a product save costs a handful of cheap statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from commerce_async.catalog import attributes
from commerce_async.storage import schema
from commerce_async.storage.database import Tx

entity = schema.catalog_product_entity
value = schema.catalog_product_value
url_keys = schema.catalog_product_url_key
website = schema.catalog_product_website
category_product = schema.catalog_category_product
stock = schema.cataloginventory_stock_item

STOCK_FIELDS = (
    "qty",
    "is_in_stock",
    "is_qty_decimal",
    "manage_stock",
    "use_config_manage_stock",
    "min_sale_qty",
    "use_config_min_sale_qty",
    "max_sale_qty",
    "use_config_max_sale_qty",
    "backorders",
    "use_config_backorders",
)
STOCK_DEFAULTS: dict[str, Any] = {
    "qty": 0.0,
    "is_in_stock": False,
    "is_qty_decimal": False,
    "manage_stock": True,
    "use_config_manage_stock": True,
    "min_sale_qty": 1.0,
    "use_config_min_sale_qty": True,
    "max_sale_qty": 10000.0,
    "use_config_max_sale_qty": True,
    "backorders": 0,
    "use_config_backorders": True,
}

_ENTITY_COLUMNS = (
    entity.c.entity_id,
    entity.c.sku,
    entity.c.attribute_set_id,
    entity.c.type_id,
    entity.c.created_at,
    entity.c.updated_at,
    *(stock.c[name] for name in STOCK_FIELDS),
)
ENTITY_SELECT = sa.select(*_ENTITY_COLUMNS).select_from(
    entity.outerjoin(stock, stock.c.product_id == entity.c.entity_id)
)

UPSERT_VALUE = (
    "INSERT INTO catalog_product_value"
    " (entity_id, attribute_id, store_id, value_string, value_number, value_text)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (entity_id, attribute_id, store_id) DO UPDATE SET"
    " value_string = excluded.value_string, value_number = excluded.value_number,"
    " value_text = excluded.value_text"
)
DELETE_VALUE = (
    "DELETE FROM catalog_product_value WHERE entity_id = ? AND attribute_id = ? AND store_id = ?"
)
UPSERT_STOCK = (
    "INSERT INTO cataloginventory_stock_item (product_id, "
    + ", ".join(STOCK_FIELDS)
    + ") VALUES (?, "
    + ", ".join("?" for _ in STOCK_FIELDS)
    + ") ON CONFLICT (product_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in STOCK_FIELDS)
)
INSERT_WEBSITE = "INSERT INTO catalog_product_website (product_id, website_id) VALUES (?, ?)"
INSERT_CATEGORY_LINK = (
    "INSERT INTO catalog_category_product (category_id, product_id, position) VALUES (?, ?, ?)"
)
INSERT_URL_KEY = (
    "INSERT INTO catalog_product_url_key (store_id, url_key, entity_id) VALUES (?, ?, ?)"
)


def sku_key(sku: str) -> str:
    """The case-insensitive identity of a SKU."""
    return sku.lower()


# --- reads ----------------------------------------------------------------------------------------


def find_entity(tx: Tx, sku: str) -> sa.Row[Any] | None:
    """The product row (with its stock columns) whose SKU equals ``sku`` ignoring case."""
    return tx.first(ENTITY_SELECT.where(entity.c.sku_key == sku_key(sku)))


def entities_by_ids(tx: Tx, entity_ids: Sequence[int]) -> list[sa.Row[Any]]:
    if not entity_ids:
        return []
    rows = tx.all(ENTITY_SELECT.where(entity.c.entity_id.in_(list(entity_ids))))
    order = {entity_id: index for index, entity_id in enumerate(entity_ids)}
    return sorted(rows, key=lambda row: order[row.entity_id])


def entity_id_by_sku(tx: Tx, sku: str) -> int | None:
    return tx.scalar(sa.select(entity.c.entity_id).where(entity.c.sku_key == sku_key(sku)))


def stock_of(row: sa.Row[Any]) -> dict[str, Any]:
    """The stock fields of an entity row (defaults when the product has no stock row)."""
    if row.qty is None:
        return dict(STOCK_DEFAULTS)
    result = {}
    for name in STOCK_FIELDS:
        current = getattr(row, name)
        default = STOCK_DEFAULTS[name]
        result[name] = type(default)(current)
    return result


def load_values(
    tx: Tx, entity_ids: Sequence[int], store_ids: Iterable[int]
) -> dict[int, dict[int, dict[int, Any]]]:
    """``{entity_id: {store_id: {attribute_id: value}}}`` for the given store levels."""
    result: dict[int, dict[int, dict[int, Any]]] = defaultdict(lambda: defaultdict(dict))
    if not entity_ids:
        return result
    stores = sorted(set(store_ids))
    query = sa.select(
        value.c.entity_id,
        value.c.attribute_id,
        value.c.store_id,
        value.c.value_string,
        value.c.value_number,
        value.c.value_text,
    ).where(value.c.entity_id.in_(list(entity_ids)))
    query = (
        query.where(value.c.store_id == stores[0])
        if len(stores) == 1
        else query.where(value.c.store_id.in_(stores))
    )
    by_id = attributes.BY_ID
    for row in tx.execute(query):
        attribute = by_id.get(row.attribute_id)
        if attribute is None:
            continue
        stored = (
            row.value_number
            if attribute.column == "value_number"
            else row.value_text
            if attribute.column == "value_text"
            else row.value_string
        )
        if stored is None:
            continue
        if attribute.backend == "int":
            stored = int(stored)
        result[row.entity_id][row.store_id][row.attribute_id] = stored
    return result


def load_websites(tx: Tx, entity_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    if entity_ids:
        query = (
            sa.select(website.c.product_id, website.c.website_id)
            .where(website.c.product_id.in_(list(entity_ids)))
            .order_by(website.c.product_id, website.c.website_id)
        )
        for row in tx.execute(query):
            result[row.product_id].append(row.website_id)
    return result


def load_category_links(tx: Tx, entity_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """``{product_id: [(category_id, position), ...]}`` ordered by category id."""
    result: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if entity_ids:
        query = (
            sa.select(
                category_product.c.product_id,
                category_product.c.category_id,
                category_product.c.position,
            )
            .where(category_product.c.product_id.in_(list(entity_ids)))
            .order_by(category_product.c.product_id, category_product.c.category_id)
        )
        for row in tx.execute(query):
            result[row.product_id].append((row.category_id, row.position))
    return result


def url_key_holders(tx: Tx, key: str, entity_id: int | None) -> list[tuple[int, int]]:
    """``(entity_id, store_id)`` of every other product using ``key`` at some store level."""
    query = sa.select(url_keys.c.entity_id, url_keys.c.store_id).where(url_keys.c.url_key == key)
    if entity_id is not None:
        query = query.where(url_keys.c.entity_id != entity_id)
    return [(row.entity_id, row.store_id) for row in tx.execute(query)]


def url_key_levels(tx: Tx, entity_ids: Sequence[int]) -> set[tuple[int, int]]:
    """``(entity_id, store_id)`` pairs at which these products have a URL key of their own."""
    if not entity_ids:
        return set()
    query = sa.select(url_keys.c.entity_id, url_keys.c.store_id).where(
        url_keys.c.entity_id.in_(list(entity_ids))
    )
    return {(row.entity_id, row.store_id) for row in tx.execute(query)}


# --- writes ---------------------------------------------------------------------------------------


def insert_entity(tx: Tx, sku: str, attribute_set_id: int, type_id: str, now_text: str) -> int:
    statement = (
        entity.insert()
        .values(
            sku=sku,
            sku_key=sku_key(sku),
            attribute_set_id=attribute_set_id,
            type_id=type_id,
            created_at=now_text,
            updated_at=now_text,
        )
        .returning(entity.c.entity_id)
    )
    return int(tx.scalar(statement))


def update_entity(tx: Tx, entity_id: int, **values: Any) -> None:
    tx.execute(entity.update().where(entity.c.entity_id == entity_id).values(**values))


def value_row(entity_id: int, attribute: attributes.Attribute, store_id: int, stored: Any) -> tuple:
    column = attribute.column
    return (
        entity_id,
        attribute.attribute_id,
        store_id,
        stored if column == "value_string" else None,
        stored if column == "value_number" else None,
        stored if column == "value_text" else None,
    )


def write_values(tx: Tx, upserts: list[tuple], deletes: list[tuple[int, int, int]]) -> None:
    """Apply value rows (see ``value_row``) and remove ``(entity, attribute, store)`` rows."""
    tx.raw_executemany(DELETE_VALUE, deletes)
    tx.raw_executemany(UPSERT_VALUE, upserts)


def write_stock(tx: Tx, entity_id: int, values: dict[str, Any]) -> None:
    tx.raw_executemany(UPSERT_STOCK, [(entity_id, *(values[name] for name in STOCK_FIELDS))])


def replace_websites(tx: Tx, entity_id: int, website_ids: Sequence[int], *, fresh: bool) -> None:
    if not fresh:
        tx.execute(website.delete().where(website.c.product_id == entity_id))
    tx.raw_executemany(INSERT_WEBSITE, [(entity_id, website_id) for website_id in website_ids])


def replace_category_links(
    tx: Tx, entity_id: int, links: Sequence[tuple[int, int]], *, fresh: bool = False
) -> None:
    if not fresh:
        tx.execute(category_product.delete().where(category_product.c.product_id == entity_id))
    tx.raw_executemany(
        INSERT_CATEGORY_LINK,
        [(category_id, entity_id, position) for category_id, position in links],
    )


def set_url_key(tx: Tx, entity_id: int, store_id: int, key: str | None, *, fresh: bool) -> None:
    """Record (or with ``None`` forget) the product's URL key at one store level."""
    if not fresh:
        tx.execute(
            url_keys.delete().where(
                url_keys.c.entity_id == entity_id, url_keys.c.store_id == store_id
            )
        )
    if key is not None:
        tx.raw_executemany(INSERT_URL_KEY, [(store_id, key, entity_id)])


def delete_entity(tx: Tx, entity_id: int) -> None:
    """Remove the product and, by cascade, its values, URL keys, links and stock."""
    tx.execute(entity.delete().where(entity.c.entity_id == entity_id))
