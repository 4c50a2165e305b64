"""The product attribute catalogue, as data.

The attribute model and its value rules (scope, backend type, conversion) are
``commerce_async.eav.attributes``; the names the product modules use are re-exported here.
"""

from __future__ import annotations

from commerce_async.eav.attributes import (
    GLOBAL,
    STORE,
    WEBSITE,
    Attribute,
    as_json,
    as_text,
    index,
)

__all__ = [
    "BY_CODE",
    "BY_ID",
    "CATALOGUE",
    "GLOBAL",
    "NAME",
    "PRICE",
    "STORE",
    "TOP_LEVEL",
    "URL_KEY",
    "WEBSITE",
    "Attribute",
    "as_json",
    "as_text",
]


CATALOGUE: tuple[Attribute, ...] = (
    Attribute(73, "name", STORE, "varchar", "Product Name", required=True, top_level=True),
    Attribute(75, "description", STORE, "text", "Description"),
    Attribute(76, "short_description", STORE, "text", "Short Description"),
    Attribute(77, "price", WEBSITE, "decimal", "Price", required=True, top_level=True, price=True),
    Attribute(78, "special_price", WEBSITE, "decimal", "Special Price", price=True),
    Attribute(79, "special_from_date", WEBSITE, "datetime", "Special Price From Date"),
    Attribute(80, "special_to_date", WEBSITE, "datetime", "Special Price To Date"),
    Attribute(81, "cost", WEBSITE, "decimal", "Cost", price=True),
    Attribute(82, "weight", GLOBAL, "decimal", "Weight", top_level=True),
    Attribute(83, "manufacturer", GLOBAL, "int", "Manufacturer"),
    Attribute(84, "meta_title", STORE, "varchar", "Meta Title"),
    Attribute(85, "meta_keyword", STORE, "text", "Meta Keywords"),
    Attribute(86, "meta_description", STORE, "varchar", "Meta Description"),
    Attribute(87, "image", STORE, "varchar", "Base"),
    Attribute(88, "small_image", STORE, "varchar", "Small"),
    Attribute(89, "thumbnail", STORE, "varchar", "Thumbnail"),
    Attribute(93, "color", GLOBAL, "int", "Color"),
    Attribute(94, "news_from_date", WEBSITE, "datetime", "Set Product as New from Date"),
    Attribute(95, "news_to_date", WEBSITE, "datetime", "Set Product as New to Date"),
    Attribute(
        97,
        "status",
        WEBSITE,
        "int",
        "Enable Product",
        default=1,
        top_level=True,
        options=frozenset({1, 2}),
    ),
    Attribute(
        99,
        "visibility",
        STORE,
        "int",
        "Visibility",
        default=4,
        top_level=True,
        options=frozenset({1, 2, 3, 4}),
    ),
    Attribute(121, "url_key", STORE, "varchar", "URL Key"),
    Attribute(136, "tax_class_id", WEBSITE, "int", "Tax Class", default=2),
)

BY_CODE, BY_ID = index(CATALOGUE)
TOP_LEVEL: tuple[Attribute, ...] = tuple(a for a in CATALOGUE if a.top_level)
URL_KEY = BY_CODE["url_key"]
NAME = BY_CODE["name"]
PRICE = BY_CODE["price"]
