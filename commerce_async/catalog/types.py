"""Input types of the product routes, with Magento's conversion rules and messages.

``custom_attributes`` is read with the rules of ``commerce_async.eav.types`` against the product
attribute catalogue; ``category_ids`` may travel there too.
"""

from __future__ import annotations

from typing import Any

from commerce_async.catalog import attributes
from commerce_async.eav.types import AttributeFieldType, CustomAttributesType
from commerce_async.errors import InputError
from commerce_async.webapi.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STRING,
    ArrayType,
    Field,
    ObjectType,
    Type,
)

CATEGORY_IDS = "category_ids"
"""Not an attribute of the catalogue: the product's categories, as the product JSON shows them.
Sent back, it sets the categories when ``category_links`` is absent."""


class ProductCustomAttributesType(CustomAttributesType):
    """Converts to ``{code: stored value or None}``; None means "clear this value"."""

    def convert_item(
        self, code: str, raw: Any, result: dict[str, Any], errors: list[InputError]
    ) -> None:
        if code == CATEGORY_IDS:
            result[CATEGORY_IDS] = _category_ids(raw, errors)
        else:
            super().convert_item(code, raw, result, errors)


def _category_ids(raw: Any, errors: list[InputError]) -> list[str] | None:
    """``category_ids`` as Magento shows it (``["11", "12"]``) or as a comma list."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    result = []
    for item in items:
        text = str(item).strip()
        if not text.isdigit():
            errors.append(
                InputError(
                    'Invalid value of "%value" provided for the %fieldName field.',
                    {"value": text, "fieldName": CATEGORY_IDS},
                )
            )
            return None
        result.append(text)
    return result


CATEGORY_LINK = ObjectType(
    "catalog-data-category-link-interface",
    {
        "position": Field(INT),
        "category_id": Field(STRING, required=True),
        "extension_attributes": Field(ObjectType("catalog-data-category-link-extension", {})),
    },
)

_STOCK_SHOWN = {
    "show_default_notification_message": BOOL,
    "use_config_min_qty": BOOL,
    "min_qty": FLOAT,
    "use_config_notify_stock_qty": BOOL,
    "notify_stock_qty": FLOAT,
    "use_config_qty_increments": BOOL,
    "qty_increments": FLOAT,
    "use_config_enable_qty_inc": BOOL,
    "enable_qty_increments": BOOL,
    "low_stock_date": STRING,
    "is_decimal_divided": BOOL,
    "stock_status_changed_auto": INT,
}

STOCK_ITEM = ObjectType(
    "catalog-inventory-data-stock-item-interface",
    {
        "item_id": Field(INT),
        "product_id": Field(INT),
        "stock_id": Field(INT),
        "qty": Field(FLOAT),
        "is_in_stock": Field(BOOL),
        "is_qty_decimal": Field(BOOL),
        "manage_stock": Field(BOOL),
        "use_config_manage_stock": Field(BOOL),
        "min_sale_qty": Field(FLOAT),
        "use_config_min_sale_qty": Field(BOOL),
        "max_sale_qty": Field(FLOAT),
        "use_config_max_sale_qty": Field(BOOL),
        "backorders": Field(INT),
        "use_config_backorders": Field(BOOL),
        **{
            name: Field(kind, description="Shown, not stored.")
            for name, kind in _STOCK_SHOWN.items()
        },
    },
    description="Stored: qty, is_in_stock, is_qty_decimal, the sale quantity limits, backorders "
    "and manage_stock with their use_config flags; the other fields are accepted (so that a "
    "product read can be sent back) and shown with their configuration defaults.",
)

PRODUCT_EXTENSION = ObjectType(
    "catalog-data-product-extension-interface",
    {
        "website_ids": Field(ArrayType(INT)),
        "category_links": Field(ArrayType(CATEGORY_LINK)),
        "stock_item": Field(STOCK_ITEM),
    },
)

_NOT_STORED = "Accepted for compatibility; only an empty list is supported."


def _top(code: str, scalar: Type) -> Field:
    return Field(AttributeFieldType(attributes.BY_CODE[code], scalar))


PRODUCT = ObjectType(
    "catalog-data-product-interface",
    {
        "id": Field(INT, description="Read-only: ignored on save (the SKU identifies)."),
        "sku": Field(STRING, required=True),
        "name": _top("name", STRING),
        "attribute_set_id": Field(INT),
        "price": _top("price", FLOAT),
        "status": _top("status", INT),
        "visibility": _top("visibility", INT),
        "type_id": Field(STRING),
        "created_at": Field(STRING, description="Read-only."),
        "updated_at": Field(STRING, description="Read-only."),
        "weight": _top("weight", FLOAT),
        "extension_attributes": Field(PRODUCT_EXTENSION),
        "product_links": Field(ArrayType(ANY), description=_NOT_STORED),
        "options": Field(ArrayType(ANY), description=_NOT_STORED),
        "media_gallery_entries": Field(ArrayType(ANY), description=_NOT_STORED),
        "tier_prices": Field(ArrayType(ANY), description=_NOT_STORED),
        "custom_attributes": Field(ProductCustomAttributesType(attributes.BY_CODE)),
    },
)
