"""Product save, read and delete: the handlers behind ``/V1/products``.

``save`` is Magento's upsert: the SKU (case-insensitive) finds the product; if none exists it is
created with every value at store 0, else the request's fields are merged into it following the
store-scope rules of ``scope``. The answer is the product as the save's store view sees it, built
from what was just written rather than read back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from commerce_async.catalog import attributes, links, repository, scope, urlkey
from commerce_async.catalog.attributes import CATALOGUE, NAME, PRICE, URL_KEY, Attribute
from commerce_async.catalog.types import CATEGORY_IDS
from commerce_async.errors import InputError, NotFound, TemporaryError
from commerce_async.operations.model import utc_text
from commerce_async.storage.database import Tx
from commerce_async.stores.model import StoreView
from commerce_async.webapi.routes import ServiceContext

ATTRIBUTE_EMPTY = 'The "%1" attribute value is empty. Set the attribute and try again.'
SKU_TOO_LONG = "SKU length should be %1 characters maximum."
INVALID_PRODUCT_DATA = "Invalid product data: %1"
INVALID_FIELD_VALUE = 'Invalid value of "%value" provided for the %fieldName field.'
NOT_FOUND_24 = "The product that was requested doesn't exist. Verify the product and try again."
NOT_FOUND_DEVELOP = 'The product with SKU "%1" does not exist.'
STORE_NOT_FOUND = "The store that was requested wasn't found. Verify the store and try again."
WEBSITE_NOT_FOUND = (
    "The website with id %1 that was requested wasn't found. Verify the website and try again."
)
CATEGORY_NOT_FOUND = 'Could not save product "%1" with position %2 to category %3'
UNABLE_TO_SAVE = "The product was unable to be saved. Please try again."
NOT_STORED = 'The "%1" field is not supported yet: only an empty list is accepted.'

SKU_MAX_LENGTH = 64
PRODUCT_TYPES = ("simple", "virtual")
DEFAULT_ATTRIBUTE_SET = 4
ATTRIBUTE_SETS = frozenset({DEFAULT_ATTRIBUTE_SET})
PRICE_SCOPE_PATH = "catalog/price/scope"
_LIST_FIELDS = ("product_links", "options", "media_gallery_entries", "tier_prices")


@dataclass
class Product:
    """A product as one store view sees it: its store-0 values and that view's own values."""

    entity_id: int
    sku: str
    attribute_set_id: int
    type_id: str
    created_at: str
    updated_at: str
    defaults: dict[int, Any]
    overrides: dict[int, Any] = field(default_factory=dict)
    website_ids: list[int] = field(default_factory=list)
    category_links: list[tuple[int, int]] = field(default_factory=list)
    stock: dict[str, Any] = field(default_factory=lambda: dict(repository.STOCK_DEFAULTS))


def not_found(ctx: ServiceContext, sku: str) -> NotFound:
    """The 404 of an unknown SKU, in the wording chosen by ``product_not_found_message``."""
    if ctx.services.settings.product_not_found_message == "develop":
        return NotFound(NOT_FOUND_DEVELOP, [sku])
    return NotFound(NOT_FOUND_24)


# --- handlers -------------------------------------------------------------------------------------


def save(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /V1/products`` and ``PUT /V1/products/:sku``: create or update by SKU."""
    data = args["product"]
    sku = _checked_sku(data.get("sku"))
    row = repository.find_entity(ctx.tx, sku)
    product = _create(ctx, sku, data) if row is None else _update(ctx, row, data)
    return to_json(product)


def patch(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /V1/products/:sku`` (extension): update the given fields of an existing product."""
    sku = args["sku"]
    row = repository.find_entity(ctx.tx, sku)
    if row is None:
        raise not_found(ctx, sku)
    return to_json(_update(ctx, row, args["product"]))


def get(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /V1/products/:sku``: values as the URL's store view (or ``storeId``) sees them."""
    store = ctx.store
    store_id = args.get("storeId")
    if store_id is not None:
        found = ctx.services.stores.snapshot.stores.get(store_id)
        if found is None:
            raise NotFound(STORE_NOT_FOUND)
        store = found
    row = repository.find_entity(ctx.tx, args["sku"])
    if row is None:
        raise not_found(ctx, args["sku"])
    return to_json(load_products(ctx.tx, [row], store.store_id)[0])


def delete(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``DELETE /V1/products/:sku``: removes the product in every store."""
    entity_id = repository.entity_id_by_sku(ctx.tx, args["sku"])
    if entity_id is None:
        raise not_found(ctx, args["sku"])
    repository.delete_entity(ctx.tx, entity_id)
    return True


# --- reading --------------------------------------------------------------------------------------


def load_products(tx: Tx, rows: list[Any], store_id: int) -> list[Product]:
    """Products for entity rows (``repository`` selects), in store view ``store_id``: four
    queries whatever the number of rows."""
    ids = [row.entity_id for row in rows]
    values = repository.load_values(tx, ids, (0, store_id))
    websites = repository.load_websites(tx, ids)
    category_links = repository.load_category_links(tx, ids)
    products = []
    for row in rows:
        levels = values.get(row.entity_id, {})
        products.append(
            Product(
                entity_id=row.entity_id,
                sku=row.sku,
                attribute_set_id=row.attribute_set_id,
                type_id=row.type_id,
                created_at=row.created_at,
                updated_at=row.updated_at,
                defaults=dict(levels.get(0, {})),
                overrides=dict(levels.get(store_id, {})) if store_id else {},
                website_ids=list(websites.get(row.entity_id, [])),
                category_links=list(category_links.get(row.entity_id, [])),
                stock=repository.stock_of(row),
            )
        )
    return products


def to_json(product: Product) -> dict[str, Any]:
    """Magento's product JSON (``catalog-data-product-interface``); unset fields are left out."""
    values = {**product.defaults, **product.overrides}
    result: dict[str, Any] = {"id": product.entity_id, "sku": product.sku}
    top = {a.code: values.get(a.attribute_id) for a in attributes.TOP_LEVEL}

    def put(code: str) -> None:
        if top[code] is not None:
            result[code] = attributes.as_json(attributes.BY_CODE[code], top[code])

    put("name")
    result["attribute_set_id"] = product.attribute_set_id
    put("price")
    put("status")
    put("visibility")
    result["type_id"] = product.type_id
    result["created_at"] = product.created_at
    result["updated_at"] = product.updated_at
    put("weight")
    extension: dict[str, Any] = {"website_ids": product.website_ids}
    if product.category_links:
        extension["category_links"] = [
            {"position": position, "category_id": str(category)}
            for category, position in product.category_links
        ]
    extension["stock_item"] = stock_json(product.entity_id, product.stock)
    result["extension_attributes"] = extension
    for name in _LIST_FIELDS:
        result[name] = []
    custom = [
        {"attribute_code": a.code, "value": attributes.as_text(a, values[a.attribute_id])}
        for a in CATALOGUE
        if not a.top_level and values.get(a.attribute_id) is not None
    ]
    if product.category_links:
        custom.append(
            {
                "attribute_code": "category_ids",
                "value": [str(category) for category, _ in product.category_links],
            }
        )
    result["custom_attributes"] = custom
    return result


def stock_json(product_id: int, stock: dict[str, Any]) -> dict[str, Any]:
    """Magento's legacy stock item; fields not stored show their configuration defaults."""
    return {
        "item_id": product_id,
        "product_id": product_id,
        "stock_id": 1,
        "qty": stock["qty"],
        "is_in_stock": stock["is_in_stock"],
        "is_qty_decimal": stock["is_qty_decimal"],
        "show_default_notification_message": False,
        "use_config_min_qty": True,
        "min_qty": 0.0,
        "use_config_min_sale_qty": stock["use_config_min_sale_qty"],
        "min_sale_qty": stock["min_sale_qty"],
        "use_config_max_sale_qty": stock["use_config_max_sale_qty"],
        "max_sale_qty": stock["max_sale_qty"],
        "use_config_backorders": stock["use_config_backorders"],
        "backorders": stock["backorders"],
        "use_config_notify_stock_qty": True,
        "notify_stock_qty": 1.0,
        "use_config_qty_increments": True,
        "qty_increments": 0.0,
        "use_config_enable_qty_inc": True,
        "enable_qty_increments": False,
        "use_config_manage_stock": stock["use_config_manage_stock"],
        "manage_stock": stock["manage_stock"],
        "low_stock_date": None,
        "is_decimal_divided": False,
        "stock_status_changed_auto": 0,
    }


# --- creating -------------------------------------------------------------------------------------


def _create(ctx: ServiceContext, sku: str, data: dict[str, Any]) -> Product:
    """Rule 1: a new product's values all land at store 0, whatever the store in the URL."""
    tx = ctx.tx
    _check_lists(data)
    type_id = _type_id(data.get("type_id") or "simple")
    attribute_set_id = _attribute_set(data.get("attribute_set_id"))
    defaults = {a.attribute_id: a.default for a in CATALOGUE if a.default is not None}
    for attribute, new in _changes(data).items():
        if new is None:
            defaults.pop(attribute.attribute_id, None)
        else:
            defaults[attribute.attribute_id] = new
    for required in (NAME, PRICE):
        if defaults.get(required.attribute_id) is None:
            raise InputError(ATTRIBUTE_EMPTY, [required.label])
    key = _url_key(defaults.get(URL_KEY.attribute_id)) or _url_key(defaults[NAME.attribute_id])
    key = key or urlkey.format_url_key(sku)
    defaults[URL_KEY.attribute_id] = key
    urlkey.check_unique(tx, key, None, 0)
    extension = data.get("extension_attributes") or {}
    website_ids = extension.get("website_ids")
    if website_ids is None:
        website_ids = _default_websites(ctx)
    website_ids = _checked_websites(ctx, website_ids)
    category_links = _checked_links(tx, sku, _requested_links(data, []) or [])
    stock = dict(repository.STOCK_DEFAULTS)
    _merge_stock(stock, extension.get("stock_item"))

    now = utc_text(ctx.now)
    try:
        entity_id = repository.insert_entity(tx, sku, attribute_set_id, type_id, now)
    except Exception as error:
        if repository.is_unique_violation(error):
            # A concurrent writer created the same SKU since we looked: trying again updates it.
            raise TemporaryError(UNABLE_TO_SAVE) from error
        raise
    # Every check is done: the new product's rows go in one round trip. Only the URL key can
    # collide (with a concurrent writer); the other rows hang off the new entity.
    with _url_key_taken_meanwhile(), tx.pipelined():
        repository.set_url_key(tx, entity_id, 0, key, fresh=True)
        repository.write_values(
            tx,
            [
                repository.value_row(entity_id, attributes.BY_ID[attribute_id], 0, stored)
                for attribute_id, stored in defaults.items()
            ],
            [],
        )
        repository.replace_websites(tx, entity_id, website_ids, fresh=True)
        repository.write_stock(tx, entity_id, stock)
        if category_links:
            repository.replace_category_links(tx, entity_id, category_links, fresh=True)
    return Product(
        entity_id,
        sku,
        attribute_set_id,
        type_id,
        now,
        now,
        defaults,
        {},
        website_ids,
        category_links,
        stock,
    )


def _default_websites(ctx: ServiceContext) -> list[int]:
    """All websites for ``/rest/all``, else the website of the URL's store view."""
    if ctx.store.is_admin:
        return sorted(w for w in ctx.services.stores.snapshot.websites if w != 0)
    return [ctx.store.website_id]


# --- updating -------------------------------------------------------------------------------------


def _update(ctx: ServiceContext, row: Any, data: dict[str, Any]) -> Product:
    """Rules 2-4: merge the request into the product at the URL's store level."""
    tx = ctx.tx
    _check_lists(data)
    store: StoreView = ctx.store
    store_id = store.store_id
    product = load_products(tx, [row], store_id)[0]
    changes = _changes(data)
    if URL_KEY in changes:
        changes[URL_KEY] = _new_url_key(changes[URL_KEY], product, store_id)
    price_scope_website = _price_scope_website(ctx, changes) if store_id else False
    for required in (NAME, PRICE):
        global_here = required.effective_scope(price_scope_website) == attributes.GLOBAL
        if required in changes and changes[required] is None and (store_id == 0 or global_here):
            raise InputError(ATTRIBUTE_EMPTY, [required.label])
    website_store_ids = [
        view.store_id
        for view in ctx.services.stores.snapshot.store_views_of_website(store.website_id)
    ] or [store_id]
    planned = scope.plan(
        changes,
        product.defaults,
        product.overrides,
        store_id,
        website_store_ids,
        price_scope_website,
    )
    _apply_url_keys(tx, product, planned)

    entity_changes: dict[str, Any] = {"updated_at": utc_text(ctx.now)}
    if data.get("type_id") is not None:
        entity_changes["type_id"] = product.type_id = _type_id(data["type_id"])
    if data.get("attribute_set_id") is not None:
        entity_changes["attribute_set_id"] = product.attribute_set_id = _attribute_set(
            data["attribute_set_id"]
        )
    product.updated_at = entity_changes["updated_at"]
    extension = data.get("extension_attributes") or {}
    website_ids = extension.get("website_ids")
    if website_ids is not None:
        product.website_ids = _checked_websites(ctx, website_ids)
    requested = _requested_links(data, product.category_links)
    if requested is not None:
        product.category_links = _checked_links(tx, product.sku, requested)
    stock_item = extension.get("stock_item")
    if stock_item is not None:
        _merge_stock(product.stock, stock_item)

    # Every check is done: the writes go in one round trip.
    with tx.pipelined():
        _write_planned_values(tx, product, planned)
        repository.update_entity(tx, product.entity_id, **entity_changes)
        if website_ids is not None:
            repository.replace_websites(tx, product.entity_id, product.website_ids, fresh=False)
        if requested is not None:
            repository.replace_category_links(tx, product.entity_id, product.category_links)
        if stock_item is not None:
            repository.write_stock(tx, product.entity_id, product.stock)
    return product


def _apply_url_keys(tx: Tx, product: Product, planned: scope.Plan) -> None:
    """The URL-key part of a plan: each key is checked and written before any other change."""
    entity_id = product.entity_id
    for attribute, store_id, stored in planned.writes:
        if attribute is URL_KEY:
            urlkey.check_unique(tx, stored, entity_id, store_id)
            _set_url_key(tx, entity_id, store_id, stored, fresh=False)
    for attribute, store_id in planned.clears:
        if attribute is URL_KEY:
            # The default key becomes visible in that view again: it must be free there.
            default_key = product.defaults.get(URL_KEY.attribute_id)
            if store_id and default_key:
                urlkey.check_unique(tx, default_key, entity_id, store_id)
            repository.set_url_key(tx, entity_id, store_id, None, fresh=False)


def _write_planned_values(tx: Tx, product: Product, planned: scope.Plan) -> None:
    entity_id = product.entity_id
    repository.write_values(
        tx,
        [
            repository.value_row(entity_id, attribute, store_id, stored)
            for attribute, store_id, stored in planned.writes
        ],
        [(entity_id, attribute.attribute_id, store_id) for attribute, store_id in planned.clears],
    )


def _set_url_key(tx: Tx, entity_id: int, store_id: int, key: str, *, fresh: bool) -> None:
    """Record a checked key; the table's primary key still catches a concurrent writer."""
    with _url_key_taken_meanwhile():
        repository.set_url_key(tx, entity_id, store_id, key, fresh=fresh)


@contextlib.contextmanager
def _url_key_taken_meanwhile() -> Iterator[None]:
    """A unique-key violation in the block is a URL key that a concurrent writer took after
    ``urlkey.check_unique`` passed: answered with the same message as the check."""
    try:
        yield
    except Exception as error:
        if repository.is_unique_violation(error):
            raise InputError(urlkey.URL_KEY_EXISTS) from error
        raise


def _new_url_key(given: Any, product: Product, store_id: int) -> str | None:
    """A given key is formatted; clearing it at store 0 derives it again from the name."""
    if given is not None:
        key = _url_key(given)
        if not key:
            raise InputError(INVALID_FIELD_VALUE, {"value": given, "fieldName": "url_key"})
        return key
    if store_id == 0:
        return _url_key(product.defaults.get(NAME.attribute_id)) or urlkey.format_url_key(
            product.sku
        )
    return None


def _price_scope_website(ctx: ServiceContext, changes: dict[Attribute, Any]) -> bool:
    """Whether price attributes are website-scoped (``catalog/price/scope`` = 1)."""
    if not any(attribute.price for attribute in changes):
        return False
    rows = repository.fetch(
        ctx.tx, "SELECT value FROM core_config WHERE path = ?", (PRICE_SCOPE_PATH,)
    )
    return bool(rows) and str(rows[0][0] or "0").strip() == "1"


# --- input checks ---------------------------------------------------------------------------------


def _checked_sku(raw: Any) -> str:
    sku = (raw or "").strip() if isinstance(raw, str) else ""
    if not sku:
        raise InputError(ATTRIBUTE_EMPTY, ["sku"])
    if len(sku) > SKU_MAX_LENGTH:
        raise InputError(SKU_TOO_LONG, [SKU_MAX_LENGTH])
    return sku


def _changes(data: dict[str, Any]) -> dict[Attribute, Any]:
    """Attribute values of the request: ``custom_attributes``, then top-level fields (which win
    over the same code in ``custom_attributes``)."""
    changes: dict[Attribute, Any] = {}
    for code, stored in (data.get("custom_attributes") or {}).items():
        if code != CATEGORY_IDS:
            changes[attributes.BY_CODE[code]] = stored
    for attribute in attributes.TOP_LEVEL:
        if attribute.code in data:
            changes[attribute] = data[attribute.code]
    return changes


def _url_key(text: Any) -> str:
    return urlkey.format_url_key(str(text)) if text else ""


def _type_id(type_id: str) -> str:
    if type_id not in PRODUCT_TYPES:
        raise InputError(INVALID_FIELD_VALUE, {"value": type_id, "fieldName": "type_id"})
    return type_id


def _attribute_set(attribute_set_id: int | None) -> int:
    if attribute_set_id is None:
        return DEFAULT_ATTRIBUTE_SET
    if attribute_set_id not in ATTRIBUTE_SETS:
        raise InputError(INVALID_PRODUCT_DATA, ["Invalid attribute set entity type"])
    return attribute_set_id


def _check_lists(data: dict[str, Any]) -> None:
    for name in _LIST_FIELDS:
        if data.get(name):
            raise InputError(NOT_STORED, [name])


def _checked_websites(ctx: ServiceContext, website_ids: list[int | None]) -> list[int]:
    known = ctx.services.stores.snapshot.websites
    result = sorted({website_id for website_id in website_ids if website_id is not None})
    for website_id in result:
        if website_id == 0 or website_id not in known:
            raise InputError(WEBSITE_NOT_FOUND, [website_id])
    return result


def _requested_links(
    data: dict[str, Any], current: list[tuple[int, int]]
) -> list[dict[str, Any] | None] | None:
    """The links a save asks for: ``category_links``, else the ``category_ids`` custom
    attribute (categories kept keep their position, new ones get 0); None: leave them."""
    links = (data.get("extension_attributes") or {}).get("category_links")
    if links is not None:
        return links
    ids = (data.get("custom_attributes") or {}).get(CATEGORY_IDS)
    if ids is None:
        return None
    positions = dict(current)
    return [{"category_id": i, "position": positions.get(int(i), 0)} for i in ids]


def _checked_links(tx: Tx, sku: str, items: list[dict[str, Any] | None]) -> list[tuple[int, int]]:
    pairs: dict[int, int] = {}
    for item in items:
        if not item:
            continue
        raw = item.get("category_id")
        position = item.get("position") or 0
        try:
            category_id = int(str(raw).strip())
        except ValueError:
            raise InputError(
                INVALID_FIELD_VALUE, {"value": raw, "fieldName": "category_id"}
            ) from None
        pairs[category_id] = position
    missing = links.missing_categories(tx, pairs)
    if missing:
        category_id = min(missing)
        raise InputError(CATEGORY_NOT_FOUND, [sku, pairs[category_id], category_id])
    return sorted(pairs.items())


def _merge_stock(stock: dict[str, Any], given: dict[str, Any] | None) -> None:
    for name, new in (given or {}).items():
        if name in repository.STOCK_DEFAULTS and new is not None:
            stock[name] = type(repository.STOCK_DEFAULTS[name])(new)
