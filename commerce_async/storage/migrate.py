"""Versioned schema migrations (Alembic), applied by ``commerce-async setup:upgrade``.

The migration scripts live in ``storage/migrations/versions``; they are generated from
``storage/schema.py`` with ``make migration MSG="..."`` and reviewed like any other code.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from commerce_async.storage.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to the newest version (idempotent)."""
    with database.engine.begin() as connection:
        command.upgrade(_config(connection), "heads")


def pending(database: Database) -> bool:
    """Whether the database lacks migrations that this code ships."""
    with database.engine.connect() as connection:
        # A read (plain BEGIN on SQLite): starting a process must not take the write lock, or
        # a second process starting at the same moment would wait for it.
        connection.info["read_only"] = True
        try:
            script = ScriptDirectory.from_config(_config(connection))
            current = set(MigrationContext.configure(connection).get_current_heads())
        finally:
            connection.info.pop("read_only", None)
        return current != set(script.get_heads())


def generate(database: Database, message: str) -> None:
    """Write a new migration script from the difference between schema.py and the database."""
    with database.engine.begin() as connection:
        config = _config(connection)
        command.upgrade(config, "heads")
        command.revision(config, message=message, autogenerate=True)
