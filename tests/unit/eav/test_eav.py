"""The shared attribute rules: catalogue index, custom_attributes reading and error order."""

from __future__ import annotations

from typing import Any

from commerce_async.eav.attributes import STORE, Attribute, index
from commerce_async.eav.types import (
    AttributeFieldType,
    CustomAttributesType,
    NoCustomAttributesType,
    custom_attribute_pairs,
)
from commerce_async.errors import InputError
from commerce_async.webapi.types import INT

COLOR = Attribute(1, "color", STORE, "int", "Color", options=frozenset({1, 2}))
NOTE = Attribute(2, "note", STORE, "varchar", "Note")
BY_CODE, BY_ID = index((COLOR, NOTE))


def rendered(errors: list[InputError]) -> list[str]:
    return [error.rendered() for error in errors]


def test_index_maps_codes_and_ids() -> None:
    assert BY_CODE == {"color": COLOR, "note": NOTE}
    assert BY_ID == {1: COLOR, 2: NOTE}


def test_list_map_and_php_list_forms_read_the_same_pairs() -> None:
    items = [{"attribute_code": "note", "value": "a"}, {"attributeCode": "color", "value": 1}]
    forms: list[Any] = [items, {"note": "a", "color": 1}, {"0": items[0], "1": items[1]}]
    for value in forms:
        errors: list[InputError] = []
        pairs = custom_attribute_pairs(value, errors)
        assert pairs is not None
        assert list(pairs) == [("note", "a"), ("color", 1)]
        assert errors == []


def test_neither_list_nor_map_is_refused() -> None:
    errors: list[InputError] = []
    assert custom_attribute_pairs("x", errors) is None
    assert rendered(errors) == [
        "An empty custom attribute is specified. Enter the attribute and try again."
    ]


def test_item_errors_come_before_value_errors() -> None:
    errors: list[InputError] = []
    value = [{"attribute_code": "color", "value": 7}, {}, {"attribute_code": "note"}]
    CustomAttributesType(BY_CODE).convert(value, "custom_attributes", errors)
    assert rendered(errors) == [
        "An empty custom attribute is specified. Enter the attribute and try again.",
        'The "note" attribute code doesn\'t have a value set. Enter the value and try again.',
        'Attribute "color" has invalid value. The value "7" is not one of 1, 2.',
    ]


def test_values_are_converted_and_unknown_codes_refused() -> None:
    errors: list[InputError] = []
    result = CustomAttributesType(BY_CODE).convert({"color": "2", "note": 5}, "x", errors)
    assert result == {"color": 2, "note": "5"}
    assert errors == []
    CustomAttributesType(BY_CODE).convert({"size": "L"}, "x", errors)
    assert rendered(errors) == [
        'The attribute with a "size" attributeCode doesn\'t exist. Verify the attribute and try '
        "again."
    ]


def test_entity_without_custom_attributes_refuses_each_item_in_order() -> None:
    errors: list[InputError] = []
    value = [{"attribute_code": "a"}, {}, {"attribute_code": ""}, {"attribute_code": "b"}]
    assert NoCustomAttributesType().convert(value, "x", errors) == []
    assert [error.message for error in errors] == [
        'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and try '
        "again.",
        "An empty custom attribute is specified. Enter the attribute and try again.",
        "A custom attribute is specified with a missing attribute code. Verify the code and try "
        "again.",
        'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and try '
        "again.",
    ]
    assert NoCustomAttributesType().convert([], "x", errors) == []


def test_attribute_field_checks_the_scalar_then_the_attribute() -> None:
    field = AttributeFieldType(COLOR, INT)
    errors: list[InputError] = []
    assert field.convert("2", "color", errors) == 2
    assert field.convert("x", "color", errors) is None
    assert field.convert(3, "color", errors) is None
    assert rendered(errors) == [
        'Error occurred during "color" processing. The "x" value\'s type is invalid. The "int" '
        "type was expected. Verify and try again.",
        'Attribute "color" has invalid value. The value "3" is not one of 1, 2.',
    ]
