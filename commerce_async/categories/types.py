"""Input types of the category routes, with Magento's conversion rules and messages.

``custom_attributes`` is read with the rules of ``commerce_async.eav.types`` against the category
attribute catalogue; the codes Magento computes itself, such as ``path`` or ``url_path``, are
accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from commerce_async.categories import attributes
from commerce_async.eav.attributes import Attribute
from commerce_async.eav.types import AttributeFieldType, CustomAttributesType, invalid_value
from commerce_async.errors import InputError
from commerce_async.webapi.types import BOOL, INT, STRING, ArrayType, Field, ObjectType


class CategoryCustomAttributesType(CustomAttributesType):
    """Converts to ``{code: stored value or None}``; None means "no value here"."""

    def convert_item(
        self, code: str, raw: Any, result: dict[str, Any], errors: list[InputError]
    ) -> None:
        if code not in attributes.DERIVED_CODES:
            super().convert_item(code, raw, result, errors)

    def convert_value(self, attribute: Attribute, raw: Any, errors: list[InputError]) -> Any:
        if attribute is attributes.AVAILABLE_SORT_BY:
            return _sort_by(raw, errors)
        return super().convert_value(attribute, raw, errors)


def _sort_by(raw: Any, errors: list[InputError]) -> str | None:
    """``available_sort_by`` is a list of sort codes, stored comma-separated."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        errors.append(invalid_value("available_sort_by", "A list of sort codes is expected."))
        return None
    codes = [str(item).strip() for item in items if item is not None and str(item).strip()]
    return ",".join(codes) or None


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
        "name": Field(AttributeFieldType(attributes.NAME, STRING), required=True),
        "is_active": Field(AttributeFieldType(attributes.IS_ACTIVE, BOOL)),
        "position": Field(INT),
        "level": Field(INT, description="Read-only: derived from the tree."),
        "children": Field(STRING, description="Read-only: derived from the tree."),
        "created_at": Field(STRING, description="Read-only."),
        "updated_at": Field(STRING, description="Read-only."),
        "path": Field(STRING, description="Read-only: derived from the tree."),
        "available_sort_by": Field(SortByListType(STRING)),
        "include_in_menu": Field(AttributeFieldType(attributes.INCLUDE_IN_MENU, BOOL)),
        "extension_attributes": Field(ObjectType("catalog-data-category-extension-interface", {})),
        "custom_attributes": Field(CategoryCustomAttributesType(attributes.BY_CODE)),
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
