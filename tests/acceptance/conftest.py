from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import ConsumerProcess, ServerProcess, cli, process_env


@dataclass
class Deployment:
    """A real server (no consumer inside) and the environment to start consumer processes."""

    env: dict[str, str]
    server: ServerProcess
    token: str
    tmp: Path

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def consumer(self, *args: str, name: str = "consumer") -> ConsumerProcess:
        return ConsumerProcess(self.env, *args, log_path=self.tmp / f"{name}.log")

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.auth, timeout=60)


def deploy(tmp: Path, **extra_env: str) -> Deployment:
    env = process_env(f"sqlite:///{tmp / 'acceptance.sqlite3'}", **extra_env)
    cli(env, "setup:upgrade")
    cli(env, "store:view:create", "--code", "fixturestore", "--name", "Fixture Store")
    token = cli(env, "integration:create", "--name", "acceptance", "--all-resources").stdout
    server = ServerProcess(env, consumers=0, log_path=tmp / "server.log").start()
    return Deployment(env, server, token.strip(), tmp)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One server and one separate consumer process for the whole module."""
    running = deploy(tmp_path_factory.mktemp("deployment"))
    consumer = running.consumer(name="module-consumer").start()
    try:
        yield running
    finally:
        consumer.stop()
        running.server.stop()
