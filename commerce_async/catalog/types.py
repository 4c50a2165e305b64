"""Input types of the product routes, with Magento's conversion rules and messages.

``custom_attributes`` is accepted in its list form ``[{"attribute_code", "value"}]`` and in its map
form ``{"description": "..."}``; every code must be in the attribute catalogue and every value must
fit the attribute's backend type, so a bad item is refused when an asynchronous request is
accepted, not later in the consumer.
"""

from __future__ import annotations

from typing import Any

from commerce_async.catalog import attributes
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

EMPTY_CUSTOM_ATTRIBUTE = (
    "An empty custom attribute is specified. Enter the attribute and try again."
)
MISSING_CODE = (
    "A custom attribute is specified with a missing attribute code. Verify the code and try again."
)
MISSING_VALUE = 'The "%1" attribute code doesn\'t have a value set. Enter the value and try again.'
UNKNOWN_ATTRIBUTE = (
    'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and try again.'
)


CATEGORY_IDS = "category_ids"
"""Not an attribute of the catalogue: the product's categories, as the product JSON shows them.
Sent back, it sets the categories when ``category_links`` is absent."""


class CustomAttributesType(Type):
    """Converts to ``{code: stored value or None}``; None means "clear this value"."""

    openapi_type = "array"

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        pairs: list[tuple[Any, Any]] = []
        if isinstance(value, dict) and not _is_php_list(value):
            pairs = list(value.items())
        else:
            items = list(value.values()) if isinstance(value, dict) else value
            if not isinstance(items, list):
                errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
                return None
            for item in items:
                if not isinstance(item, dict) or not item:
                    errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
                    continue
                code = item.get("attribute_code", item.get("attributeCode"))
                if code in (None, ""):
                    errors.append(InputError(MISSING_CODE))
                    continue
                if "value" not in item:
                    errors.append(InputError(MISSING_VALUE, [code]))
                    continue
                pairs.append((code, item["value"]))
        result: dict[str, Any] = {}
        for code, raw in pairs:
            if code == CATEGORY_IDS:
                result[CATEGORY_IDS] = _category_ids(raw, errors)
                continue
            attribute = attributes.BY_CODE.get(str(code))
            if attribute is None:
                errors.append(InputError(UNKNOWN_ATTRIBUTE, [str(code)]))
                continue
            before = len(errors)
            ANY.convert(raw, code, errors)
            if len(errors) > before:
                continue
            try:
                result[attribute.code] = attributes.convert(attribute, raw)
            except attributes.AttributeValueError as error:
                errors.append(
                    InputError(f'Attribute "{attribute.code}" has invalid value. {error.detail}')
                )
        return result

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": CUSTOM_ATTRIBUTE.to_schema(definitions)}


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


def _is_php_list(value: dict[str, Any]) -> bool:
    """A query-string or PHP-style array ``{"0": {...}, "1": {...}}``."""
    return bool(value) and all(isinstance(key, str) and key.isdigit() for key in value)


class TopLevelAttributeType(Type):
    """A top-level product field that is an EAV attribute (``price``, ``status`` ...): the
    field's own scalar conversion first (Magento's message names the field), then the
    attribute's rules (allowed options)."""

    def __init__(self, attribute: attributes.Attribute, scalar: Type) -> None:
        self.attribute = attribute
        self.scalar = scalar
        self.openapi_type = scalar.openapi_type

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        before = len(errors)
        converted = self.scalar.convert(value, path, errors)
        if len(errors) > before:
            return None
        try:
            return attributes.convert(self.attribute, converted)
        except attributes.AttributeValueError as error:
            errors.append(
                InputError(f'Attribute "{self.attribute.code}" has invalid value. {error.detail}')
            )
            return None


CUSTOM_ATTRIBUTE = ObjectType(
    "framework-attribute-interface",
    {"attribute_code": Field(STRING, required=True), "value": Field(ANY, required=True)},
)

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
    return Field(TopLevelAttributeType(attributes.BY_CODE[code], scalar))


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
        "custom_attributes": Field(CustomAttributesType()),
    },
)
