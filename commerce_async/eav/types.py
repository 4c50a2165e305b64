"""Input types of attribute values, with Magento's conversion rules and messages.

``custom_attributes`` is accepted in its list form ``[{"attribute_code", "value"}]`` and in its map
form ``{"description": "..."}``; every code must be in the entity's attribute catalogue and every
value must fit the attribute's backend type, so a bad item is refused when an asynchronous request
is accepted, not later in the consumer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from commerce_async.eav.attributes import Attribute, AttributeValueError, convert
from commerce_async.errors import InputError
from commerce_async.webapi.types import ANY, STRING, Field, ObjectType, Type

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

CUSTOM_ATTRIBUTE = ObjectType(
    "framework-attribute-interface",
    {"attribute_code": Field(STRING, required=True), "value": Field(ANY, required=True)},
)


def invalid_value(code: str, detail: str) -> InputError:
    return InputError(f'Attribute "{code}" has invalid value. {detail}')


def convert_value(attribute: Attribute, raw: Any, errors: list[InputError]) -> Any:
    """The stored form of one value, or None with an error appended."""
    try:
        return convert(attribute, raw)
    except AttributeValueError as error:
        errors.append(invalid_value(attribute.code, error.detail))
        return None


def custom_attribute_pairs(
    value: Any, errors: list[InputError], *, value_required: bool = True
) -> Iterator[tuple[str, Any]] | None:
    """The ``(code, value)`` items of a ``custom_attributes`` list or map, or None with an error
    appended when it is neither.

    The items are read as the iteration goes: the error of a malformed item is appended when the
    iteration reaches it. Without ``value_required`` an item without ``value`` is read as None.
    """
    if isinstance(value, dict) and not _is_php_list(value):
        return iter([(str(code), raw) for code, raw in value.items()])
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
        return None
    return _item_pairs(items, errors, value_required)


def _item_pairs(
    items: list[Any], errors: list[InputError], value_required: bool
) -> Iterator[tuple[str, Any]]:
    for item in items:
        if not isinstance(item, dict) or not item:
            errors.append(InputError(EMPTY_CUSTOM_ATTRIBUTE))
            continue
        code = item.get("attribute_code", item.get("attributeCode"))
        if code in (None, ""):
            errors.append(InputError(MISSING_CODE))
        elif value_required and "value" not in item:
            errors.append(InputError(MISSING_VALUE, [code]))
        else:
            yield str(code), item.get("value")


def _is_php_list(value: dict[str, Any]) -> bool:
    """A query-string or PHP-style array ``{"0": {...}, "1": {...}}``."""
    return bool(value) and all(isinstance(key, str) and key.isdigit() for key in value)


class CustomAttributesType(Type):
    """``custom_attributes`` of an entity with an attribute catalogue: converts to ``{code: stored
    value or None}``; None means "no value here". Subclasses handle codes that are not attributes
    (``convert_item``) and values with rules of their own (``convert_value``)."""

    openapi_type = "array"

    def __init__(self, catalogue: Mapping[str, Attribute]) -> None:
        self.catalogue = catalogue

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        pairs = custom_attribute_pairs(value, errors)
        if pairs is None:
            return None
        result: dict[str, Any] = {}
        # All items are read first: the errors of malformed items come before those of values.
        for code, raw in list(pairs):
            self.convert_item(code, raw, result, errors)
        return result

    def convert_item(
        self, code: str, raw: Any, result: dict[str, Any], errors: list[InputError]
    ) -> None:
        """Put the stored form of one item into ``result``, or append an error."""
        attribute = self.catalogue.get(code)
        if attribute is None:
            errors.append(InputError(UNKNOWN_ATTRIBUTE, [code]))
            return
        before = len(errors)
        ANY.convert(raw, code, errors)
        if len(errors) == before:
            result[attribute.code] = self.convert_value(attribute, raw, errors)

    def convert_value(self, attribute: Attribute, raw: Any, errors: list[InputError]) -> Any:
        return convert_value(attribute, raw, errors)

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": CUSTOM_ATTRIBUTE.to_schema(definitions)}


class NoCustomAttributesType(CustomAttributesType):
    """``custom_attributes`` of an entity that has no custom attributes defined: an empty list
    (or map) is accepted; any code is refused rather than silently dropped."""

    def __init__(self) -> None:
        super().__init__({})

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        pairs = custom_attribute_pairs(value, errors, value_required=False)
        if pairs is None:
            return None
        for code, _ in pairs:
            errors.append(
                InputError(MISSING_CODE) if code == "" else InputError(UNKNOWN_ATTRIBUTE, [code])
            )
        return []


class AttributeFieldType(Type):
    """A top-level field backed by an attribute (``price``, ``status``, ``is_active`` ...): the
    field's own scalar conversion first (so Magento's message names the field), then the
    attribute's rules (allowed options)."""

    def __init__(self, attribute: Attribute, scalar: Type) -> None:
        self.attribute = attribute
        self.scalar = scalar
        self.openapi_type = scalar.openapi_type

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        before = len(errors)
        converted = self.scalar.convert(value, path, errors)
        if len(errors) > before:
            return None
        return convert_value(self.attribute, converted, errors)
