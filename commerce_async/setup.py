"""Installation steps shared by ``setup:upgrade``, the server and the tests."""

from __future__ import annotations

from typing import Any

from commerce_async.storage import migrate
from commerce_async.stores.repository import install_defaults, is_installed


def upgrade(services: Any) -> bool:
    """Apply migrations; on an empty database create the default stores. True if it installed."""
    migrate.upgrade(services.db)
    with services.db.transaction() as tx:
        if is_installed(tx):
            return False
        install_defaults(tx)
    services.stores.reload()
    return True
