"""Store read services and their REST routes (``/V1/store/...``, ACL ``Magento_Backend::store``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commerce_async.storage import schema
from commerce_async.stores.model import StoreGroup, StoreView, Website
from commerce_async.stores.repository import load_snapshot
from commerce_async.webapi.routes import Param, Route, ServiceContext
from commerce_async.webapi.types import STRING, ArrayType

STORE_RESOURCE = ("Magento_Backend::store",)

CONFIG_DEFAULTS = {
    "general/locale/code": "en_US",
    "currency/options/base": "USD",
    "currency/options/default": "USD",
    "general/locale/timezone": "UTC",
    "general/locale/weight_unit": "lbs",
    "web/unsecure/base_url": "http://127.0.0.1:8080/",
    "web/secure/base_url": "http://127.0.0.1:8080/",
}


def store_view_json(view: StoreView) -> dict[str, Any]:
    return {
        "id": view.store_id,
        "code": view.code,
        "name": view.name,
        "website_id": view.website_id,
        "store_group_id": view.group_id,
        "is_active": view.is_active,
    }


def group_json(group: StoreGroup) -> dict[str, Any]:
    return {
        "id": group.group_id,
        "website_id": group.website_id,
        "root_category_id": group.root_category_id,
        "default_store_id": group.default_store_id,
        "name": group.name,
        "code": group.code,
    }


def website_json(website: Website) -> dict[str, Any]:
    return {
        "id": website.website_id,
        "code": website.code,
        "name": website.name,
        "default_group_id": website.default_group_id,
    }


def list_store_views(ctx: ServiceContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    snapshot = load_snapshot(ctx.tx)
    return [store_view_json(v) for v in sorted(snapshot.stores.values(), key=lambda s: s.store_id)]


def list_groups(ctx: ServiceContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    snapshot = load_snapshot(ctx.tx)
    return [group_json(g) for g in sorted(snapshot.groups.values(), key=lambda g: g.group_id)]


def list_websites(ctx: ServiceContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    snapshot = load_snapshot(ctx.tx)
    return [website_json(w) for w in sorted(snapshot.websites.values(), key=lambda w: w.website_id)]


def config_values(ctx: ServiceContext) -> dict[str, str]:
    values = dict(CONFIG_DEFAULTS)
    rows = ctx.tx.all(
        sa.select(schema.core_config).where(schema.core_config.c.path.in_(list(CONFIG_DEFAULTS)))
    )
    values.update({row.path: row.value for row in rows if row.value is not None})
    return values


def store_configs(ctx: ServiceContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    snapshot = load_snapshot(ctx.tx)
    codes = args.get("storeCodes")
    config = config_values(ctx)
    result = []
    for view in sorted(snapshot.stores.values(), key=lambda s: s.store_id):
        if view.is_admin or (codes and view.code not in codes):
            continue
        base = config["web/unsecure/base_url"]
        secure = config["web/secure/base_url"]
        result.append(
            {
                "id": view.store_id,
                "code": view.code,
                "website_id": view.website_id,
                "locale": config["general/locale/code"],
                "base_currency_code": config["currency/options/base"],
                "default_display_currency_code": config["currency/options/default"],
                "timezone": config["general/locale/timezone"],
                "weight_unit": config["general/locale/weight_unit"],
                "base_url": base,
                "base_link_url": base,
                "base_static_url": f"{base}static/",
                "base_media_url": f"{base}media/",
                "secure_base_url": secure,
                "secure_base_link_url": secure,
                "secure_base_static_url": f"{secure}static/",
                "secure_base_media_url": f"{secure}media/",
            }
        )
    return result


ROUTES = [
    Route(
        "GET",
        "/V1/store/storeViews",
        "Magento\\Store\\Api\\StoreRepositoryInterface",
        "getList",
        STORE_RESOURCE,
        list_store_views,
        implementation="Magento\\Store\\Model\\StoreRepository",
        summary="List store views",
    ),
    Route(
        "GET",
        "/V1/store/storeGroups",
        "Magento\\Store\\Api\\GroupRepositoryInterface",
        "getList",
        STORE_RESOURCE,
        list_groups,
        implementation="Magento\\Store\\Model\\GroupRepository",
        summary="List store groups",
    ),
    Route(
        "GET",
        "/V1/store/websites",
        "Magento\\Store\\Api\\WebsiteRepositoryInterface",
        "getList",
        STORE_RESOURCE,
        list_websites,
        implementation="Magento\\Store\\Model\\WebsiteRepository",
        summary="List websites",
    ),
    Route(
        "GET",
        "/V1/store/storeConfigs",
        "Magento\\Store\\Api\\StoreConfigManagerInterface",
        "getStoreConfigs",
        STORE_RESOURCE,
        store_configs,
        params=(Param("storeCodes", ArrayType(STRING), required=False, source="query"),),
        implementation="Magento\\Store\\Model\\Service\\StoreConfigManager",
        summary="Store configuration of every store view",
    ),
]
