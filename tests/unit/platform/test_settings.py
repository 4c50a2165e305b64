from pathlib import Path

import pytest

from commerce_async import settings
from commerce_async.settings import SettingsError


def test_defaults() -> None:
    loaded = settings.load(environ={})
    assert loaded.db_url == "sqlite:///var/commerce-async.sqlite3"
    assert loaded.queue_url == "db"
    assert (loaded.host, loaded.port, loaded.consumers) == ("127.0.0.1", 8080, 1)
    assert loaded.admin_token_lifetime == 4 * 3600
    assert (loaded.lockout_failures, loaded.lockout_seconds) == (6, 1800)


def test_environment_and_overrides() -> None:
    loaded = settings.load(
        environ={"COMMERCE_ASYNC_PORT": "9000", "COMMERCE_ASYNC_DEVELOPER_MODE": "true"},
        port=9100,
    )
    assert loaded.port == 9100
    assert loaded.developer_mode is True


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="Unknown setting COMMERCE_ASYNC_DB_ULR"):
        settings.load(environ={"COMMERCE_ASYNC_DB_ULR": "sqlite:///x"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "eighty", "COMMERCE_ASYNC_PORT='eighty' is not a valid int"),
        ("DB_URL", "mysql://x", "expected sqlite:///path or postgresql://"),
        ("QUEUE_URL", "redis://x", "expected 'db' or amqp://"),
        ("SQLITE_SYNCHRONOUS", "SOMETIMES", "must be OFF, NORMAL, FULL or EXTRA"),
        ("DEVELOPER_MODE", "maybe", "is not a valid bool"),
        ("PORT", "0", "COMMERCE_ASYNC_PORT must be positive"),
        ("SQLITE_CACHE_MIB", "-1", "COMMERCE_ASYNC_SQLITE_CACHE_MIB must be 0 or more"),
    ],
)
def test_malformed_settings_are_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("?", r"\?")):
        settings.load(environ={f"COMMERCE_ASYNC_{name}": value})


def test_cli_reports_a_bad_setting(tmp_path: Path) -> None:
    from tests.support import cli, process_env

    env = process_env(f"sqlite:///{tmp_path / 'x.sqlite3'}", COMMERCE_ASYNC_PROT="1")
    result = cli(env, "setup:upgrade", check=False)
    assert result.returncode == 1
    assert "Unknown setting COMMERCE_ASYNC_PROT" in result.stderr


def test_the_sqlite_page_cache_follows_its_setting(tmp_path: Path) -> None:
    from commerce_async.storage.database import Database

    for mib in (8, 2):
        loaded = settings.load(
            environ={
                "COMMERCE_ASYNC_DB_URL": f"sqlite:///{tmp_path / 'cache.sqlite3'}",
                "COMMERCE_ASYNC_SQLITE_CACHE_MIB": str(mib),
            }
        )
        database = Database(loaded)
        try:
            with database.read() as tx:
                assert tx.scalar("PRAGMA cache_size") == -mib * 1024
        finally:
            database.dispose()
