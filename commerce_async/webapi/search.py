"""``searchCriteria``: its declared type, and its execution against a SQLAlchemy select.

Filters inside a group are ORed, groups are ANDed; every condition type of Magento is supported.
Field names are looked up in the list's own ``fields`` mapping: a name that is not there is
refused with 400 before any SQL is built, so no request text ever reaches SQL as an identifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from commerce_async.errors import InputError
from commerce_async.storage.database import Tx
from commerce_async.webapi.types import INT, STRING, ArrayType, Field, ObjectType

MAX_PAGE_SIZE = 10_000

FILTER = ObjectType(
    "framework-filter",
    {
        "field": Field(STRING, required=True),
        "value": Field(STRING),
        "condition_type": Field(STRING),
    },
)
FILTER_GROUP = ObjectType("framework-search-filter-group", {"filters": Field(ArrayType(FILTER))})
SORT_ORDER = ObjectType(
    "framework-sort-order", {"field": Field(STRING), "direction": Field(STRING)}
)


class SearchCriteriaType(ObjectType):
    """``searchCriteria=`` (present but empty) means "no criteria": every row."""

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value == "":
            value = {}
        return super().convert(value, path, errors)


SEARCH_CRITERIA = SearchCriteriaType(
    "framework-search-criteria-interface",
    {
        "filter_groups": Field(ArrayType(FILTER_GROUP)),
        "sort_orders": Field(ArrayType(SORT_ORDER)),
        "page_size": Field(INT),
        "current_page": Field(INT),
    },
)

CustomFilter = Callable[[str, str], ColumnElement[bool]]
Filterable = ColumnElement[Any] | CustomFilter


def _like_pattern_error(value: str) -> None:
    if len(value) > 1024:
        raise InputError("The filter value is too long.")


def _numeric(column: ColumnElement[Any], value: str) -> Any:
    python_type: type | None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = None
    if python_type in (int, float) or isinstance(column.type, (sa.Integer, sa.Numeric, sa.Float)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                'Invalid value of "%value" provided for the %fieldName field.',
                {"value": value, "fieldName": str(getattr(column, "key", "value"))},
            ) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InputError(
                'Invalid value of "%value" provided for the %fieldName field.',
                {"value": value, "fieldName": str(getattr(column, "key", "value"))},
            )
        if python_type is int and number.is_integer() and abs(number) < 2**63:
            return int(number)
        # A float compares correctly with an integer column where an int beyond 64 bits would
        # not even bind.
        return number
    if python_type is bool:
        return value.lower() in ("1", "true")
    return value


def condition(column: ColumnElement[Any], operator: str, value: str | None) -> ColumnElement[bool]:
    """One Magento filter as a SQL condition (values always bound, never inlined)."""
    text = "" if value is None else str(value)
    if operator in ("null",):
        return column.is_(None)
    if operator in ("notnull",):
        return column.is_not(None)
    if operator in ("in", "nin"):
        values = [_numeric(column, part.strip()) for part in text.split(",") if part.strip() != ""]
        clause = column.in_(values)
        return clause if operator == "in" else sa.not_(clause)
    if operator in ("like", "nlike"):
        _like_pattern_error(text)
        clause = sa.cast(column, sa.String).like(text)
        return clause if operator == "like" else sa.not_(clause)
    if operator in ("finset", "nfinset"):
        padded = sa.literal(",") + sa.cast(column, sa.String) + sa.literal(",")
        clause = padded.like(f"%,{text},%")
        return clause if operator == "finset" else sa.not_(clause)
    bound = _numeric(column, text)
    operators = {
        "eq": column == bound,
        "neq": column != bound,
        "gt": column > bound,
        "gteq": column >= bound,
        "moreq": column >= bound,
        "from": column >= bound,
        "lt": column < bound,
        "lteq": column <= bound,
        "to": column <= bound,
    }
    if operator not in operators:
        raise InputError('Invalid condition type "%1".', [operator])
    return operators[operator]


def _field(fields: Mapping[str, Filterable], name: str | None) -> Filterable:
    if not name or name not in fields:
        raise InputError("Invalid attribute name: %1", [name or ""])
    return fields[name]


def where_clause(
    fields: Mapping[str, Filterable], criteria: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    groups = []
    for group in criteria.get("filter_groups") or []:
        filters = (group or {}).get("filters") or []
        alternatives = []
        for item in filters:
            if not item:
                continue
            target = _field(fields, item.get("field"))
            operator = (item.get("condition_type") or "eq").lower()
            value = item.get("value")
            if callable(target) and not isinstance(target, ColumnElement):
                alternatives.append(target(operator, "" if value is None else value))
            else:
                alternatives.append(condition(target, operator, value))
        if alternatives:
            groups.append(sa.or_(*alternatives))
    return sa.and_(*groups) if groups else None


def paging(criteria: Mapping[str, Any]) -> tuple[int | None, int]:
    page_size = criteria.get("page_size")
    current_page = criteria.get("current_page") or 1
    if page_size is not None and page_size < 0:
        raise InputError("The pageSize value is invalid: %1", [page_size])
    if page_size is not None and page_size > MAX_PAGE_SIZE:
        raise InputError("Maximum SearchCriteria pageSize is %1", [MAX_PAGE_SIZE])
    if current_page < 1:
        current_page = 1
    if current_page > 10_000_000:
        raise InputError("The currentPage value is invalid: %1", [current_page])
    return (page_size or None), current_page


def order_by(
    fields: Mapping[str, Filterable], criteria: Mapping[str, Any]
) -> list[ColumnElement[Any]]:
    clauses = []
    for sort in criteria.get("sort_orders") or []:
        if not sort:
            continue
        target = _field(fields, sort.get("field"))
        if not isinstance(target, ColumnElement):
            raise InputError("Sorting by %1 is not supported.", [sort.get("field")])
        direction = (sort.get("direction") or "DESC").upper()
        if direction not in ("ASC", "DESC"):
            raise InputError('The "%1" sort direction is invalid.', [sort.get("direction")])
        clauses.append(target.asc() if direction == "ASC" else target.desc())
    return clauses


def echo(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The ``search_criteria`` member of the answer: the parsed request, only the keys set."""
    return {key: value for key, value in criteria.items() if value is not None}


def run(
    tx: Tx,
    select: sa.Select[Any],
    fields: Mapping[str, Filterable],
    criteria: Mapping[str, Any],
    to_item: Callable[[Any], Any],
    *,
    default_order: list[ColumnElement[Any]] | None = None,
    load_items: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """Filter, count, sort and page ``select``; return Magento's search-result envelope."""
    where = where_clause(fields, criteria)
    if where is not None:
        select = select.where(where)
    total = tx.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    ordering = order_by(fields, criteria) or default_order or []
    page_size, current_page = paging(criteria)
    query = select.order_by(*ordering)
    if page_size:
        query = query.limit(page_size).offset((current_page - 1) * page_size)
    rows = tx.all(query)
    items = load_items(rows) if load_items else [to_item(row) for row in rows]
    return {"items": items, "search_criteria": echo(criteria), "total_count": int(total or 0)}
