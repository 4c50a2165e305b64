"""One frozen settings object, read from ``COMMERCE_ASYNC_*`` environment variables and CLI flags.

Every field is documented here and in the README's configuration table. An environment variable
with the prefix that names no field, or a value that does not parse, stops the program at start
with a clear message: a misspelled setting must never be silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

PREFIX = "COMMERCE_ASYNC_"


class SettingsError(ValueError):
    """A setting is unknown or malformed."""


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str = "sqlite:///var/commerce-async.sqlite3"
    """Where data lives: ``sqlite:///relative/path``, ``sqlite:////abs/path`` or ``postgresql://...``."""
    queue_url: str = "db"
    """Message transport: ``db`` (a table in the database) or ``amqp://user:pass@host:5672/vhost``."""
    host: str = "127.0.0.1"
    port: int = 8080
    consumers: int = 1
    """Consumer threads run inside ``serve`` (0 turns them off)."""
    sqlite_synchronous: str = "FULL"
    """SQLite ``PRAGMA synchronous``: FULL makes every commit survive power loss; NORMAL survives
    process crashes only."""
    sqlite_busy_timeout: float = 30.0
    """Seconds a SQLite transaction waits for another process's lock before giving up: the API
    then answers 503 and consumers retry."""
    sqlite_cache_mib: int = 8
    """SQLite page cache per connection, in MiB: the bound on the memory a long-running process
    spends on cached database pages (the operating system caches the file as well)."""
    max_body_bytes: int = 64 * 1024 * 1024
    """Largest request body accepted; larger bodies get 413."""
    admin_token_lifetime: int = 4 * 3600
    customer_token_lifetime: int = 3600
    admin_cookie_secure: bool = False
    """Mark the admin page's session cookie ``Secure`` (browsers then send it over HTTPS only):
    turn on when the service is reached through HTTPS, directly or behind a TLS proxy."""
    lockout_failures: int = 6
    lockout_seconds: int = 1800
    lease_seconds: float = 60.0
    """How long a consumer owns a claimed operation before another consumer may take it."""
    max_attempts: int = 5
    """Executions of an operation that fails transiently before it stays failed (status 2)."""
    retry_backoff: float = 0.5
    """Seconds before the first automatic retry; doubles with each attempt."""
    consumer_batch: int = 64
    """Operations a consumer claims and commits at once."""
    drain_seconds: float = 30.0
    """On SIGTERM, how long a consumer may finish its current batch before it releases it."""
    writer_batch: int = 512
    """Most jobs the group-commit writer puts in one transaction."""
    developer_mode: bool = False
    """Error bodies of unexpected failures carry the exception and trace (never in production)."""
    product_not_found_message: str = "2.4"
    """``2.4``: "The product that was requested doesn't exist..."; ``develop``: the newer
    "The product with SKU "%1" does not exist." text."""
    log_level: str = "INFO"
    log_format: str = "json"
    """``json`` (one object per line) or ``text``."""
    bulk_lifetime_days: int = 60
    """Bulks older than this are deleted by the housekeeping task."""

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def uses_amqp(self) -> bool:
        return self.queue_url.startswith(("amqp://", "amqps://"))


def _convert(name: str, raw: str, kind: Any) -> Any:
    try:
        if kind in (bool, "bool"):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        return raw
    except ValueError:
        raise SettingsError(
            f"{PREFIX}{name.upper()}={raw!r} is not a valid {getattr(kind, '__name__', kind)}"
        ) from None


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit overrides (CLI flags)."""
    environ = os.environ if environ is None else environ
    known = {field.name: field for field in fields(Settings)}
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        if name not in known:
            choices = ", ".join(PREFIX + n.upper() for n in sorted(known))
            raise SettingsError(f"Unknown setting {key}. Known settings: {choices}")
        values[name] = _convert(name, raw, known[name].type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if not settings.db_url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
        raise SettingsError(
            f"{PREFIX}DB_URL={settings.db_url!r}: expected sqlite:///path or postgresql://..."
        )
    if settings.queue_url != "db" and not settings.uses_amqp:
        raise SettingsError(
            f"{PREFIX}QUEUE_URL={settings.queue_url!r}: expected 'db' or amqp://user:pass@host/"
        )
    if settings.sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise SettingsError(f"{PREFIX}SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA")
    if settings.log_format not in ("json", "text"):
        raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or text")
    if settings.product_not_found_message not in ("2.4", "develop"):
        raise SettingsError(f"{PREFIX}PRODUCT_NOT_FOUND_MESSAGE must be 2.4 or develop")
    for name in ("port", "max_body_bytes", "max_attempts", "consumer_batch", "writer_batch"):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
    if settings.sqlite_cache_mib < 0:
        raise SettingsError(f"{PREFIX}SQLITE_CACHE_MIB must be 0 or more")
    if settings.sqlite_busy_timeout < 0:
        raise SettingsError(f"{PREFIX}SQLITE_BUSY_TIMEOUT must be 0 or more")
    if settings.consumers < 0:
        raise SettingsError(f"{PREFIX}CONSUMERS must be 0 or more")
