"""Store hierarchy persistence: the fresh-install rows, creation, and snapshots for the registry."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from commerce_async.errors import InputError, NotFound
from commerce_async.storage import schema
from commerce_async.storage.database import Tx
from commerce_async.stores.model import StoreGroup, StoreSnapshot, StoreView, Website

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESERVED_CODES = {"admin", "all", "async", "schema", "rest", "bulk"}


VERSION_PATH = "stores/version"


def version(tx: Tx) -> str | None:
    """The marker every store change bumps (see ``StoreRegistry``)."""
    return tx.scalar(
        sa.select(schema.core_config.c.value).where(schema.core_config.c.path == VERSION_PATH)
    )


def bump_version(tx: Tx) -> None:
    table = schema.core_config
    current = version(tx)
    if current is None:
        tx.execute(table.insert().values(path=VERSION_PATH, value="1"))
    else:
        tx.execute(
            table.update().where(table.c.path == VERSION_PATH).values(value=str(int(current) + 1))
        )


def load_snapshot(tx: Tx) -> StoreSnapshot:
    websites = {
        row.website_id: Website(
            row.website_id, row.code, row.name, row.default_group_id, row.sort_order, row.is_default
        )
        for row in tx.all(sa.select(schema.store_website))
    }
    groups = {
        row.group_id: StoreGroup(
            row.group_id,
            row.website_id,
            row.code,
            row.name,
            row.root_category_id,
            row.default_store_id,
        )
        for row in tx.all(sa.select(schema.store_group))
    }
    stores = {
        row.store_id: StoreView(
            row.store_id,
            row.code,
            row.name,
            row.website_id,
            row.group_id,
            row.sort_order,
            bool(row.is_active),
        )
        for row in tx.all(sa.select(schema.store))
    }
    return StoreSnapshot(websites, groups, stores, {s.code: s for s in stores.values()})


def is_installed(tx: Tx) -> bool:
    return tx.scalar(sa.select(sa.func.count()).select_from(schema.store)) > 0


def install_defaults(tx: Tx) -> None:
    """The rows of a fresh Magento install: admin website/group/store 0, then base/main/default."""
    tx.execute(
        schema.store_website.insert(),
        [
            {
                "website_id": 0,
                "code": "admin",
                "name": "Admin",
                "sort_order": 0,
                "default_group_id": 0,
                "is_default": False,
            },
            {
                "website_id": 1,
                "code": "base",
                "name": "Main Website",
                "sort_order": 0,
                "default_group_id": 1,
                "is_default": True,
            },
        ],
    )
    tx.execute(
        schema.store_group.insert(),
        [
            {
                "group_id": 0,
                "website_id": 0,
                "code": "default",
                "name": "Default",
                "root_category_id": 0,
                "default_store_id": 0,
            },
            {
                "group_id": 1,
                "website_id": 1,
                "code": "main_website_store",
                "name": "Main Website Store",
                "root_category_id": 2,
                "default_store_id": 1,
            },
        ],
    )
    tx.execute(
        schema.store.insert(),
        [
            {
                "store_id": 0,
                "code": "admin",
                "website_id": 0,
                "group_id": 0,
                "name": "Admin",
                "sort_order": 0,
                "is_active": True,
            },
            {
                "store_id": 1,
                "code": "default",
                "website_id": 1,
                "group_id": 1,
                "name": "Default Store View",
                "sort_order": 0,
                "is_active": True,
            },
        ],
    )
    bump_version(tx)


def _check_code(code: str, kind: str) -> None:
    if not _CODE.match(code) or code in RESERVED_CODES:
        raise InputError(
            'The %kind code "%code" is invalid. Use lowercase letters (a-z), digits (0-9) or '
            "underscore (_), start with a letter, and do not use a reserved code.",
            {"kind": kind, "code": code},
        )


def _next_id(tx: Tx, column: sa.Column[Any]) -> int:
    return int(tx.scalar(sa.select(sa.func.coalesce(sa.func.max(column), 0))) or 0) + 1


def create_website(tx: Tx, code: str, name: str, sort_order: int = 0) -> Website:
    _check_code(code, "website")
    if tx.first(sa.select(schema.store_website).where(schema.store_website.c.code == code)):
        raise InputError('Website with the same code "%1" already exists.', [code])
    website_id = _next_id(tx, schema.store_website.c.website_id)
    tx.execute(
        schema.store_website.insert().values(
            website_id=website_id,
            code=code,
            name=name,
            sort_order=sort_order,
            default_group_id=0,
            is_default=False,
        )
    )
    bump_version(tx)
    return Website(website_id, code, name, 0, sort_order, False)


def create_group(
    tx: Tx, code: str, name: str, website_id: int, root_category_id: int = 2
) -> StoreGroup:
    _check_code(code, "group")
    if (
        not tx.first(
            sa.select(schema.store_website).where(schema.store_website.c.website_id == website_id)
        )
        or website_id == 0
    ):
        raise NotFound(
            "The website with id %1 that was requested wasn't found. Verify the website "
            "and try again.",
            [website_id],
        )
    if tx.first(sa.select(schema.store_group).where(schema.store_group.c.code == code)):
        raise InputError('Group with the same code "%1" already exists.', [code])
    group_id = _next_id(tx, schema.store_group.c.group_id)
    tx.execute(
        schema.store_group.insert().values(
            group_id=group_id,
            website_id=website_id,
            code=code,
            name=name,
            root_category_id=root_category_id,
            default_store_id=0,
        )
    )
    website = schema.store_website
    tx.execute(
        website.update()
        .where(website.c.website_id == website_id, website.c.default_group_id == 0)
        .values(default_group_id=group_id)
    )
    bump_version(tx)
    return StoreGroup(group_id, website_id, code, name, root_category_id, 0)


def create_view(
    tx: Tx, code: str, name: str, group_id: int = 1, sort_order: int = 0, is_active: bool = True
) -> StoreView:
    _check_code(code, "store")
    group = tx.first(sa.select(schema.store_group).where(schema.store_group.c.group_id == group_id))
    if group is None or group_id == 0:
        raise NotFound("The store group with id %1 that was requested wasn't found.", [group_id])
    if tx.first(sa.select(schema.store).where(schema.store.c.code == code)):
        raise InputError('Store with the same code "%1" already exists.', [code])
    store_id = _next_id(tx, schema.store.c.store_id)
    tx.execute(
        schema.store.insert().values(
            store_id=store_id,
            code=code,
            website_id=group.website_id,
            group_id=group_id,
            name=name,
            sort_order=sort_order,
            is_active=is_active,
        )
    )
    if group.default_store_id == 0:
        tx.execute(
            schema.store_group.update()
            .where(schema.store_group.c.group_id == group_id)
            .values(default_store_id=store_id)
        )
    bump_version(tx)
    return StoreView(store_id, code, name, group.website_id, group_id, sort_order, is_active)
