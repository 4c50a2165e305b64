"""Installation steps shared by ``setup:upgrade``, the server and the tests."""

from __future__ import annotations

from typing import Any

from commerce_async.categories.repository import install_defaults as install_categories
from commerce_async.customers.repository import install_groups as install_customer_groups
from commerce_async.operations.model import utc_text
from commerce_async.storage import migrate
from commerce_async.stores.repository import install_defaults, is_installed


def upgrade(services: Any) -> bool:
    """Apply migrations; on an empty database create the default stores. True if it installed.
    The default categories and customer groups are created whenever they are missing."""
    migrate.upgrade(services.db)
    with services.db.transaction() as tx:
        installed = not is_installed(tx)
        if installed:
            install_defaults(tx)
        install_categories(tx, utc_text())
        install_customer_groups(tx)
    if installed:
        services.stores.reload()
    return installed
