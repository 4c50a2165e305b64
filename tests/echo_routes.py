"""A small route table for testing the web edge and the async machinery on their own.

The handlers echo what they receive, so tests can pin exactly what the edge hands a service.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commerce_async.errors import InputError, NotFound, TemporaryError
from commerce_async.storage import schema
from commerce_async.webapi import search
from commerce_async.webapi.routes import ANONYMOUS, Param, Route, ServiceContext
from commerce_async.webapi.types import (
    BOOL,
    FLOAT,
    INT,
    STRING,
    ArrayType,
    Field,
    ObjectType,
)

RESOURCE = "Tests_Echo::items"
SERVICE = "Tests\\Echo\\Api\\ItemRepositoryInterface"
IMPLEMENTATION = "Tests\\Echo\\Model\\ItemRepository"

DIMENSIONS = ObjectType("tests-echo-dimensions", {"width": Field(FLOAT), "height": Field(FLOAT)})
ITEM = ObjectType(
    "tests-echo-item",
    {
        "sku": Field(STRING),
        "name": Field(STRING),
        "price": Field(FLOAT),
        "qty": Field(INT),
        "is_active": Field(BOOL),
        "tags": Field(ArrayType(STRING)),
        "dimensions": Field(DIMENSIONS),
    },
)

# Transient failures left per sku (tests set it; the handler consumes it).
TRANSIENT_FAILURES: dict[str, int] = {}


def save(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    item = args["item"]
    sku = item.get("sku")
    if sku == "missing":
        raise NotFound('The item with SKU "%1" does not exist.', [sku])
    if sku == "boom":
        raise RuntimeError("the handler broke")
    if TRANSIENT_FAILURES.get(sku or "", 0) > 0:
        TRANSIENT_FAILURES[sku] -= 1
        raise TemporaryError("Database lock wait timeout exceeded")
    return {"item": item, "store": ctx.store.code, "user_type": ctx.user.user_type}


def get(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"sku": args["sku"], "store": ctx.store.code}


def delete(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    if args["sku"] == "missing":
        raise NotFound('The item with SKU "%1" does not exist.', [args["sku"]])
    return True


def list_stores(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    store = schema.store
    return search.run(
        ctx.tx,
        sa.select(store),
        {"code": store.c.code, "name": store.c.name, "store_id": store.c.store_id},
        args["searchCriteria"],
        lambda row: {"id": row.store_id, "code": row.code},
        default_order=[store.c.store_id.asc()],
    )


def searched(ctx: ServiceContext, args: dict[str, Any]) -> str:
    return "literal segment"


def check_price(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    raise InputError("Price %1 is too low.", [args.get("price")])


ROUTES = [
    Route(
        "POST",
        "/V1/echo/items",
        SERVICE,
        "save",
        (RESOURCE,),
        save,
        params=(Param("item", ITEM), Param("saveOptions", BOOL, required=False)),
        implementation=IMPLEMENTATION,
    ),
    Route(
        "PUT",
        "/V1/echo/items/:sku",
        SERVICE,
        "save",
        (RESOURCE,),
        save,
        params=(Param("item", ITEM), Param("saveOptions", BOOL, required=False)),
        implementation=IMPLEMENTATION,
        bulk_alias="/V1/echo/items",
    ),
    Route("GET", "/V1/echo/items/search", SERVICE, "search", (RESOURCE,), searched),
    Route(
        "GET",
        "/V1/echo/items/:sku",
        SERVICE,
        "get",
        (RESOURCE,),
        get,
        params=(Param("sku", STRING, source="path"),),
    ),
    Route(
        "DELETE",
        "/V1/echo/items/:sku",
        SERVICE,
        "deleteById",
        (RESOURCE,),
        delete,
        params=(Param("sku", STRING, source="path"),),
        implementation=IMPLEMENTATION,
    ),
    Route(
        "GET",
        "/V1/echo/stores",
        SERVICE,
        "getList",
        (ANONYMOUS,),
        list_stores,
        params=(Param("searchCriteria", search.SEARCH_CRITERIA, source="query"),),
    ),
    Route(
        "POST",
        "/V1/echo/prices/check",
        SERVICE,
        "checkPrice",
        (ANONYMOUS,),
        check_price,
        params=(Param("price", FLOAT),),
        implementation=IMPLEMENTATION,
    ),
]


def all_routes() -> list[Route]:
    from commerce_async.bootstrap import collect_routes

    return collect_routes() + ROUTES
