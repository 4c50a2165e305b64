"""The product routes (``Magento\\Catalog\\Api\\ProductRepositoryInterface``), as data."""

from __future__ import annotations

from commerce_async.catalog import search, service
from commerce_async.catalog.types import PRODUCT
from commerce_async.webapi.routes import Param, Route
from commerce_async.webapi.search import SEARCH_CRITERIA
from commerce_async.webapi.types import BOOL, INT, STRING

PRODUCTS = ("Magento_Catalog::products",)
SERVICE = "Magento\\Catalog\\Api\\ProductRepositoryInterface"
IMPLEMENTATION = "Magento\\Catalog\\Model\\ProductRepository"

_SAVE_PARAMS = (Param("product", PRODUCT), Param("saveOptions", BOOL, required=False))
_SKU = Param("sku", STRING, source="path")

ROUTES = [
    Route(
        "POST",
        "/V1/products",
        SERVICE,
        "save",
        PRODUCTS,
        service.save,
        _SAVE_PARAMS,
        implementation=IMPLEMENTATION,
        returns=PRODUCT,
        summary="Create a product, or update the product with that SKU",
    ),
    Route(
        "PUT",
        "/V1/products/:sku",
        SERVICE,
        "save",
        PRODUCTS,
        service.save,
        _SAVE_PARAMS,
        implementation=IMPLEMENTATION,
        returns=PRODUCT,
        summary="Update a product (created if the SKU is unknown)",
        bulk_alias="/V1/products",
    ),
    Route(
        "PATCH",
        "/V1/products/:sku",
        SERVICE,
        "patch",
        PRODUCTS,
        service.patch,
        (_SKU, Param("product", PRODUCT)),
        implementation=IMPLEMENTATION,
        returns=PRODUCT,
        summary="Extension: change only the given fields of an existing product (404 if none)",
        extension=True,
    ),
    Route(
        "GET",
        "/V1/products/:sku",
        SERVICE,
        "get",
        PRODUCTS,
        service.get,
        (
            _SKU,
            Param("editMode", BOOL, required=False, source="query"),
            Param("storeId", INT, required=False, source="query"),
            Param("forceReload", BOOL, required=False, source="query"),
        ),
        implementation=IMPLEMENTATION,
        returns=PRODUCT,
        summary="A product as the store view in the URL (or storeId) sees it",
    ),
    Route(
        "DELETE",
        "/V1/products/:sku",
        SERVICE,
        "deleteById",
        PRODUCTS,
        service.delete,
        (_SKU,),
        implementation=IMPLEMENTATION,
        returns=BOOL,
        summary="Delete a product from every store",
    ),
    Route(
        "GET",
        "/V1/products",
        SERVICE,
        "getList",
        PRODUCTS,
        search.get_list,
        (Param("searchCriteria", SEARCH_CRITERIA, source="query"),),
        implementation=IMPLEMENTATION,
        summary="Search products (filters, sorting, paging)",
    ),
]
