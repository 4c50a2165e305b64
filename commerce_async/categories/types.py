"""Input types of the category routes, with Magento's conversion rules and messages.

``custom_attributes`` is accepted in its list form ``[{"attribute_code", "value"}]`` and in its map
form ``{"description": "..."}``. Every code must be a category attribute (the codes Magento
computes itself, such as ``path`` or ``url_path``, are accepted and ignored) and every value must
fit the attribute's type, so a bad item is refused when an asynchronous request is accepted.
"""

from __future__ import annotations

from typing import Any

from commerce_async.catalog import attributes as catalog_attributes
from commerce_async.catalog.types import (
    CUSTOM_ATTRIBUTE,
    EMPTY_CUSTOM_ATTRIBUTE,
    MISSING_CODE,
    MISSING_VALUE,
    UNKNOWN_ATTRIBUTE,
)
from commerce_async.categories import attributes
from commerce_async.errors import InputError
from commerce_async.webapi.types import (
    ANY,
    BOOL,
    INT,
    STRING,
    ArrayType,
    Field,
    ObjectType,
    Type,
)


def _invalid(code: str, detail: str) -> InputError:
    return InputError(f'Attribute "{code}" has invalid value. {detail}')


def convert_value(attribute: catalog_attributes.Attribute, raw: Any, errors: list[InputError]):
    """The stored form of one value, or None with an error appended."""
    try:
        return catalog_attributes.convert(attribute, raw)
    except catalog_attributes.AttributeValueError as error:
        errors.append(_invalid(attribute.code, error.detail))
        return None


class CategoryCustomAttributesType(Type):
    """Converts to ``{code: stored value or None}``; None means "no value here"."""

    openapi_type = "array"

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        result: dict[str, Any] = {}
        for code, raw in _pairs(value, errors):
            if code in attributes.DERIVED_CODES:
                continue
            attribute = attributes.BY_CODE.get(code)
            if attribute is None:
                errors.append(InputError(UNKNOWN_ATTRIBUTE, [code]))
                continue
            before = len(errors)
            ANY.convert(raw, code, errors)
            if len(errors) == before:
                if attribute is attributes.AVAILABLE_SORT_BY:
                    result[code] = _sort_by(raw, errors)
                else:
                    result[code] = convert_value(attribute, raw, errors)
        return result

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": CUSTOM_ATTRIBUTE.to_schema(definitions)}


def _pairs(value: Any, errors: list[InputError]) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and not all(key.isdigit() for key in value):
        return [(str(code), raw) for code, raw in value.items()]
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
        return []
    pairs = []
    for item in items:
        if not isinstance(item, dict) or not item:
            errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
            continue
        code = item.get("attribute_code", item.get("attributeCode"))
        if code in (None, ""):
            errors.append(InputError(MISSING_CODE))
        elif "value" not in item:
            errors.append(InputError(MISSING_VALUE, [code]))
        else:
            pairs.append((str(code), item["value"]))
    return pairs


def _sort_by(raw: Any, errors: list[InputError]) -> str | None:
    """``available_sort_by`` is a list of sort codes, stored comma-separated."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        errors.append(_invalid("available_sort_by", "A list of sort codes is expected."))
        return None
    codes = [str(item).strip() for item in items if item is not None and str(item).strip()]
    return ",".join(codes) or None


class ScalarAttributeType(Type):
    """A top-level category field backed by an attribute: the field's scalar conversion (so
    Magento's message names the field), then the attribute's own rules."""

    def __init__(self, attribute: catalog_attributes.Attribute, scalar: Type) -> None:
        self.attribute = attribute
        self.scalar = scalar
        self.openapi_type = scalar.openapi_type

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        before = len(errors)
        converted = self.scalar.convert(value, path, errors)
        if len(errors) > before:
            return None
        return convert_value(self.attribute, converted, errors)


class SortByListType(ArrayType):
    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        converted = super().convert(value, path, errors)
        if converted is None:
            return None
        return _sort_by(converted, errors)


CATEGORY = ObjectType(
    "catalog-data-category-interface",
    {
        "id": Field(INT),
        "parent_id": Field(INT, description="Used on create only; use the move route after."),
        "name": Field(ScalarAttributeType(attributes.NAME, STRING), required=True),
        "is_active": Field(ScalarAttributeType(attributes.IS_ACTIVE, BOOL)),
        "position": Field(INT),
        "level": Field(INT, description="Read-only: derived from the tree."),
        "children": Field(STRING, description="Read-only: derived from the tree."),
        "created_at": Field(STRING, description="Read-only."),
        "updated_at": Field(STRING, description="Read-only."),
        "path": Field(STRING, description="Read-only: derived from the tree."),
        "available_sort_by": Field(SortByListType(STRING)),
        "include_in_menu": Field(ScalarAttributeType(attributes.INCLUDE_IN_MENU, BOOL)),
        "extension_attributes": Field(ObjectType("catalog-data-category-extension-interface", {})),
        "custom_attributes": Field(CategoryCustomAttributesType()),
    },
)

PRODUCT_LINK = ObjectType(
    "catalog-data-category-product-link-interface",
    {
        "sku": Field(STRING, required=True),
        "position": Field(INT),
        "category_id": Field(STRING, required=True),
        "extension_attributes": Field(
            ObjectType("catalog-data-category-product-link-extension-interface", {})
        ),
    },
)
