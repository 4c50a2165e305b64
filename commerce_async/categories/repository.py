"""Category persistence: the tree rows and the store-scoped values, in the caller's transaction.

Values are stored as text in ``catalog_category_value`` and typed back by their attribute on
load. Writes use one ``executemany`` upsert (``INSERT ... ON CONFLICT DO UPDATE``, the same text on
SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from commerce_async.categories import attributes
from commerce_async.eav.attributes import Attribute, as_json
from commerce_async.storage import schema
from commerce_async.storage.database import Tx

entity = schema.catalog_category_entity
value = schema.catalog_category_value

TREE_ROOT_ID = 1
DEFAULT_CATEGORY_ID = 2

UPSERT_VALUE = (
    "INSERT INTO catalog_category_value (entity_id, attribute_id, store_id, value)"
    " VALUES (?, ?, ?, ?)"
    " ON CONFLICT (entity_id, attribute_id, store_id) DO UPDATE SET value = excluded.value"
)
DELETE_VALUE = (
    "DELETE FROM catalog_category_value WHERE entity_id = ? AND attribute_id = ? AND store_id = ?"
)

Values = dict[int, dict[int, dict[int, Any]]]
"""``{entity_id: {store_id: {attribute_id: value}}}``."""


# --- reads ---------------------------------------------------------------------------------------


def find(tx: Tx, category_id: int) -> sa.Row[Any] | None:
    return tx.first(sa.select(entity).where(entity.c.entity_id == category_id))


def rows_by_ids(tx: Tx, category_ids: Iterable[int]) -> dict[int, sa.Row[Any]]:
    ids = sorted(set(category_ids))
    if not ids:
        return {}
    return {
        row.entity_id: row for row in tx.all(sa.select(entity).where(entity.c.entity_id.in_(ids)))
    }


def existing_ids(tx: Tx, category_ids: set[int]) -> set[int]:
    """The ids among ``category_ids`` that are categories."""
    if not category_ids:
        return set()
    query = sa.select(entity.c.entity_id).where(entity.c.entity_id.in_(sorted(category_ids)))
    return {row.entity_id for row in tx.execute(query)}


def subtree(tx: Tx, path: str) -> list[sa.Row[Any]]:
    """The category at ``path`` and all its descendants, parents before children."""
    query = (
        sa.select(entity)
        .where(sa.or_(entity.c.path == path, entity.c.path.like(path + "/%")))
        .order_by(entity.c.level, entity.c.position, entity.c.entity_id)
    )
    return tx.all(query)


def children_of(tx: Tx, parent_ids: Iterable[int]) -> dict[int, list[int]]:
    """Direct children ids of each parent, in position order."""
    ids = sorted(set(parent_ids))
    result: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return result
    query = (
        sa.select(entity.c.parent_id, entity.c.entity_id)
        .where(entity.c.parent_id.in_(ids))
        .order_by(entity.c.parent_id, entity.c.position, entity.c.entity_id)
    )
    for row in tx.execute(query):
        result[row.parent_id].append(row.entity_id)
    return result


def max_child_position(tx: Tx, parent_id: int) -> int:
    query = sa.select(sa.func.max(entity.c.position)).where(entity.c.parent_id == parent_id)
    return int(tx.scalar(query) or 0)


def load_values(tx: Tx, category_ids: Sequence[int], store_ids: Iterable[int]) -> Values:
    result: Values = defaultdict(lambda: defaultdict(dict))
    ids = sorted(set(category_ids))
    if not ids:
        return result
    query = sa.select(value).where(
        value.c.entity_id.in_(ids), value.c.store_id.in_(sorted(set(store_ids)))
    )
    for row in tx.execute(query):
        attribute = attributes.BY_ID.get(row.attribute_id)
        if attribute is None or row.value is None:
            continue
        result[row.entity_id][row.store_id][row.attribute_id] = as_json(attribute, row.value)
    return result


def values_of_attribute(
    tx: Tx, attribute: Attribute, category_ids: Sequence[int]
) -> dict[int, dict[int, Any]]:
    """``{entity_id: {store_id: value}}`` of one attribute at every store level."""
    result: dict[int, dict[int, Any]] = defaultdict(dict)
    ids = sorted(set(category_ids))
    if not ids:
        return result
    query = sa.select(value.c.entity_id, value.c.store_id, value.c.value).where(
        value.c.attribute_id == attribute.attribute_id, value.c.entity_id.in_(ids)
    )
    for row in tx.execute(query):
        if row.value is not None:
            result[row.entity_id][row.store_id] = as_json(attribute, row.value)
    return result


def children_with_value(
    tx: Tx, parent_id: int, attribute: Attribute, stored: Any, store_ids: Iterable[int]
) -> list[int]:
    """Children of ``parent_id`` with a row of ``attribute`` equal to ``stored`` at one of the
    store levels (one indexed walk of the parent's children, not one query per child)."""
    query = (
        sa.select(value.c.entity_id)
        .join(entity, entity.c.entity_id == value.c.entity_id)
        .where(
            entity.c.parent_id == parent_id,
            value.c.attribute_id == attribute.attribute_id,
            value.c.store_id.in_(sorted(set(store_ids))),
            value.c.value == _text(stored),
        )
        .distinct()
    )
    return [row.entity_id for row in tx.execute(query)]


def _text(stored: Any) -> str:
    return repr(stored) if isinstance(stored, float) else str(stored)


# --- writes --------------------------------------------------------------------------------------


def insert(
    tx: Tx, parent: sa.Row[Any] | None, position: int, now_text: str, entity_id: int | None = None
) -> int:
    """A new category under ``parent`` (None: the tree root itself); path and level follow."""
    values: dict[str, Any] = {
        "parent_id": parent.entity_id if parent is not None else 0,
        "path": "",
        "position": position,
        "level": parent.level + 1 if parent is not None else 0,
        "children_count": 0,
        "created_at": now_text,
        "updated_at": now_text,
    }
    if entity_id is not None:
        values["entity_id"] = entity_id
    new_id = int(tx.scalar(entity.insert().values(**values).returning(entity.c.entity_id)))
    path = f"{parent.path}/{new_id}" if parent is not None else str(new_id)
    tx.execute(entity.update().where(entity.c.entity_id == new_id).values(path=path))
    if parent is not None:
        add_to_children_count(tx, ancestor_ids(path), 1)
    return new_id


def ancestor_ids(path: str) -> list[int]:
    """Ids of every ancestor of the category at ``path`` (not the category itself)."""
    return [int(part) for part in path.split("/")[:-1]]


def add_to_children_count(tx: Tx, category_ids: Sequence[int], delta: int) -> None:
    if category_ids and delta:
        tx.execute(
            entity.update()
            .where(entity.c.entity_id.in_(list(category_ids)))
            .values(children_count=entity.c.children_count + delta)
        )


def update(tx: Tx, category_id: int, **values: Any) -> None:
    tx.execute(entity.update().where(entity.c.entity_id == category_id).values(**values))


def write_values(
    tx: Tx,
    category_id: int,
    writes: Iterable[tuple[Attribute, int, Any]],
    clears: Iterable[tuple[Attribute, int]],
) -> None:
    """Apply a store plan: ``(attribute, store_id, value)`` upserts, ``(attribute, store_id)``
    deletions."""
    tx.raw_executemany(
        DELETE_VALUE,
        [(category_id, attribute.attribute_id, store_id) for attribute, store_id in clears],
    )
    tx.raw_executemany(
        UPSERT_VALUE,
        [
            (category_id, attribute.attribute_id, store_id, _text(stored))
            for attribute, store_id, stored in writes
        ],
    )


def shift_positions(tx: Tx, parent_id: int, from_position: int, delta: int) -> None:
    """Move every child of ``parent_id`` at ``from_position`` or later by ``delta``."""
    tx.execute(
        entity.update()
        .where(entity.c.parent_id == parent_id, entity.c.position >= from_position)
        .values(position=entity.c.position + delta)
    )


def move_subtree(tx: Tx, old_path: str, new_path: str, level_delta: int) -> None:
    """Rewrite the path and level of every descendant of ``old_path`` (not the node itself)."""
    prefix = old_path + "/"
    tx.execute(
        entity.update()
        .where(entity.c.path.like(prefix + "%"))
        .values(
            path=sa.literal(new_path + "/") + sa.func.substr(entity.c.path, len(prefix) + 1),
            level=entity.c.level + level_delta,
        )
    )


def delete(tx: Tx, category_ids: Sequence[int]) -> None:
    """Remove categories; their values go by cascade."""
    if category_ids:
        tx.execute(entity.delete().where(entity.c.entity_id.in_(list(category_ids))))


def install_defaults(tx: Tx, now_text: str) -> bool:
    """Root Catalog (1) and Default Category (2), as a fresh Magento has them. Idempotent:
    returns False when the tree root already exists."""
    if find(tx, TREE_ROOT_ID) is not None:
        return False
    insert(tx, None, 0, now_text, entity_id=TREE_ROOT_ID)
    write_values(tx, TREE_ROOT_ID, [(attributes.NAME, 0, "Root Catalog")], [])
    root = find(tx, TREE_ROOT_ID)
    insert(tx, root, 1, now_text, entity_id=DEFAULT_CATEGORY_ID)
    write_values(
        tx,
        DEFAULT_CATEGORY_ID,
        [
            (attributes.NAME, 0, "Default Category"),
            (attributes.IS_ACTIVE, 0, 1),
            (attributes.BY_CODE["display_mode"], 0, "PRODUCTS"),
            (attributes.IS_ANCHOR, 0, 1),
            (attributes.INCLUDE_IN_MENU, 0, 1),
        ],
        [],
    )
    if tx.dialect == "postgresql":
        # Explicit ids do not advance the serial sequence: move it past them.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('catalog_category_entity', 'entity_id'),"
            " (SELECT MAX(entity_id) FROM catalog_category_entity))"
        )
    return True
