"""Category handlers: save with Magento's store rules, read with store fallback, delete, tree, move.

Store rules (the catalog's, ``commerce_async.catalog.scope``): a create writes every value at
store 0, whatever the URL's store code; an update writes in the URL's scope: store 0 for
``/rest/all``, the store view otherwise (the default store view when the URL has no code), and
only the values that differ from what that view already inherits. ``null`` through a store view
removes its value there ("Use Default Value"). Reads show the store view's value, else store 0's.

URL keys: a new category without one gets its name, formatted; ``url_path`` is always derived from
the URL keys of the category and its ancestors below the store root, in the store view read.
Two children of one parent may not share a URL key in one store view.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from commerce_async.catalog import links as catalog_links
from commerce_async.catalog import scope
from commerce_async.catalog.urlkey import URL_KEY_EXISTS, format_url_key
from commerce_async.categories import attributes, repository
from commerce_async.eav.attributes import Attribute, as_text
from commerce_async.errors import CouldNotDelete, CouldNotSave, InputError, NotFound
from commerce_async.operations.model import utc_text
from commerce_async.storage import schema
from commerce_async.storage.database import Tx
from commerce_async.webapi.routes import ServiceContext

NO_SUCH_ENTITY = "No such entity with %fieldName = %fieldValue"
COULD_NOT_SAVE = "Could not save category: %1"
REQUIRED_ATTRIBUTE = 'The "%1" attribute is required. Enter and try again.'
INVALID_URL_KEY = "Invalid URL key"
CANNOT_DELETE = "Cannot delete category with id %1"
MOVE_INTO_CHILD = "Operation do not allow to move a parent category to any of children category"
STORE_NOT_FOUND = "The store that was requested wasn't found. Verify the store and try again."

_TOP_LEVEL_FIELDS = {
    "name": attributes.NAME,
    "is_active": attributes.IS_ACTIVE,
    "include_in_menu": attributes.INCLUDE_IN_MENU,
    "available_sort_by": attributes.AVAILABLE_SORT_BY,
}


def not_found(category_id: Any) -> NotFound:
    return NotFound(NO_SUCH_ENTITY, {"fieldName": "id", "fieldValue": category_id})


def load(tx: Tx, category_id: Any) -> sa.Row[Any]:
    """The category row, or 404 ``No such entity with id = ...``."""
    try:
        number = int(category_id)
    except (TypeError, ValueError):
        raise not_found(category_id) from None
    row = repository.find(tx, number)
    if row is None:
        raise not_found(category_id)
    return row


# --- reading -----------------------------------------------------------------------------------


def _effective(values: repository.Values, category_id: int, store_id: int) -> dict[int, Any]:
    levels = values.get(category_id, {})
    merged = dict(levels.get(0, {}))
    if store_id:
        merged.update(levels.get(store_id, {}))
    return merged


def _url_paths(
    tx: Tx, rows: list[sa.Row[Any]], store_id: int, own: repository.Values
) -> dict[int, str]:
    """``url_path`` of each category below a store root: its ancestors' URL keys and its own."""
    wanted = {int(part) for row in rows if row.level >= 2 for part in row.path.split("/")[2:]} - {
        row.entity_id for row in rows
    }
    keys = {
        entity_id: levels.get(store_id, levels.get(0)) if store_id else levels.get(0)
        for entity_id, levels in repository.values_of_attribute(
            tx, attributes.URL_KEY, sorted(wanted)
        ).items()
    }
    for row in rows:
        keys[row.entity_id] = _effective(own, row.entity_id, store_id).get(
            attributes.URL_KEY.attribute_id
        )
    paths = {}
    for row in rows:
        if row.level < 2:
            continue
        parts = [keys.get(int(part)) for part in row.path.split("/")[2:]]
        if all(parts):
            paths[row.entity_id] = "/".join(str(part) for part in parts)
    return paths


def to_json(tx: Tx, rows: list[sa.Row[Any]], store_id: int) -> list[dict[str, Any]]:
    """Magento's ``CategoryInterface`` JSON of each row, as seen from ``store_id``."""
    ids = [row.entity_id for row in rows]
    values = repository.load_values(tx, ids, {0, store_id})
    children = repository.children_of(tx, ids)
    url_paths = _url_paths(tx, rows, store_id, values)
    return [
        _category_json(
            row,
            _effective(values, row.entity_id, store_id),
            children.get(row.entity_id, []),
            url_paths.get(row.entity_id),
        )
        for row in rows
    ]


def _category_json(
    row: sa.Row[Any], values: dict[int, Any], children: list[int], url_path: str | None
) -> dict[str, Any]:
    def value_of(attribute: Attribute) -> Any:
        return values.get(attribute.attribute_id)

    result: dict[str, Any] = {"id": row.entity_id, "parent_id": row.parent_id}
    if value_of(attributes.NAME) is not None:
        result["name"] = value_of(attributes.NAME)
    if value_of(attributes.IS_ACTIVE) is not None:
        result["is_active"] = bool(value_of(attributes.IS_ACTIVE))
    result.update(
        {
            "position": row.position,
            "level": row.level,
            "children": ",".join(str(child) for child in children),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "path": row.path,
        }
    )
    sort_by = value_of(attributes.AVAILABLE_SORT_BY)
    result["available_sort_by"] = sort_by.split(",") if sort_by else []
    if value_of(attributes.INCLUDE_IN_MENU) is not None:
        result["include_in_menu"] = bool(value_of(attributes.INCLUDE_IN_MENU))
    custom = []
    for code in attributes.OUTPUT_ORDER:
        if code == "path":
            text: str | None = row.path
        elif code == "children_count":
            text = str(row.children_count)
        elif code == "url_path":
            text = url_path
        else:
            attribute = attributes.BY_CODE[code]
            stored = value_of(attribute)
            text = None if stored is None else as_text(attribute, stored)
        if text is not None:
            custom.append({"attribute_code": code, "value": text})
    result["custom_attributes"] = custom
    return result


def category_json(tx: Tx, category_id: int, store_id: int) -> dict[str, Any]:
    return to_json(tx, [load(tx, category_id)], store_id)[0]


def _store_id_param(ctx: ServiceContext, store_id: int | None) -> int:
    if store_id is None:
        return ctx.store.store_id
    registry = ctx.services.stores
    if store_id not in registry.snapshot.stores and store_id not in registry.reload().stores:
        raise NotFound(STORE_NOT_FOUND)
    return store_id


def get(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /V1/categories/:categoryId[?storeId=N]``."""
    store_id = _store_id_param(ctx, args.get("storeId"))
    return category_json(ctx.tx, args["categoryId"], store_id)


# --- saving ------------------------------------------------------------------------------------


def _changes(data: dict[str, Any]) -> dict[Attribute, Any]:
    """The attribute values a save carries; a top-level field wins over a custom attribute."""
    changes: dict[Attribute, Any] = {}
    for code, stored in (data.get("custom_attributes") or {}).items():
        changes[attributes.BY_CODE[code]] = stored
    for field, attribute in _TOP_LEVEL_FIELDS.items():
        if field in data:
            changes[attribute] = data[field]
    return changes


def _could_not_save(message: str, parameters: list[Any] | None = None) -> CouldNotSave:
    """Magento wraps every failure of the category resource save in ``Could not save ...``."""
    detail = InputError(message, parameters).rendered()
    return CouldNotSave(COULD_NOT_SAVE, [detail])


def _format_url_key(changes: dict[Attribute, Any]) -> None:
    key = changes.get(attributes.URL_KEY)
    if key is not None:
        formatted = format_url_key(str(key))
        if not formatted:
            raise _could_not_save(INVALID_URL_KEY)
        changes[attributes.URL_KEY] = formatted


def _check_url_key(tx: Tx, key: str, category_id: int | None, parent_id: int, store_id: int):
    """Children of one parent may not resolve to the same URL key in the store level written."""
    holders = repository.children_with_value(tx, parent_id, attributes.URL_KEY, key, {0, store_id})
    siblings = [sibling for sibling in holders if sibling != category_id]
    for levels in repository.values_of_attribute(tx, attributes.URL_KEY, siblings).values():
        if (levels.get(store_id, levels.get(0)) if store_id else levels.get(0)) == key:
            raise _could_not_save(URL_KEY_EXISTS)


def _default_parent(ctx: ServiceContext) -> int:
    """The store's root category (for ``/rest/all``: the default store view's)."""
    snapshot = ctx.services.stores.snapshot
    view = snapshot.default_store if ctx.store.is_admin else ctx.store
    group = snapshot.groups.get(view.group_id)
    return group.root_category_id if group and group.root_category_id else 2


def _create(ctx: ServiceContext, data: dict[str, Any], changes: dict[Attribute, Any]) -> int:
    tx = ctx.tx
    parent = load(tx, data.get("parent_id") or _default_parent(ctx))
    name = changes.get(attributes.NAME)
    if not name:
        raise _could_not_save(REQUIRED_ATTRIBUTE, [attributes.NAME.label])
    for attribute in attributes.CATALOGUE:
        if attribute.default is not None and changes.get(attribute) is None:
            changes[attribute] = attribute.default
    if changes.get(attributes.URL_KEY) is None and parent.level >= 1:
        changes[attributes.URL_KEY] = name
    _format_url_key(changes)
    key = changes.get(attributes.URL_KEY)
    if key is not None:
        _check_url_key(tx, key, None, parent.entity_id, 0)
    position = data.get("position")
    if position is None:
        position = repository.max_child_position(tx, parent.entity_id) + 1
    category_id = repository.insert(tx, parent, position, utc_text(ctx.now))
    plan = scope.plan(changes, {}, {}, 0, [], False)
    repository.write_values(tx, category_id, plan.writes, plan.clears)
    return category_id


def _update(
    ctx: ServiceContext, row: sa.Row[Any], data: dict[str, Any], changes: dict[Attribute, Any]
) -> None:
    tx = ctx.tx
    store_id = ctx.store.store_id
    values = repository.load_values(tx, [row.entity_id], {0, store_id})
    defaults = dict(values[row.entity_id][0])
    overrides = dict(values[row.entity_id][store_id]) if store_id else {}
    _format_url_key(changes)
    plan = scope.plan(changes, defaults, overrides, store_id, [store_id], False)
    name_id = attributes.NAME.attribute_id
    if not overrides.get(name_id, defaults.get(name_id)):
        raise _could_not_save(REQUIRED_ATTRIBUTE, [attributes.NAME.label])
    key = changes.get(attributes.URL_KEY)
    if key is not None and any(attribute is attributes.URL_KEY for attribute, *_ in plan.writes):
        _check_url_key(tx, key, row.entity_id, row.parent_id, store_id)
    entity_values: dict[str, Any] = {"updated_at": utc_text(ctx.now)}
    if data.get("position") is not None:
        entity_values["position"] = data["position"]
    repository.update(tx, row.entity_id, **entity_values)
    repository.write_values(tx, row.entity_id, plan.writes, plan.clears)


def save(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /V1/categories`` and ``PUT /V1/categories/:id``: create, or update when an id is
    given (the path's, else the body's). Answers the saved category as the URL's store sees it.
    ``parent_id``, ``path`` and ``level`` of an existing category are ignored (use the move
    route), as in Magento."""
    data = dict(args.get("category") or {})
    category_id = args.get("id") or data.get("id")
    changes = _changes(data)
    if category_id:
        row = load(ctx.tx, category_id)
        _update(ctx, row, data, changes)
        category_id = row.entity_id
    else:
        category_id = _create(ctx, data, changes)
    return category_json(ctx.tx, category_id, ctx.store.store_id)


# --- deleting and moving -----------------------------------------------------------------------


def _is_store_root(tx: Tx, category_id: int) -> bool:
    group = schema.store_group
    query = sa.select(group.c.group_id).where(group.c.root_category_id == category_id).limit(1)
    return tx.first(query) is not None


def delete(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``DELETE /V1/categories/:categoryId``: the category, its subtree and their product links.
    The tree root and the root category of a store group cannot be deleted."""
    tx = ctx.tx
    row = load(tx, args["categoryId"])
    if row.level == 0 or _is_store_root(tx, row.entity_id):
        raise CouldNotDelete(CANNOT_DELETE, [row.entity_id])
    ids = [node.entity_id for node in repository.subtree(tx, row.path)]
    catalog_links.remove_category(tx, ids)
    repository.delete(tx, ids)
    repository.add_to_children_count(tx, repository.ancestor_ids(row.path), -len(ids))
    return True


def move(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``PUT /V1/categories/:categoryId/move``: under ``parentId``, after sibling ``afterId``
    (absent: last; 0: first)."""
    tx = ctx.tx
    row = load(tx, args["categoryId"])
    parent = load(tx, args["parentId"])
    if parent.path == row.path or parent.path.startswith(row.path + "/"):
        raise InputError(MOVE_INTO_CHILD)
    repository.shift_positions(tx, row.parent_id, row.position + 1, -1)
    position = _position_after(tx, parent.entity_id, row.entity_id, args.get("afterId"))
    repository.shift_positions(tx, parent.entity_id, position, 1)
    new_path = f"{parent.path}/{row.entity_id}"
    repository.move_subtree(tx, row.path, new_path, parent.level + 1 - row.level)
    repository.update(
        tx,
        row.entity_id,
        parent_id=parent.entity_id,
        path=new_path,
        level=parent.level + 1,
        position=position,
        updated_at=utc_text(ctx.now),
    )
    moved = 1 + row.children_count
    repository.add_to_children_count(tx, repository.ancestor_ids(row.path), -moved)
    repository.add_to_children_count(tx, repository.ancestor_ids(new_path), moved)
    return True


def _position_after(tx: Tx, parent_id: int, category_id: int, after_id: int | None) -> int:
    if after_id == 0:
        return 1
    siblings = repository.rows_by_ids(
        tx,
        [c for c in repository.children_of(tx, [parent_id]).get(parent_id, []) if c != category_id],
    )
    after = siblings.get(after_id) if after_id is not None else None
    if after is None:
        return max((sibling.position for sibling in siblings.values()), default=0) + 1
    return after.position + 1


# --- tree --------------------------------------------------------------------------------------


def _product_counts(
    tx: Tx, nodes: list[sa.Row[Any]], anchors: set[int], children: dict[int, list[int]]
) -> dict[int, int]:
    """Products per category; an anchor category also counts its descendants' products."""
    table = schema.catalog_category_product
    direct: dict[int, set[int]] = defaultdict(set)
    ids = [node.entity_id for node in nodes]
    for start in range(0, len(ids), 500):
        query = sa.select(table.c.category_id, table.c.product_id).where(
            table.c.category_id.in_(ids[start : start + 500])
        )
        for link in tx.execute(query):
            direct[link.category_id].add(link.product_id)
    deep: dict[int, set[int]] = {}
    for node in sorted(nodes, key=lambda n: -n.level):
        products = set(direct.get(node.entity_id, set()))
        for child in children.get(node.entity_id, []):
            products |= deep.get(child, set())
        deep[node.entity_id] = products
    return {
        node.entity_id: len(
            deep[node.entity_id] if node.entity_id in anchors else direct[node.entity_id]
        )
        for node in nodes
    }


def tree(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /V1/categories[?rootCategoryId=&depth=]``: the tree below the given category, the
    store's root category, or (for ``/rest/all``) the tree root."""
    tx = ctx.tx
    root_id = args.get("rootCategoryId")
    if root_id is None:
        root_id = repository.TREE_ROOT_ID if ctx.store.is_admin else _default_parent(ctx)
    root = load(tx, root_id)
    depth = args.get("depth")
    store_id = ctx.store.store_id
    nodes = repository.subtree(tx, root.path)
    values = repository.load_values(tx, [node.entity_id for node in nodes], {0, store_id})
    children: dict[int, list[int]] = defaultdict(list)
    for node in nodes:
        if node.entity_id != root.entity_id:
            children[node.parent_id].append(node.entity_id)
    by_id = {node.entity_id: node for node in nodes}
    effective = {node.entity_id: _effective(values, node.entity_id, store_id) for node in nodes}
    anchors = {
        node.entity_id
        for node in nodes
        if effective[node.entity_id].get(attributes.IS_ANCHOR.attribute_id)
    }
    counts = _product_counts(tx, nodes, anchors, children)

    def node_json(node: sa.Row[Any], current_depth: int) -> dict[str, Any]:
        own = effective[node.entity_id]
        below = [] if depth is not None and depth <= current_depth else children[node.entity_id]
        return {
            "id": node.entity_id,
            "parent_id": node.parent_id,
            "name": own.get(attributes.NAME.attribute_id),
            "is_active": bool(own.get(attributes.IS_ACTIVE.attribute_id)),
            "position": node.position,
            "level": node.level,
            "product_count": counts[node.entity_id],
            "children_data": [node_json(by_id[child], current_depth + 1) for child in below],
        }

    return node_json(root, 0)
