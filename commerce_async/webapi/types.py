"""Typed input declarations and their conversion, with Magento's ``ServiceInputProcessor`` rules.

A route declares its service parameters with these types. ``convert`` turns decoded JSON into the
values a service receives, or raises ``InputError`` with Magento's messages:

- object keys may be snake_case or camelCase; output keys are snake_case;
- an unknown key in a data object: ``"%fieldName" is not supported...`` with the
  UpperCamelCase name;
- a scalar of the wrong type: ``Error occurred during "price" processing. The "x" value's type is
  invalid. The "float" type was expected. Verify and try again.`` (rendered, no parameters);
- numeric strings are accepted for numbers, as PHP does; ``null`` is kept (it means "clear").

Every error of one value is collected, so a bulk request can say everything that is wrong at once.
The same types generate the OpenAPI schemas (``to_schema``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from commerce_async.errors import NOT_SUPPORTED_FIELD, InputError

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")
_SCRIPT_TAG = re.compile(r"<\s*script\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def snake_case(name: str) -> str:
    """``attributeSetId`` -> ``attribute_set_id`` (already snake names are unchanged)."""
    if name.islower() or not any(c.isupper() for c in name):
        return name
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def upper_camel_case(name: str) -> str:
    camel = camel_case(snake_case(name))
    return camel[:1].upper() + camel[1:]


def _type_error(path: str, value: Any, expected: str) -> InputError:
    shown = "" if value is None else _php_string(value)
    return InputError(
        f'Error occurred during "{path}" processing. The "{shown}" value\'s type is invalid. '
        f'The "{expected}" type was expected. Verify and try again.'
    )


def _php_string(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (dict, list)):
        return "Array"
    return str(value)


class Type:
    """Base of input types. ``convert`` returns the converted value or appends to ``errors``."""

    openapi_type = "string"

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        raise NotImplementedError

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": self.openapi_type}


class StringType(Type):
    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            if _SCRIPT_TAG.search(value):
                errors.append(
                    InputError('"%field_name" does not contains valid value.', {"field_name": path})
                )
            return value
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, (int, float)):
            return _php_string(value)
        errors.append(_type_error(path, value, "string"))
        return None


INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class IntType(Type):
    openapi_type = "integer"

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
        ):
            number = int(value)
        # PHP integers are 64-bit, as are the databases' BIGINT: anything larger is no int.
        if number is not None and INT_MIN <= number <= INT_MAX:
            return number
        errors.append(_type_error(path, value, "int"))
        return None


class FloatType(Type):
    openapi_type = "number"

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            errors.append(_type_error(path, value, "float"))
            return None
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if number == number and number not in (float("inf"), float("-inf")):
                    return number
        errors.append(_type_error(path, value, "float"))
        return None


class BoolType(Type):
    openapi_type = "boolean"

    _TRUE = {"1", "true"}
    _FALSE = {"0", "false", ""}

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in self._TRUE | self._FALSE:
            return value.lower() in self._TRUE
        errors.append(_type_error(path, value, "bool"))
        return None


class AnyType(Type):
    """Any JSON value (custom attribute values, opaque maps)."""

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if isinstance(value, str) and _SCRIPT_TAG.search(value):
            errors.append(
                InputError('"%field_name" does not contains valid value.', {"field_name": path})
            )
        return value

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {}


class ArrayType(Type):
    openapi_type = "array"

    def __init__(self, items: Type, max_items: int | None = None) -> None:
        self.items = items
        self.max_items = max_items

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            # PHP arrays: a JSON object (or a query-string array) is an array too; numeric keys
            # are ordered as numbers, as PHP does.
            keys = list(value)
            if all(isinstance(k, str) and k.isdigit() for k in keys):
                keys.sort(key=int)
            value = [value[k] for k in keys]
        if not isinstance(value, list):
            errors.append(_type_error(path, value, "array"))
            return None
        if self.max_items is not None and len(value) > self.max_items:
            errors.append(
                InputError(
                    'Maximum items of type "%type" is %max',
                    {"type": path, "max": self.max_items},
                )
            )
            return None
        return [self.items.convert(item, f"{path}", errors) for item in value]

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": self.items.to_schema(definitions)}


@dataclass(frozen=True)
class Field:
    type: Type
    required: bool = False
    description: str = ""


@dataclass
class ObjectType(Type):
    """A Magento data object (DTO). ``name`` is its definition name in the OpenAPI document."""

    name: str
    fields: Mapping[str, Field]
    allow_extra: bool = False
    description: str = ""
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)

    openapi_type = "object"

    def __post_init__(self) -> None:
        for name in self.fields:
            self._by_key[name] = name
            self._by_key[camel_case(name)] = name

    def lookup(self, key: str) -> str | None:
        found = self._by_key.get(key)
        if found is None:
            found = self._by_key.get(snake_case(key))
        return found

    def convert(self, value: Any, path: str, errors: list[InputError]) -> Any:
        if value is None:
            return None
        if isinstance(value, list) and not value:
            value = {}
        if not isinstance(value, dict):
            errors.append(_type_error(path, value, self.name))
            return None
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = self.lookup(key)
            if name is None:
                if self.allow_extra:
                    result[snake_case(key)] = item
                    continue
                errors.append(InputError(NOT_SUPPORTED_FIELD, {"fieldName": upper_camel_case(key)}))
                continue
            if name in result:
                # Magento de-duplicates keys case- and underscore-insensitively: first one wins.
                continue
            result[name] = self.fields[name].type.convert(item, name, errors)
        return result

    def to_schema(self, definitions: dict[str, Any]) -> dict[str, Any]:
        if self.name not in definitions:
            definitions[self.name] = {}  # placeholder against recursion
            properties = {
                name: {**spec.type.to_schema(definitions), "description": spec.description}
                if spec.description
                else spec.type.to_schema(definitions)
                for name, spec in self.fields.items()
            }
            schema: dict[str, Any] = {"type": "object", "properties": properties}
            if self.description:
                schema["description"] = self.description
            required = [name for name, spec in self.fields.items() if spec.required]
            if required:
                schema["required"] = required
            if self.allow_extra:
                schema["additionalProperties"] = True
            definitions[self.name] = schema
        return {"$ref": f"#/definitions/{self.name}"}


STRING = StringType()
INT = IntType()
FLOAT = FloatType()
BOOL = BoolType()
ANY = AnyType()
