"""``GET /V1/products?searchCriteria...``: filtering, sorting and paging products.

Only whitelisted fields can be filtered or sorted (anything else: 400 ``Invalid attribute name``).
Attribute values are those of the URL's store view. Every attribute filter is an index-driven
``entity_id IN (...)`` on ``catalog_product_value(attribute_id, store_id, value)``; when the store
view overrides some products' values, the filter takes the view's matching rows plus the store-0
matches of products it does not override. When no product is overridden for an attribute in that
view (checked with one index probe), only store 0 is consulted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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
    filters, sorts = fields(ctx.tx, store_id)
    where = search.where_clause(filters, criteria)
    ordering = search.order_by(sorts, criteria)
    page_size, current_page = search.paging(criteria)
    count = sa.select(sa.func.count()).select_from(entity)
    query = repository.ENTITY_SELECT
    if where is not None:
        count = count.where(where)
        query = query.where(where)
    total = int(ctx.tx.scalar(count) or 0)
    query = query.order_by(*ordering, entity.c.entity_id)
    if page_size:
        query = query.limit(page_size).offset((current_page - 1) * page_size)
    rows = ctx.tx.all(query)
    items = [service.to_json(p) for p in service.load_products(ctx.tx, rows, store_id)]
    return {"items": items, "search_criteria": search.echo(criteria), "total_count": total}


class _Lazy(Mapping[str, Any]):
    """A field mapping whose entries are built when first looked up: a request names two or
    three fields, and building every attribute's expression would cost more than the query."""

    def __init__(self, factories: dict[str, Callable[[], Any]]) -> None:
        self._factories = factories
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._factories[name]()
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)


def fields(tx: Tx, store_id: int) -> tuple[Mapping[str, Any], Mapping[str, ColumnElement[Any]]]:
    """The filterable fields (columns or condition builders) and the sortable expressions."""
    overrides = _OverrideProbe(tx, store_id)
    filters: dict[str, Callable[[], Any]] = {
        name: (lambda column=column: column) for name, column in STATIC_FIELDS.items()
    }
    sorts = dict(filters)
    filters["sku"] = lambda: _sku_filter(tx)
    sorts["sku"] = lambda: entity.c.sku
    for attribute in attributes.CATALOGUE:
        filters[attribute.code] = lambda a=attribute: _attribute_filter(a, store_id, overrides)
        sorts[attribute.code] = lambda a=attribute: _attribute_sort(a, store_id)
    links = repository.category_product
    websites = repository.website
    filters["category_id"] = lambda: _link_filter(links.c.category_id, links.c.product_id)
    filters["website_id"] = lambda: _link_filter(websites.c.website_id, websites.c.product_id)
    return _Lazy(filters), _Lazy(sorts)


def _sku_filter(tx: Tx):
    """SKUs compare ignoring case (through ``sku_key``); on SQLite a ``like`` with a literal
    prefix also gets a range condition so the unique index serves it."""
    column = entity.c.sku_key

    def build(operator: str, raw: Any) -> ColumnElement[bool]:
        text = str(raw).lower()
        clause = search.condition(column, operator, text)
        if operator == "like" and tx.dialect == "sqlite":
            prefix = _literal_prefix(text)
            if prefix:
                upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
                clause = sa.and_(column >= prefix, column < upper, clause)
        return clause

    return build


def _literal_prefix(pattern: str) -> str:
    prefix = []
    for char in pattern:
        if char in "%_\\":
            break
        prefix.append(char)
    return "".join(prefix)


class _OverrideProbe:
    """Whether a store view overrides an attribute for any product (cached per request)."""

    def __init__(self, tx: Tx, store_id: int) -> None:
        self.tx = tx
        self.store_id = store_id
        self._known: dict[int, bool] = {}

    def __call__(self, attribute_id: int) -> bool:
        if self.store_id == 0:
            return False
        if attribute_id not in self._known:
            probe = (
                sa.select(value.c.entity_id)
                .where(value.c.attribute_id == attribute_id, value.c.store_id == self.store_id)
                .limit(1)
            )
            self._known[attribute_id] = self.tx.first(probe) is not None
        return self._known[attribute_id]


def _attribute_filter(attribute: attributes.Attribute, store_id: int, overrides: _OverrideProbe):
    attribute_id = attribute.attribute_id

    def build(operator: str, raw: Any) -> ColumnElement[bool]:
        overridden = overrides(attribute_id)
        levels = [0, store_id] if overridden else [0]
        if operator in ("null", "notnull"):
            present = entity.c.entity_id.in_(
                sa.select(value.c.entity_id).where(
                    value.c.attribute_id == attribute_id, value.c.store_id.in_(levels)
                )
            )
            return sa.not_(present) if operator == "null" else present
        own = value.alias("own")
        matching = sa.select(own.c.entity_id).where(
            own.c.attribute_id == attribute_id,
            own.c.store_id == 0,
            _condition(own.c[attribute.column], operator, raw, attribute.code),
        )
        if overridden:
            # The view's matching rows, plus the store-0 matches of products it does not
            # override: both halves are index range scans, and the outer query seeks by id.
            view = value.alias("view")
            shadow = value.alias("shadow")
            not_overridden = ~sa.exists().where(
                shadow.c.entity_id == own.c.entity_id,
                shadow.c.attribute_id == attribute_id,
                shadow.c.store_id == store_id,
            )
            matching = sa.union_all(
                sa.select(view.c.entity_id).where(
                    view.c.attribute_id == attribute_id,
                    view.c.store_id == store_id,
                    _condition(view.c[attribute.column], operator, raw, attribute.code),
                ),
                matching.where(not_overridden),
            )
        return entity.c.entity_id.in_(matching)

    return build


def _condition(column: ColumnElement[Any], operator: str, raw: Any, code: str) -> Any:
    """``search.condition``, with errors naming the attribute rather than the storage column."""
    try:
        return search.condition(column, operator, raw)
    except InputError as error:
        if isinstance(error.parameters, dict) and "fieldName" in error.parameters:
            error.parameters = {**error.parameters, "fieldName": code}
        raise


def _attribute_sort(attribute: attributes.Attribute, store_id: int) -> ColumnElement[Any]:
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

    return at(0) if store_id == 0 else sa.func.coalesce(at(store_id), at(0))


def _link_filter(key: ColumnElement[Any], product: ColumnElement[Any]):
    """``category_id`` / ``website_id``: comma lists allowed; ``eq`` behaves as ``in``."""

    def build(operator: str, raw: Any) -> ColumnElement[bool]:
        try:
            ids = [int(part) for part in str(raw).split(",") if part.strip()]
        except ValueError:
            raise InputError(
                'Invalid value of "%value" provided for the %fieldName field.',
                {"value": str(raw), "fieldName": key.key},
            ) from None
        members = entity.c.entity_id.in_(sa.select(product).where(key.in_(ids)))
        if operator in ("eq", "in", "finset"):
            return members
        if operator in ("neq", "nin", "nfinset"):
            return sa.not_(members)
        raise InputError('Invalid condition type "%1".', [operator])

    return build
