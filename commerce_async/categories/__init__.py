"""Categories (Magento's ``CategoryRepositoryInterface``, ``CategoryManagementInterface``) and
their product links (``CategoryLinkManagementInterface``, ``CategoryLinkRepositoryInterface``).

``attributes`` is the category attribute catalogue (data), ``types`` the input types,
``repository`` the SQL, ``service`` the tree and the store-scoped saves, ``links`` the
category-product links (through ``commerce_async.catalog.links``), and ``routes`` the route table.
"""
