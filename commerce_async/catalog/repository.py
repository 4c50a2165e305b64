"""Product persistence: every SQL statement of the catalog, batched so that no read is N+1.

Values are loaded for the store levels a caller needs (store 0 and the store view in scope) and
written with one ``executemany`` upsert (``INSERT ... ON CONFLICT DO UPDATE``, the same text on
SQLite and PostgreSQL). Hot statements use the driver cursor directly (``Tx.raw_executemany``) so
a product save costs a handful of cheap statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

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


class EntityRow(NamedTuple):
    """One product entity row with its stock columns (``qty`` None: no stock row yet)."""

    entity_id: int
    sku: str
    attribute_set_id: int
    type_id: str
    created_at: str
    updated_at: str
    qty: float | None
    is_in_stock: Any
    is_qty_decimal: Any
    manage_stock: Any
    use_config_manage_stock: Any
    min_sale_qty: Any
    use_config_min_sale_qty: Any
    max_sale_qty: Any
    use_config_max_sale_qty: Any
    backorders: Any
    use_config_backorders: Any


_ENTITY_SQL = (
    "SELECT e.entity_id, e.sku, e.attribute_set_id, e.type_id, e.created_at, e.updated_at, "
    + ", ".join(f"s.{name}" for name in STOCK_FIELDS)
    + " FROM catalog_product_entity e"
    " LEFT JOIN cataloginventory_stock_item s ON s.product_id = e.entity_id"
)


def _cursor(tx: Tx) -> Any:
    return tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def fetch(tx: Tx, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query with positional ``?`` placeholders, straight from the driver: the hot
    statements skip SQLAlchemy's per-statement compilation (``%s`` for psycopg)."""
    cursor = _cursor(tx)
    try:
        if tx.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cursor.execute(sql, tuple(parameters))
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def is_unique_violation(error: BaseException) -> bool:
    """Whether a driver error is a unique-key violation (``sqlite3.IntegrityError``,
    psycopg's ``UniqueViolation``), told by class name so that no driver is imported here."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"IntegrityError", "UniqueViolation"})


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# --- reads ----------------------------------------------------------------------------------------


def find_entity(tx: Tx, sku: str) -> EntityRow | None:
    """The product row (with its stock columns) whose SKU equals ``sku`` ignoring case."""
    rows = fetch(tx, _ENTITY_SQL + " WHERE e.sku_key = ?", (sku_key(sku),))
    return EntityRow(*rows[0]) if rows else None


def entity_id_by_sku(tx: Tx, sku: str) -> int | None:
    rows = fetch(
        tx, "SELECT entity_id FROM catalog_product_entity WHERE sku_key = ?", (sku_key(sku),)
    )
    return rows[0][0] if rows else None


def stock_of(row: Any) -> dict[str, Any]:
    """The stock fields of an entity row (defaults when the product has no stock row)."""
    if row.qty is None:
        return dict(STOCK_DEFAULTS)
    result = {}
    for name in STOCK_FIELDS:
        current = getattr(row, name)
        default = STOCK_DEFAULTS[name]
        result[name] = type(default)(current)
    return result


_COLUMN_INDEX = {"value_string": 3, "value_number": 4, "value_text": 5}


def load_values(
    tx: Tx, entity_ids: Sequence[int], store_ids: Iterable[int]
) -> dict[int, dict[int, dict[int, Any]]]:
    """``{entity_id: {store_id: {attribute_id: value}}}`` for the given store levels."""
    result: dict[int, dict[int, dict[int, Any]]] = defaultdict(lambda: defaultdict(dict))
    if not entity_ids:
        return result
    stores = sorted(set(store_ids))
    sql = (
        "SELECT entity_id, attribute_id, store_id, value_string, value_number, value_text"
        f" FROM catalog_product_value WHERE entity_id IN ({_marks(len(entity_ids))})"
        f" AND store_id IN ({_marks(len(stores))})"
    )
    by_id = attributes.BY_ID
    for row in fetch(tx, sql, (*entity_ids, *stores)):
        attribute = by_id.get(row[1])
        if attribute is None:
            continue
        stored = row[_COLUMN_INDEX[attribute.column]]
        if stored is None:
            continue
        if attribute.backend == "int":
            stored = int(stored)
        result[row[0]][row[2]][row[1]] = stored
    return result


def load_websites(tx: Tx, entity_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    if entity_ids:
        sql = (
            "SELECT product_id, website_id FROM catalog_product_website"
            f" WHERE product_id IN ({_marks(len(entity_ids))}) ORDER BY product_id, website_id"
        )
        for product_id, website_id in fetch(tx, sql, entity_ids):
            result[product_id].append(website_id)
    return result


def load_category_links(tx: Tx, entity_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """``{product_id: [(category_id, position), ...]}`` ordered by category id."""
    result: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if entity_ids:
        sql = (
            "SELECT product_id, category_id, position FROM catalog_category_product"
            f" WHERE product_id IN ({_marks(len(entity_ids))}) ORDER BY product_id, category_id"
        )
        for product_id, category_id, position in fetch(tx, sql, entity_ids):
            result[product_id].append((category_id, position))
    return result


def url_key_holders(tx: Tx, key: str, entity_id: int | None) -> list[tuple[int, int]]:
    """``(entity_id, store_id)`` of every other product using ``key`` at some store level."""
    rows = fetch(
        tx,
        "SELECT entity_id, store_id FROM catalog_product_url_key WHERE url_key = ?"
        " AND entity_id <> ?",
        (key, -1 if entity_id is None else entity_id),
    )
    return [(row[0], row[1]) for row in rows]


def url_key_levels(tx: Tx, entity_ids: Sequence[int]) -> set[tuple[int, int]]:
    """``(entity_id, store_id)`` pairs at which these products have a URL key of their own."""
    if not entity_ids:
        return set()
    sql = (
        "SELECT entity_id, store_id FROM catalog_product_url_key"
        f" WHERE entity_id IN ({_marks(len(entity_ids))})"
    )
    return {(row[0], row[1]) for row in fetch(tx, sql, entity_ids)}


# --- writes ---------------------------------------------------------------------------------------


def insert_entity(tx: Tx, sku: str, attribute_set_id: int, type_id: str, now_text: str) -> int:
    rows = fetch(
        tx,
        "INSERT INTO catalog_product_entity"
        " (sku, sku_key, attribute_set_id, type_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING entity_id",
        (sku, sku_key(sku), attribute_set_id, type_id, now_text, now_text),
    )
    return int(rows[0][0])


_ENTITY_UPDATABLE = ("attribute_set_id", "type_id", "updated_at")


def update_entity(tx: Tx, entity_id: int, **values: Any) -> None:
    names = [name for name in _ENTITY_UPDATABLE if name in values]
    assignments = ", ".join(f"{name} = ?" for name in names)
    fetch(
        tx,
        f"UPDATE catalog_product_entity SET {assignments} WHERE entity_id = ?",
        (*(values[name] for name in names), entity_id),
    )


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
        fetch(tx, "DELETE FROM catalog_product_website WHERE product_id = ?", (entity_id,))
    tx.raw_executemany(INSERT_WEBSITE, [(entity_id, website_id) for website_id in website_ids])


def replace_category_links(
    tx: Tx, entity_id: int, links: Sequence[tuple[int, int]], *, fresh: bool = False
) -> None:
    if not fresh:
        fetch(tx, "DELETE FROM catalog_category_product WHERE product_id = ?", (entity_id,))
    tx.raw_executemany(
        INSERT_CATEGORY_LINK,
        [(category_id, entity_id, position) for category_id, position in links],
    )


def set_url_key(tx: Tx, entity_id: int, store_id: int, key: str | None, *, fresh: bool) -> None:
    """Record (or with ``None`` forget) the product's URL key at one store level."""
    if not fresh:
        fetch(
            tx,
            "DELETE FROM catalog_product_url_key WHERE entity_id = ? AND store_id = ?",
            (entity_id, store_id),
        )
    if key is not None:
        tx.raw_executemany(INSERT_URL_KEY, [(store_id, key, entity_id)])


def delete_entity(tx: Tx, entity_id: int) -> None:
    """Remove the product and, by cascade, its values, URL keys, links and stock."""
    fetch(tx, "DELETE FROM catalog_product_entity WHERE entity_id = ?", (entity_id,))
