"""Generate a migration script from the difference between storage/schema.py and the migrations.

Usage: python scripts/make_migration.py "what changed" (``make migration MSG=...``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from commerce_async import settings
from commerce_async.storage import migrate
from commerce_async.storage.database import Database

with tempfile.TemporaryDirectory() as scratch:
    database = Database(settings.load(db_url=f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"))
    migrate.generate(database, sys.argv[1])
    database.dispose()
