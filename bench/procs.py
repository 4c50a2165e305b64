"""Processes and backends of a benchmark run: CPU pinning, the ``commerce-async`` CLI, servers and
consumers as real processes, fresh SQLite files / PostgreSQL databases / RabbitMQ vhosts, a small
HTTP client for orchestration, and memory readings from ``/proc``."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
AMQP_BASE_URL = "amqp://guest:guest@127.0.0.1:5672/"


class BenchError(RuntimeError):
    """A benchmark could not be run (a process died, a backend is missing, a check failed)."""


# --- CPUs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cpus:
    """Where load generators and the measured service run (``None``: not pinned)."""

    load: str | None
    service: str | None

    def describe(self) -> str:
        if self.service is None:
            return "not pinned (fewer than two CPUs available to the harness)"
        return (
            f"service processes pinned to CPU {self.service}, load generator and harness "
            f"to CPU {self.load} (`taskset -c`)"
        )


def plan_cpus() -> Cpus:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2 or shutil.which("taskset") is None:
        return Cpus(None, None)
    return Cpus(str(available[0]), str(available[1]))


def pinned(command: Sequence[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *command] if cpus is not None else list(command)


def pin_self(cpus: str | None) -> None:
    """Keep the harness's own Python (polling, HTTP orchestration) off the service's CPU."""
    if cpus is not None:
        os.sched_setaffinity(0, {int(cpus)})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes ------------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    command: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise BenchError(
                f"{self.name} exited with {self.popen.returncode}; log {self.log_path}:\n"
                + tail(self.log_path)
            )

    def memory_kb(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` (peak RSS) of the process, in kB."""
        return read_memory(self.pid)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        return self.popen.returncode


def read_memory(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def spawn(name: str, command: list[str], env: dict[str, str], log_path: Path) -> Proc:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )
    return Proc(name, command, popen, log_path)


def wait_http(proc: Proc, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.check_alive()
        with contextlib.suppress(OSError, http.client.HTTPException):
            host, port, path = _split(url)
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        time.sleep(0.05)
    raise BenchError(f"{proc.name} did not answer {url} within {timeout:.0f} s")


def _split(url: str) -> tuple[str, int, str]:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port or 80), "/" + path


# --- the service ----------------------------------------------------------------------------------


def cli_prefix() -> list[str]:
    script = Path(sys.executable).with_name("commerce-async")
    return [str(script)] if script.exists() else [sys.executable, "-m", "commerce_async.cli"]


def service_env(db_url: str, queue_url: str, synchronous: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_ASYNC_")}
    env.update(
        {
            "COMMERCE_ASYNC_DB_URL": db_url,
            "COMMERCE_ASYNC_QUEUE_URL": queue_url,
            "COMMERCE_ASYNC_SQLITE_SYNCHRONOUS": synchronous,
        }
    )
    env.update(extra)
    return env


@dataclass
class Stack:
    """One installation of the service: its settings (environment), a log folder, and the
    processes started from it."""

    name: str
    env: dict[str, str]
    logs: Path
    cpus: Cpus
    token: str = ""
    processes: list[Proc] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        command = [*cli_prefix(), *args]
        self.commands.append(" ".join(_shown(command)))
        done = subprocess.run(
            command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise BenchError(f"`{' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def install(self) -> str:
        """``setup:upgrade`` and an integration with every resource; returns its token."""
        self.cli("setup:upgrade")
        self.token = self.cli("integration:create", "--name", "bench", "--all-resources").strip()
        return self.token

    def serve(self, consumers: int, port: int | None = None) -> Server:
        port = port or free_port()
        command = pinned(
            [*cli_prefix(), "serve", "--port", str(port), "--consumers", str(consumers)],
            self.cpus.service,
        )
        self.commands.append(" ".join(_shown(command)))
        proc = spawn(f"server {self.name}", command, self.env, self.logs / f"{self.name}.log")
        self.processes.append(proc)
        server = Server(proc, f"http://127.0.0.1:{port}", self.token)
        wait_http(proc, server.base_url + "/health")
        return server

    def consumer(self, *args: str) -> Proc:
        command = pinned(
            [*cli_prefix(), "queue:consumers:start", "async.operations.all", *args],
            self.cpus.service,
        )
        self.commands.append(" ".join(_shown(command)))
        index = len(self.processes)
        proc = spawn(
            f"consumer {self.name}", command, self.env, self.logs / f"{self.name}-c{index}.log"
        )
        self.processes.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        self.processes.clear()


def _shown(command: Sequence[str]) -> list[str]:
    """The command as a reader would type it (the venv's script by its name)."""
    shown = [Path(part).name if part.endswith("/commerce-async") else part for part in command]
    return [Path(part).name if part == sys.executable else part for part in shown]


@dataclass
class Server:
    proc: Proc
    base_url: str
    token: str

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def client(self) -> Http:
        return Http(self.base_url, self.token)


def start_baseline(kind: str, logs: Path, cpus: Cpus, db: Path | None, synchronous: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline_app", kind, "--port", str(port)]
    if db is not None:
        command += ["--db", str(db), "--synchronous", synchronous]
    proc = spawn(
        f"baseline {kind}",
        pinned(command, cpus.service),
        dict(os.environ),
        logs / f"baseline-{kind}.log",
    )
    server = Server(proc, f"http://127.0.0.1:{port}", "")
    wait_http(proc, server.base_url + "/")
    return server


# --- HTTP for orchestration (not for load) --------------------------------------------------------


class Http:
    """A keep-alive HTTP/1.1 client for the harness's own few requests.

    A connection left idle for a while is replaced before the next request rather than retried
    after a failure: the server closes idle keep-alive connections (uvicorn after 5 s), and
    retrying a POST that may have arrived could accept it twice."""

    IDLE_SECONDS = 2.0

    def __init__(self, base_url: str, token: str = "") -> None:
        self.host, self.port, _ = _split(base_url)
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.last_used = time.monotonic()
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        if time.monotonic() - self.last_used > self.IDLE_SECONDS:
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        self.last_used = time.monotonic()
        return response.status, json.loads(data) if data else None

    def expect(self, status: int, method: str, path: str, body: bytes | None = None) -> Any:
        got, data = self.request(method, path, body)
        if got != status:
            raise BenchError(f"{method} {path}: expected {status}, got {got}: {data}")
        return data

    def close(self) -> None:
        self.connection.close()


# --- databases and brokers ------------------------------------------------------------------------


class Probe:
    """Reads (and, for generated data, writes) a service's database directly."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.is_sqlite = db_url.startswith("sqlite:///")
        if self.is_sqlite:
            self.connection: Any = sqlite3.connect(
                db_url[len("sqlite:///") :], isolation_level=None, timeout=60
            )
        else:
            import psycopg

            self.connection = psycopg.connect(db_url, autocommit=True)

    def _sql(self, sql: str) -> str:
        return sql if self.is_sqlite else sql.replace("?", "%s")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.connection.execute(self._sql(sql), params)
        return list(cursor.fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.connection.close()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextlib.contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    except psycopg.Error as error:
        raise BenchError(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {error}") from None
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@contextlib.contextmanager
def rabbitmq_vhost(label: str) -> Iterator[str]:
    """A fresh RabbitMQ virtual host (so no other user of the broker sees our queues), deleted
    afterwards. Falls back to the default vhost when ``rabbitmqctl`` is not usable."""
    name = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    ctl = shutil.which("rabbitmqctl")
    created = False
    if ctl is not None:
        done = subprocess.run([ctl, "add_vhost", name], capture_output=True, timeout=60)
        if done.returncode == 0:
            subprocess.run(
                [ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                capture_output=True,
                timeout=60,
                check=True,
            )
            created = True
    try:
        yield AMQP_BASE_URL + name if created else AMQP_BASE_URL
    finally:
        if created:
            subprocess.run([ctl, "delete_vhost", name], capture_output=True, timeout=60)  # type: ignore[list-item]
