"""Generate a migration from the difference between storage/schema.py and the migrations.

Usage:
  python scripts/make_migration.py "what changed"   a new migration on top of the others
  python scripts/make_migration.py --reset          regenerate the single initial migration
                                                    (only while no release has shipped)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from commerce_async import settings
from commerce_async.storage import migrate
from commerce_async.storage.database import Database

VERSIONS = migrate.MIGRATIONS / "versions"

with tempfile.TemporaryDirectory() as scratch:
    database = Database(settings.load(environ={}, db_url=f"sqlite:///{Path(scratch) / 's.db'}"))
    if sys.argv[1:] == ["--reset"]:
        for script in VERSIONS.glob("*.py"):
            script.unlink()
        with database.engine.begin() as connection:
            command.revision(
                migrate._config(connection),
                message="initial schema",
                autogenerate=True,
                rev_id="0001",
            )
    else:
        migrate.generate(database, sys.argv[1])
    database.dispose()

# Generated code follows the project's style like any other code.
ruff = Path(sys.executable).with_name("ruff")
subprocess.run([str(ruff), "check", "--fix", "--quiet", str(VERSIONS)], check=False)
subprocess.run([str(ruff), "format", "--quiet", str(VERSIONS)], check=False)
