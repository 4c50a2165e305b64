"""The attribute model and its value rules (Magento's EAV backends).

Each attribute has a scope (Magento's ``is_global``): ``store`` values may differ per store view,
``website`` values are written as one row per store view of a website, ``global`` values live only
at store 0. Price attributes are declared ``website`` but follow the price scope setting
(``catalog/price/scope``: 0 global, the default, or 1 website), as Magento does.

The backend type says how a value is checked, stored and shown: ``varchar``, ``text``, ``int``,
``decimal``, ``datetime``. ``top_level`` attributes are also fields of the entity's JSON (``name``,
``price`` ...) and are left out of its ``custom_attributes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STORE = "store"
WEBSITE = "website"
GLOBAL = "global"

VARCHAR_LIMIT = 255


@dataclass(frozen=True, slots=True)
class Attribute:
    attribute_id: int
    code: str
    scope: str
    backend: str
    label: str
    default: Any = None
    """Value given on create when the request has none (Magento's ``default_value``)."""
    required: bool = False
    top_level: bool = False
    price: bool = False
    """Follows the price scope setting instead of ``scope``."""
    options: frozenset[int] | None = None
    """Allowed values of a fixed option list (status, visibility)."""

    @property
    def column(self) -> str:
        """Which value column (``value_number``, ``value_text`` or ``value_string``) holds it."""
        if self.backend in ("int", "decimal"):
            return "value_number"
        if self.backend == "text":
            return "value_text"
        return "value_string"

    def effective_scope(self, price_scope_website: bool) -> str:
        if self.price:
            return WEBSITE if price_scope_website else GLOBAL
        return self.scope


def index(catalogue: Iterable[Attribute]) -> tuple[dict[str, Attribute], dict[int, Attribute]]:
    """A catalogue's attributes by code and by id."""
    attributes = tuple(catalogue)
    return (
        {attribute.code: attribute for attribute in attributes},
        {attribute.attribute_id: attribute for attribute in attributes},
    )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


class AttributeValueError(Exception):
    """A value does not fit its attribute; ``detail`` is the text after ``has invalid value.``"""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _type_detail(value: Any, expected: str) -> str:
    shown = "Array" if isinstance(value, (dict, list)) else str(value)
    return (
        f'The "{shown}" value\'s type is invalid. The "{expected}" type was expected. '
        "Verify and try again."
    )


def convert(attribute: Attribute, value: Any) -> Any:
    """The stored form of ``value`` (None means "no value": clear it), or ``AttributeValueError``.

    Empty strings mean "no value", as they do in Magento's EAV backends.
    """
    if value is None or value == "":
        return None
    backend = attribute.backend
    if isinstance(value, (dict, list)):
        raise AttributeValueError(
            _type_detail(value, "string" if backend in ("varchar", "text") else backend)
        )
    if backend in ("varchar", "text"):
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        if backend == "varchar" and len(text) > VARCHAR_LIMIT:
            raise AttributeValueError(f"The value is longer than {VARCHAR_LIMIT} characters.")
        return text
    if backend == "int":
        number = _int(value)
        if number is None:
            raise AttributeValueError(_type_detail(value, "int"))
        if attribute.options is not None and number not in attribute.options:
            allowed = ", ".join(str(option) for option in sorted(attribute.options))
            raise AttributeValueError(f'The value "{number}" is not one of {allowed}.')
        return number
    if backend == "decimal":
        number = _float(value)
        if number is None:
            raise AttributeValueError(_type_detail(value, "float"))
        return number
    return _datetime(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def _datetime(value: Any) -> str:
    text = str(value).strip()
    if _DATE.match(text):
        text += " 00:00:00"
    elif _DATETIME.match(text):
        text = text.replace("T", " ")
        if len(text) == 16:
            text += ":00"
    else:
        raise AttributeValueError(f'The "{text}" value is not a date ("YYYY-MM-DD [HH:MM:SS]").')
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise AttributeValueError(
            f'The "{text}" value is not a date ("YYYY-MM-DD [HH:MM:SS]").'
        ) from None
    return text


def as_text(attribute: Attribute, value: Any) -> str:
    """A stored value as ``custom_attributes`` shows it: always a string (decimals with the six
    places of Magento's ``decimal(20,6)`` columns)."""
    if attribute.backend == "decimal":
        return f"{value:.6f}"
    if attribute.backend == "int":
        return str(int(value))
    return str(value)


def as_json(attribute: Attribute, value: Any) -> Any:
    """A stored value as a top-level field shows it (``price`` float, ``status`` int)."""
    if attribute.backend == "decimal":
        return float(value)
    if attribute.backend == "int":
        return int(value)
    return value
