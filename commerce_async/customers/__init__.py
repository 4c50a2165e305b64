"""Customer accounts (Magento's ``AccountManagementInterface`` and ``CustomerRepositoryInterface``)
and customer tokens (``CustomerTokenServiceInterface``).

``types`` holds the input types, ``repository`` the SQL, ``service`` the account rules and
handlers, ``tokens`` the customer sign-in and the caller context of a customer token, and
``routes`` the route table (with ``USER_LOADERS`` for customer tokens).
"""
