"""Products with store-scoped values (Magento's ``ProductRepositoryInterface``).

``attributes`` is the attribute catalogue (data), ``types`` the input types, ``repository`` the SQL,
``scope`` the rules that decide which store rows a save writes, ``service`` the handlers,
``search`` the ``getList`` query, ``links`` the category links other modules use, and ``routes``
the route table entries.
"""
