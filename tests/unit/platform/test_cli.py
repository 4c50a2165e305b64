"""The command line: setup, users, integrations, stores (real processes, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from commerce_async.cli import main
from tests.support import cli as cli_process
from tests.support import process_env


class Completed:
    """What a command printed and returned (same shape as a finished process)."""

    def __init__(self, result: Result) -> None:
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.returncode = result.exit_code


def cli(env: dict[str, str], *args: str, check: bool = True) -> Completed:
    """Run a command in-process (the process path is covered by test_setup_in_a_process)."""
    result = Completed(CliRunner().invoke(main, list(args), env=env))
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = process_env(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    environment["COMMERCE_ASYNC_LOG_FORMAT"] = "text"
    assert cli(environment, "setup:upgrade").stdout == (
        "Schema is up to date. Default stores created.\n"
    )
    return environment


def test_setup_in_a_process(tmp_path: Path) -> None:
    environment = process_env(f"sqlite:///{tmp_path / 'process.sqlite3'}")
    result = cli_process(environment, "setup:upgrade")
    assert result.stdout == "Schema is up to date. Default stores created.\n"


def test_setup_upgrade_is_idempotent(env: dict[str, str]) -> None:
    assert cli(env, "setup:upgrade").stdout == "Schema is up to date.\n"


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    environment = process_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = cli(environment, "store:list", check=False)
    assert result.returncode == 1
    assert "The database schema is not up to date. Run: commerce-async setup:upgrade" in (
        result.stderr
    )


def test_store_hierarchy_commands(env: dict[str, str]) -> None:
    assert cli(env, "store:website:create", "--code", "eu", "--name", "Europe").stdout == (
        "Created website eu (id 2).\n"
    )
    assert (
        cli(
            env,
            "store:group:create",
            "--code",
            "eu_store",
            "--name",
            "EU Store",
            "--website-id",
            "2",
        ).stdout
        == "Created store group eu_store (id 2).\n"
    )
    assert (
        cli(env, "store:view:create", "--code", "fr", "--name", "French", "--group-id", "2").stdout
        == "Created store view fr (id 2).\n"
    )
    assert (
        cli(
            env,
            "store:view:create",
            "--code",
            "fixturestore",
            "--name",
            "Fixture Store",
            "--inactive",
        ).stdout
        == "Created store view fixturestore (id 3).\n"
    )
    listing = cli(env, "store:list").stdout
    for fragment in ("admin", "default", "fr", "eu (2)", "eu_store (2)", "fixturestore"):
        assert fragment in listing
    duplicate = cli(env, "store:view:create", "--code", "fr", "--name", "Again", check=False)
    assert duplicate.returncode == 1
    assert 'Store with the same code "fr" already exists.' in duplicate.stderr
    reserved = cli(env, "store:view:create", "--code", "all", "--name", "All", check=False)
    assert 'The store code "all" is invalid.' in reserved.stderr


def test_admin_user_and_integration(env: dict[str, str]) -> None:
    created = cli(
        env,
        "admin:user:create",
        "--admin-user",
        "jane",
        "--admin-password",
        "Secret123",
        "--admin-email",
        "jane@example.com",
    )
    assert created.stdout == "Created admin user jane (id 1).\n"
    weak = cli(
        env, "admin:user:create", "--admin-user", "joe", "--admin-password", "short", check=False
    )
    assert weak.returncode == 1
    assert "at least 7 characters" in weak.stderr
    token = cli(
        env,
        "integration:create",
        "--name",
        "erp",
        "--resources",
        "Magento_Catalog::products,Magento_Backend::store",
    ).stdout.strip()
    assert len(token) >= 32
    none = cli(env, "integration:create", "--name", "empty", check=False)
    assert "Name at least one ACL resource" in none.stderr


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.output
