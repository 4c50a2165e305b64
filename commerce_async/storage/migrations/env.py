"""Alembic environment: runs the migrations on the connection ``storage.migrate`` hands over."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from commerce_async.storage.schema import metadata


def render_item(kind: str, item: Any, _autogen_context: Any) -> str | bool:
    """Render boolean server defaults portably: autogenerate compiles ``sa.true()`` for the
    dialect it runs on (``1`` on SQLite), which PostgreSQL rejects for a BOOLEAN column."""
    if kind == "server_default" and isinstance(item, sa.DefaultClause):
        if isinstance(item.arg, sa.sql.elements.True_):
            return "sa.true()"
        if isinstance(item.arg, sa.sql.elements.False_):
            return "sa.false()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
