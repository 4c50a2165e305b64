"""The category routes (ACL ``Magento_Catalog::categories``), as Magento's
``Catalog/etc/webapi.xml`` declares them. Every write route gets its ``/async`` and
``/async/bulk`` twins from the route table, e.g.
``POST /async/bulk/V1/categories/byCategoryId/products``."""

from __future__ import annotations

from commerce_async.categories import links, service
from commerce_async.categories.types import CATEGORY, PRODUCT_LINK
from commerce_async.webapi.routes import Param, Route
from commerce_async.webapi.types import BOOL, INT, STRING

RESOURCES = ("Magento_Catalog::categories",)
REPOSITORY = "Magento\\Catalog\\Api\\CategoryRepositoryInterface"
REPOSITORY_CLASS = "Magento\\Catalog\\Model\\CategoryRepository"
MANAGEMENT = "Magento\\Catalog\\Api\\CategoryManagementInterface"
MANAGEMENT_CLASS = "Magento\\Catalog\\Model\\CategoryManagement"
LINK_MANAGEMENT = "Magento\\Catalog\\Api\\CategoryLinkManagementInterface"
LINK_REPOSITORY = "Magento\\Catalog\\Api\\CategoryLinkRepositoryInterface"

CATEGORY_ID = Param("categoryId", INT, source="path")
# In a bulk item the category may come in the item or in productLink.category_id.
LINK_CATEGORY_ID = Param("categoryId", INT, required=False, source="path")

ROUTES = [
    Route(
        "POST",
        "/V1/categories",
        REPOSITORY,
        "save",
        RESOURCES,
        service.save,
        params=(Param("category", CATEGORY),),
        implementation=REPOSITORY_CLASS,
        returns=CATEGORY,
        summary="Create a category (values at store 0), or update it when an id is given",
    ),
    Route(
        "PUT",
        "/V1/categories/:id",
        REPOSITORY,
        "save",
        RESOURCES,
        service.save,
        params=(Param("category", CATEGORY), Param("id", INT, required=False, source="path")),
        implementation=REPOSITORY_CLASS,
        returns=CATEGORY,
        summary="Update a category in the URL's store scope",
    ),
    Route(
        "GET",
        "/V1/categories/:categoryId",
        REPOSITORY,
        "get",
        RESOURCES,
        service.get,
        params=(CATEGORY_ID, Param("storeId", INT, required=False, source="query")),
        implementation=REPOSITORY_CLASS,
        returns=CATEGORY,
        summary="A category, with the values of the URL's store (or of storeId)",
    ),
    Route(
        "DELETE",
        "/V1/categories/:categoryId",
        REPOSITORY,
        "deleteByIdentifier",
        RESOURCES,
        service.delete,
        params=(CATEGORY_ID,),
        implementation=REPOSITORY_CLASS,
        returns=BOOL,
        summary="Delete a category with its subtree and their product links",
    ),
    Route(
        "GET",
        "/V1/categories",
        MANAGEMENT,
        "getTree",
        RESOURCES,
        service.tree,
        params=(
            Param("rootCategoryId", INT, required=False, source="query"),
            Param("depth", INT, required=False, source="query"),
        ),
        implementation=MANAGEMENT_CLASS,
        summary="The category tree below rootCategoryId (default: the store's root category)",
    ),
    Route(
        "PUT",
        "/V1/categories/:categoryId/move",
        MANAGEMENT,
        "move",
        RESOURCES,
        service.move,
        params=(CATEGORY_ID, Param("parentId", INT), Param("afterId", INT, required=False)),
        implementation=MANAGEMENT_CLASS,
        returns=BOOL,
        summary="Move a category under parentId, after the sibling afterId",
    ),
    Route(
        "GET",
        "/V1/categories/:categoryId/products",
        LINK_MANAGEMENT,
        "getAssignedProducts",
        RESOURCES,
        links.assigned_products,
        params=(CATEGORY_ID,),
        implementation="Magento\\Catalog\\Model\\CategoryLinkManagement",
        summary="The products assigned to a category, with their positions",
    ),
    Route(
        "POST",
        "/V1/categories/:categoryId/products",
        LINK_REPOSITORY,
        "save",
        RESOURCES,
        links.save,
        params=(Param("productLink", PRODUCT_LINK), LINK_CATEGORY_ID),
        implementation="Magento\\Catalog\\Model\\CategoryLinkRepository",
        returns=BOOL,
        summary="Assign a product to a category (or change its position)",
    ),
    Route(
        "PUT",
        "/V1/categories/:categoryId/products",
        LINK_REPOSITORY,
        "save",
        RESOURCES,
        links.save,
        params=(Param("productLink", PRODUCT_LINK), LINK_CATEGORY_ID),
        implementation="Magento\\Catalog\\Model\\CategoryLinkRepository",
        returns=BOOL,
        summary="Assign a product to a category (or change its position)",
    ),
    Route(
        "DELETE",
        "/V1/categories/:categoryId/products/:sku",
        LINK_REPOSITORY,
        "deleteByIds",
        RESOURCES,
        links.delete,
        params=(CATEGORY_ID, Param("sku", STRING, source="path")),
        implementation="Magento\\Catalog\\Model\\CategoryLinkRepository",
        returns=BOOL,
        summary="Unassign a product from a category",
    ),
]
