"""``GET /V1/products?searchCriteria...``: filtering, sorting and paging products.

Only whitelisted fields can be filtered or sorted (anything else: 400 ``Invalid attribute name``).
Attribute values are those of the URL's store view. Every attribute filter is an index-driven
``entity_id IN (...)`` on ``catalog_product_value(attribute_id, store_id, value, entity_id)``;
when the store view overrides some products' values, the filter takes the view's matching rows
plus the store-0 matches of products it does not override. When no product is overridden for an
attribute in that view (checked with one index probe), only store 0 is consulted. Groups that each
hold one filter on the same attribute (``from`` and ``to`` of a range) become one index range.
Sorting by a required attribute (name, price) that the view does not override walks the same
index in order and stops at the end of the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from commerce_async.catalog import attributes, repository, service
from commerce_async.errors import InputError
from commerce_async.storage.database import Tx
from commerce_async.webapi import search
from commerce_async.webapi.routes import ServiceContext

entity = repository.entity
value = repository.value

STATIC_FIELDS: dict[str, ColumnElement[Any]] = {
    "id": entity.c.entity_id,
    "entity_id": entity.c.entity_id,
    "attribute_set_id": entity.c.attribute_set_id,
    "type_id": entity.c.type_id,
    "created_at": entity.c.created_at,
    "updated_at": entity.c.updated_at,
}


def get_list(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    criteria = args["searchCriteria"] or {}
    store_id = ctx.store.store_id
    planner = _Planner(ctx.tx, store_id)
    where = planner.where(criteria)
    page_size, current_page = search.paging(criteria)
    count = sa.select(sa.func.count()).select_from(entity)
    if where is not None:
        count = count.where(where)
    total = int(ctx.tx.scalar(count) or 0)
    merged = planner.merged_sort(criteria) if page_size else None
    if merged is not None:
        offset = (current_page - 1) * (page_size or 0)
        ids = planner.merged_page(where, *merged, offset, page_size or 0)
        rows = repository.ENTITY_SELECT.where(entity.c.entity_id.in_(ids))
        order = {entity_id: index for index, entity_id in enumerate(ids)}
        found = sorted(ctx.tx.all(rows), key=lambda row: order[row.entity_id])
    else:
        query, ordering = planner.order(repository.ENTITY_SELECT, criteria)
        if where is not None:
            query = query.where(where)
        # With a filter, "+ 0" keeps SQLite from walking the whole table in id order hoping to
        # fill the page early; it uses the filter's index and sorts what matched.
        tie_break = entity.c.entity_id + 0 if where is not None else entity.c.entity_id
        query = query.order_by(*ordering, tie_break)
        if page_size:
            query = query.limit(page_size).offset((current_page - 1) * page_size)
        found = ctx.tx.all(query)
    items = [service.to_json(p) for p in service.load_products(ctx.tx, found, store_id)]
    return {"items": items, "search_criteria": search.echo(criteria), "total_count": total}


LINK_FIELDS = {
    "category_id": (repository.category_product.c.category_id, repository.category_product),
    "website_id": (repository.website.c.website_id, repository.website),
}
_PRESENCE = ("null", "notnull")


class _Planner:
    """Turns one request's criteria into SQL for the products of one store view."""

    def __init__(self, tx: Tx, store_id: int) -> None:
        self.tx = tx
        self.store_id = store_id
        self._overridden: dict[int, bool] = {}

    # --- filters ----------------------------------------------------------------------------------

    def where(self, criteria: Mapping[str, Any]) -> ColumnElement[bool] | None:
        clauses: list[ColumnElement[bool]] = []
        ranges: dict[str, list[tuple[str, Any]]] = {}
        for group in criteria.get("filter_groups") or []:
            items = [item for item in (group or {}).get("filters") or [] if item]
            if not items:
                continue
            if len(items) == 1 and items[0].get("field") in attributes.BY_CODE:
                operator = (items[0].get("condition_type") or "eq").lower()
                if operator not in _PRESENCE:
                    ranges.setdefault(items[0]["field"], []).append(
                        (operator, items[0].get("value"))
                    )
                    continue
            clauses.append(sa.or_(*(self.filter(item) for item in items)))
        for code, conditions in ranges.items():
            clauses.append(self.attribute_condition(attributes.BY_CODE[code], conditions))
        return sa.and_(*clauses) if clauses else None

    def filter(self, item: Mapping[str, Any]) -> ColumnElement[bool]:
        name = item.get("field") or ""
        operator = (item.get("condition_type") or "eq").lower()
        raw = item.get("value")
        if name in STATIC_FIELDS:
            return search.condition(STATIC_FIELDS[name], operator, raw)
        if name == "sku":
            return self.sku_condition(operator, raw)
        if name in LINK_FIELDS:
            return _link_condition(name, operator, raw)
        attribute = attributes.BY_CODE.get(name)
        if attribute is None:
            raise InputError("Invalid attribute name: %1", [name])
        if operator in _PRESENCE:
            return self.presence(attribute, operator == "notnull")
        return self.attribute_condition(attribute, [(operator, raw)])

    def overridden(self, attribute_id: int) -> bool:
        """Whether the store view overrides this attribute for any product (one index probe)."""
        if self.store_id == 0:
            return False
        if attribute_id not in self._overridden:
            probe = (
                sa.select(value.c.entity_id)
                .where(value.c.attribute_id == attribute_id, value.c.store_id == self.store_id)
                .limit(1)
            )
            self._overridden[attribute_id] = self.tx.first(probe) is not None
        return self._overridden[attribute_id]

    def presence(self, attribute: attributes.Attribute, wanted: bool) -> ColumnElement[bool]:
        levels = [0, self.store_id] if self.overridden(attribute.attribute_id) else [0]
        present = entity.c.entity_id.in_(
            sa.select(value.c.entity_id).where(
                value.c.attribute_id == attribute.attribute_id, value.c.store_id.in_(levels)
            )
        )
        return present if wanted else sa.not_(present)

    def attribute_condition(
        self, attribute: attributes.Attribute, conditions: list[tuple[str, Any]]
    ) -> ColumnElement[bool]:
        """Products whose value in the view meets every condition."""
        attribute_id = attribute.attribute_id

        def rows(alias: Any, level: int) -> sa.Select[Any]:
            return sa.select(alias.c.entity_id).where(
                alias.c.attribute_id == attribute_id,
                alias.c.store_id == level,
                *(
                    self.compare(alias.c[attribute.column], operator, raw, attribute.code)
                    for operator, raw in conditions
                ),
            )

        own = value.alias("own")
        matching = rows(own, 0)
        if self.overridden(attribute_id):
            # The view's matching rows, plus the store-0 matches of products it does not
            # override: both halves are index range scans, and the outer query seeks by id.
            shadow = value.alias("shadow")
            not_overridden = ~sa.exists().where(
                shadow.c.entity_id == own.c.entity_id,
                shadow.c.attribute_id == attribute_id,
                shadow.c.store_id == self.store_id,
            )
            matching = sa.union_all(
                rows(value.alias("view"), self.store_id), matching.where(not_overridden)
            )
        return entity.c.entity_id.in_(matching)

    def compare(
        self, column: ColumnElement[Any], operator: str, raw: Any, code: str
    ) -> ColumnElement[bool]:
        """``search.condition``, except that ``like`` is case-insensitive on every database
        and leaves the column bare (so SQLite can use an index), and errors name the
        attribute rather than the storage column."""
        if operator in ("like", "nlike") and isinstance(column.type, sa.String):
            text = "" if raw is None else str(raw)
            if len(text) > 1024:
                raise InputError("The filter value is too long.")
            clause = column.ilike(text) if self.tx.dialect == "postgresql" else column.like(text)
            return clause if operator == "like" else sa.not_(clause)
        try:
            return search.condition(column, operator, raw)
        except InputError as error:
            if isinstance(error.parameters, dict) and "fieldName" in error.parameters:
                error.parameters = {**error.parameters, "fieldName": code}
            raise

    def sku_condition(self, operator: str, raw: Any) -> ColumnElement[bool]:
        """SKUs compare ignoring case (through ``sku_key``); on SQLite a ``like`` with a
        literal prefix also gets a range condition so the unique index serves it."""
        column = entity.c.sku_key
        text = "" if raw is None else str(raw).lower()
        clause = self.compare(column, operator, text, "sku")
        if operator == "like" and self.tx.dialect == "sqlite":
            prefix = _literal_prefix(text)
            if prefix:
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                clause = sa.and_(column >= prefix, column < upper, clause)
        return clause

    # --- sorting ----------------------------------------------------------------------------------

    def order(
        self, query: sa.Select[Any], criteria: Mapping[str, Any]
    ) -> tuple[sa.Select[Any], list[ColumnElement[Any]]]:
        ordering: list[ColumnElement[Any]] = []
        for sort in criteria.get("sort_orders") or []:
            if not sort:
                continue
            name = sort.get("field") or ""
            direction = (sort.get("direction") or "DESC").upper()
            if direction not in ("ASC", "DESC"):
                raise InputError('The "%1" sort direction is invalid.', [sort.get("direction")])
            query, expression = self.sort_expression(query, name)
            ordering.append(expression.asc() if direction == "ASC" else expression.desc())
        return query, ordering

    def sort_expression(
        self, query: sa.Select[Any], name: str
    ) -> tuple[sa.Select[Any], ColumnElement[Any]]:
        if name in STATIC_FIELDS:
            return query, STATIC_FIELDS[name]
        if name == "sku":
            return query, entity.c.sku
        attribute = attributes.BY_CODE.get(name)
        if attribute is None:
            raise InputError("Invalid attribute name: %1", [name])
        if attribute.required and not self.overridden(attribute.attribute_id):
            # Every product has a store-0 row: join it and let the index give the order.
            alias = value.alias(f"sort_{attribute.code}")
            query = query.join(
                alias,
                sa.and_(
                    alias.c.entity_id == entity.c.entity_id,
                    alias.c.attribute_id == attribute.attribute_id,
                    alias.c.store_id == 0,
                ),
            )
            return query, alias.c[attribute.column]
        return query, self.value_at_view(attribute)

    def merged_sort(self, criteria: Mapping[str, Any]) -> tuple[attributes.Attribute, bool] | None:
        """``(attribute, descending)`` when the only sort is by a required attribute that the
        view overrides for some products: such a page is merged from two index walks."""
        sorts = [sort for sort in criteria.get("sort_orders") or [] if sort]
        if len(sorts) != 1:
            return None
        attribute = attributes.BY_CODE.get(sorts[0].get("field") or "")
        direction = (sorts[0].get("direction") or "DESC").upper()
        if (
            attribute is None
            or not attribute.required
            or direction not in ("ASC", "DESC")
            or not self.overridden(attribute.attribute_id)
        ):
            return None
        return attribute, direction == "DESC"

    def merged_page(
        self,
        where: ColumnElement[bool] | None,
        attribute: attributes.Attribute,
        descending: bool,
        offset: int,
        page_size: int,
    ) -> list[int]:
        """Ids of one page ordered by the view's values: the first ``offset + page_size`` of
        the view's own rows and of the store-0 rows it does not override, each read in index
        order, merged (ties by id, as everywhere)."""
        wanted = offset + page_size
        attribute_id = attribute.attribute_id

        def walk(level: int) -> list[Any]:
            alias = value.alias("sorted")
            column = alias.c[attribute.column]
            query = (
                sa.select(alias.c.entity_id, column.label("sort_value"))
                .join(entity, entity.c.entity_id == alias.c.entity_id)
                .where(alias.c.attribute_id == attribute_id, alias.c.store_id == level)
            )
            if level == 0:
                shadow = value.alias("shadow")
                query = query.where(
                    ~sa.exists().where(
                        shadow.c.entity_id == alias.c.entity_id,
                        shadow.c.attribute_id == attribute_id,
                        shadow.c.store_id == self.store_id,
                    )
                )
            if where is not None:
                query = query.where(where)
            ordered = column.desc() if descending else column.asc()
            return self.tx.all(query.order_by(ordered, alias.c.entity_id).limit(wanted))

        rows = sorted(walk(self.store_id) + walk(0), key=lambda row: row.entity_id)
        rows.sort(key=lambda row: row.sort_value, reverse=descending)
        return [row.entity_id for row in rows[offset:wanted]]

    def value_at_view(self, attribute: attributes.Attribute) -> ColumnElement[Any]:
        def at(level: int) -> ColumnElement[Any]:
            alias = value.alias()
            return (
                sa.select(alias.c[attribute.column])
                .where(
                    alias.c.entity_id == entity.c.entity_id,
                    alias.c.attribute_id == attribute.attribute_id,
                    alias.c.store_id == level,
                )
                .scalar_subquery()
            )

        return at(0) if self.store_id == 0 else sa.func.coalesce(at(self.store_id), at(0))


def _literal_prefix(pattern: str) -> str:
    prefix = []
    for char in pattern:
        if char in "%_\\":
            break
        prefix.append(char)
    return "".join(prefix)


def _link_condition(name: str, operator: str, raw: Any) -> ColumnElement[bool]:
    """``category_id`` / ``website_id``: comma lists allowed; ``eq`` behaves as ``in``."""
    key, table = LINK_FIELDS[name]
    try:
        ids = [int(part) for part in str(raw).split(",") if part.strip()]
    except ValueError:
        raise InputError(
            'Invalid value of "%value" provided for the %fieldName field.',
            {"value": str(raw), "fieldName": name},
        ) from None
    members = entity.c.entity_id.in_(sa.select(table.c.product_id).where(key.in_(ids)))
    if operator in ("eq", "in", "finset"):
        return members
    if operator in ("neq", "nin", "nfinset"):
        return sa.not_(members)
    raise InputError('Invalid condition type "%1".', [operator])
