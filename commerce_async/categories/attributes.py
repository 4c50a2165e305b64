"""The category attribute catalogue, as data (Magento's ``CategorySetup`` defaults).

Every category attribute is store-scoped except ``is_anchor`` (global). ``top_level`` attributes
are fields of the category JSON (``name``, ``is_active``, ``include_in_menu``,
``available_sort_by``); the others travel in ``custom_attributes``. The attribute type and value
conversion are ``commerce_async.eav.attributes`` and the store rules the catalog's
(``commerce_async.catalog.scope``), so categories and products follow one set of rules.
"""

from __future__ import annotations

from commerce_async.eav.attributes import GLOBAL, STORE, Attribute, index

BOOLEAN = frozenset({0, 1})

CATALOGUE: tuple[Attribute, ...] = (
    Attribute(45, "name", STORE, "varchar", "Name", required=True, top_level=True),
    Attribute(46, "is_active", STORE, "int", "Enable Category", top_level=True, options=BOOLEAN),
    Attribute(47, "description", STORE, "text", "Description"),
    Attribute(48, "image", STORE, "varchar", "Category Image"),
    Attribute(49, "meta_title", STORE, "varchar", "Page Title"),
    Attribute(50, "meta_keywords", STORE, "text", "Meta Keywords"),
    Attribute(51, "meta_description", STORE, "text", "Meta Description"),
    Attribute(52, "display_mode", STORE, "varchar", "Display Mode"),
    Attribute(53, "landing_page", STORE, "int", "Add CMS Block"),
    Attribute(
        70,
        "custom_use_parent_settings",
        STORE,
        "int",
        "Use Parent Category Settings",
        options=BOOLEAN,
    ),
    Attribute(
        71, "custom_apply_to_products", STORE, "int", "Apply Design to Products", options=BOOLEAN
    ),
    Attribute(60, "custom_design", STORE, "varchar", "Theme"),
    Attribute(61, "custom_design_from", STORE, "datetime", "Active From"),
    Attribute(62, "custom_design_to", STORE, "datetime", "Active To"),
    Attribute(63, "page_layout", STORE, "varchar", "Layout"),
    Attribute(64, "custom_layout_update", STORE, "text", "Custom Layout Update"),
    Attribute(
        67, "available_sort_by", STORE, "text", "Available Product Listing Sort By", top_level=True
    ),
    Attribute(68, "default_sort_by", STORE, "varchar", "Default Product Listing Sort By"),
    Attribute(72, "filter_price_range", STORE, "decimal", "Layered Navigation Price Step"),
    Attribute(54, "is_anchor", GLOBAL, "int", "Anchor", default=1, options=BOOLEAN),
    Attribute(
        69,
        "include_in_menu",
        STORE,
        "int",
        "Include in Menu",
        default=1,
        top_level=True,
        options=BOOLEAN,
    ),
    Attribute(119, "url_key", STORE, "varchar", "URL Key"),
)

BY_CODE, BY_ID = index(CATALOGUE)
NAME = BY_CODE["name"]
IS_ACTIVE = BY_CODE["is_active"]
INCLUDE_IN_MENU = BY_CODE["include_in_menu"]
AVAILABLE_SORT_BY = BY_CODE["available_sort_by"]
IS_ANCHOR = BY_CODE["is_anchor"]
URL_KEY = BY_CODE["url_key"]

DERIVED_CODES = frozenset(
    {"path", "children_count", "children", "all_children", "path_in_store", "level", "url_path"}
)
"""Custom attribute codes Magento lists but computes itself: accepted on input and ignored
(``url_path`` is rebuilt from the URL keys, ``path`` and ``children_count`` from the tree)."""

OUTPUT_ORDER: tuple[str, ...] = (
    "image",
    "description",
    "meta_title",
    "meta_keywords",
    "meta_description",
    "display_mode",
    "landing_page",
    "custom_use_parent_settings",
    "custom_apply_to_products",
    "custom_design",
    "custom_design_from",
    "custom_design_to",
    "page_layout",
    "custom_layout_update",
    "default_sort_by",
    "filter_price_range",
    "is_anchor",
    "path",
    "children_count",
    "url_key",
    "url_path",
)
"""Order of ``custom_attributes`` in the category JSON."""
