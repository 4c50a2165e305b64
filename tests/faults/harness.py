"""Real processes for fault tests, and direct looks at the SQLite file they share.

Processes run ``python -m tests.faults.launch`` (the shipped command line plus the probe routes)
with their output captured to a log file, so a failing test can show what the process said.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from commerce_async import bootstrap
from commerce_async.setup import upgrade
from tests.faults import probe
from tests.support import ROOT, free_port, make_settings

LAUNCHER = "tests.faults.launch"


def probe_services(tmp_path: Path, **overrides: Any) -> bootstrap.Services:
    """Installed services whose route table includes the probe routes, with the probe table."""
    settings = make_settings(tmp_path, **overrides)
    services = bootstrap.build(settings, routes=[*bootstrap.collect_routes(), *probe.ROUTES])
    upgrade(services)
    services.db.run(probe.create_tables)
    return services


def env_for(services: bootstrap.Services, **settings: Any) -> dict[str, str]:
    """Environment of a child process: same database, extra ``COMMERCE_ASYNC_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_ASYNC_")}
    env["COMMERCE_ASYNC_DB_URL"] = services.settings.db_url
    env["COMMERCE_ASYNC_LOG_LEVEL"] = "WARNING"
    env["COMMERCE_ASYNC_SQLITE_SYNCHRONOUS"] = "NORMAL"
    for name, value in settings.items():
        env[f"COMMERCE_ASYNC_{name.upper()}"] = str(value)
    return env


class Process:
    """One child process running the command line with the given arguments."""

    def __init__(self, env: dict[str, str], args: list[str], log_path: Path) -> None:
        self.env = env
        self.args = args
        self.log_path = log_path
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", LAUNCHER, *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        if self.alive:
            assert self.popen is not None
            self.popen.send_signal(signal.SIGCONT)
            self.popen.kill()
            self.popen.wait(30)

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout)

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (resuming it first if frozen), then SIGKILL if it does not exit in time."""
        if self.popen is None:
            return None
        if self.alive:
            self.popen.send_signal(signal.SIGCONT)
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def consumer(env: dict[str, str], log_path: Path, *extra: str) -> Process:
    return Process(env, ["queue:consumers:start", "async.operations.all", *extra], log_path)


class Server(Process):
    def __init__(self, env: dict[str, str], log_path: Path, consumers: int = 0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            env, ["serve", "--port", str(self.port), "--consumers", str(consumers)], log_path
        )

    def start(self, timeout: float = 60.0) -> Server:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.output()}")


@contextlib.contextmanager
def stopped_at_exit(*processes: Process) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.stop(timeout=15)


class Look:
    """Read-only queries straight on the SQLite file (independent of the code under test)."""

    def __init__(self, services: bootstrap.Services) -> None:
        url = services.settings.db_url
        self.path = url[len("sqlite:///") :]

    def rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()

    def value(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        return self.rows(sql, parameters)[0][0]

    def status_counts(self) -> dict[int, int]:
        return dict(self.rows("SELECT status, count(*) FROM magento_operation GROUP BY status"))

    def open_operations(self) -> int:
        return self.value("SELECT count(*) FROM magento_operation WHERE status IN (2, 4)")

    def duplicated_effects(self) -> list[tuple[str, int]]:
        return self.rows("SELECT tag, count(*) FROM fault_effect GROUP BY tag HAVING count(*) > 1")

    def effect_tags(self) -> set[str]:
        return {row[0] for row in self.rows("SELECT tag FROM fault_effect")}

    def incomplete_bulks(self) -> list[tuple[str, int, int]]:
        """Bulks whose stored operations do not number ``operation_count``."""
        return self.rows(
            "SELECT b.uuid, b.operation_count, count(o.id) FROM magento_bulk b"
            " LEFT JOIN magento_operation o ON o.bulk_uuid = b.uuid"
            " GROUP BY b.uuid, b.operation_count HAVING count(o.id) != b.operation_count"
        )

    def operations_without_message(self) -> int:
        """Open operations that no queue message will ever deliver."""
        return self.value(
            "SELECT count(*) FROM magento_operation o WHERE o.status = 4 AND NOT EXISTS"
            " (SELECT 1 FROM queue_message q WHERE q.bulk_uuid = o.bulk_uuid"
            " AND q.operation_key = o.operation_key)"
        )


def wait_until(predicate: Any, timeout: float, message: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (not within {timeout:.0f}s)")
        time.sleep(interval)


def completed_operations(look: Look) -> int:
    return look.value("SELECT count(*) FROM magento_operation WHERE status = 1")


def kill_points(total: int, kills: int, chance: random.Random) -> list[int]:
    """Completed-operation counts at which to kill: one random point in each of ``kills`` equal
    slices of the first 85% of the run, so kills spread over it and work always remains."""
    slot = total * 0.85 / kills
    return [int(slot * (kill + chance.uniform(0.1, 0.9))) for kill in range(kills)]


class ConsumerPool:
    """Consumer processes sharing one log; ``kill_one`` SIGKILLs a random running one (at
    whatever it is doing: claiming, executing, committing or idle) and starts a replacement."""

    def __init__(
        self, look: Look, env: dict[str, str], log_path: Path, chance: random.Random, size: int = 2
    ) -> None:
        self.look = look
        self.env = env
        self.log_path = log_path
        self.chance = chance
        self.processes = [consumer(env, log_path).start() for _ in range(size)]
        self.kills = 0
        self.kills_with_work_in_flight = 0

    def has_started(self, process: Process) -> bool:
        """A consumer writes its heartbeat row as soon as its loop runs."""
        return bool(
            self.look.value("SELECT count(*) FROM consumer_heartbeat WHERE pid = ?", (process.pid,))
        )

    def kill_one(self) -> None:
        running = wait_until(
            lambda: [i for i, p in enumerate(self.processes) if self.has_started(p)],
            120,
            f"no consumer started:\n{self.log_path.read_text()}",
        )
        index = self.chance.choice(running)
        in_flight = self.look.value(
            "SELECT count(*) FROM queue_message WHERE lease_expires > ?", (time.time(),)
        )
        self.processes[index].kill()
        self.kills += 1
        self.kills_with_work_in_flight += in_flight > 0
        self.processes[index] = consumer(self.env, self.log_path).start()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def is_stopped(process: Process) -> bool:
    """Whether the process is stopped by a signal (state ``T`` in ``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")
