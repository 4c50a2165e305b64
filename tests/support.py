"""Test helpers shared by every suite: services on a real SQLite file, tokens, HTTP clients,
and real server / consumer processes for acceptance tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from commerce_async import bootstrap, settings
from commerce_async.auth import tokens
from commerce_async.auth.service import create_admin_user, create_integration
from commerce_async.setup import upgrade
from commerce_async.webapi.routes import USER_ADMIN

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "Admin123secret"


def make_settings(tmp_path: Path, **overrides: Any) -> settings.Settings:
    values: dict[str, Any] = {
        "db_url": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "sqlite_synchronous": "NORMAL",
        "log_level": "WARNING",
        "retry_backoff": 0.05,
    }
    values.update(overrides)
    return settings.load(environ={}, **values)


def make_services(tmp_path: Path, **overrides: Any) -> bootstrap.Services:
    services = bootstrap.build(make_settings(tmp_path, **overrides))
    upgrade(services)
    return services


def admin_token(services: bootstrap.Services, username: str = "admin") -> str:
    """An admin user and a token for it, without the slow password check of the token route."""
    from commerce_async.storage import schema

    def work(tx: Any) -> str:
        row = tx.first(schema.admin_user.select().where(schema.admin_user.c.username == username))
        user_id = row.user_id if row else create_admin_user(tx, username, ADMIN_PASSWORD)
        return tokens.issue(tx, USER_ADMIN, user_id, 3600, time.time())

    return services.db.run(work)


def integration_token(
    services: bootstrap.Services, name: str, resources: list[str] | None = None
) -> str:
    return services.db.run(
        lambda tx: create_integration(tx, name, resources or [], resources is None)[1]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commerce_async.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        cwd=ROOT,
        timeout=120,
    )


def process_env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_ASYNC_")}
    env.update({"COMMERCE_ASYNC_DB_URL": db_url, "COMMERCE_ASYNC_LOG_LEVEL": "WARNING"})
    env.update(extra)
    return env


class ServerProcess:
    """``commerce-async serve`` in a child process, on a free port."""

    def __init__(self, env: dict[str, str], consumers: int = 0, log_path: Path | None = None):
        self.env = env
        self.consumers = consumers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> ServerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "commerce_async.cli",
                "serve",
                "--port",
                str(self.port),
                "--consumers",
                str(self.consumers),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start within {timeout}s")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class ConsumerProcess:
    """``commerce-async queue:consumers:start async.operations.all`` in a child process."""

    def __init__(self, env: dict[str, str], *args: str, log_path: Path | None = None) -> None:
        self.env = env
        self.args = args
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ConsumerProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "commerce_async.cli",
                "queue:consumers:start",
                "async.operations.all",
                *self.args,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode if self.process else None


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@contextlib.contextmanager
def running(*processes: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.stop()
