"""What every benchmark section shares: the plan (sizes and durations), the run's context
(CPUs, durability, folders, the installed template database) and the result types."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import Cpus, Stack, cli_prefix, service_env, sqlite_url
from bench.stats import Spread


@dataclass(frozen=True)
class Plan:
    """Sizes and durations; ``quick`` scales everything down to a smoke run."""

    quick: bool
    repeats: int
    wrk_seconds: float
    warmup_seconds: float
    connections: int
    fixed_rate: int
    bulk_items: int
    execution_ops: int
    e2e_samples: int
    versus_items: int
    versus_bulk_size: int
    versus_clients: int
    status_ops: int
    status_bulk_size: int
    memory_ops: tuple[int, int]

    @classmethod
    def full(cls) -> Plan:
        return cls(
            quick=False,
            repeats=3,
            wrk_seconds=10,
            warmup_seconds=2,
            connections=64,
            fixed_rate=1000,
            bulk_items=10_000,
            execution_ops=20_000,
            e2e_samples=300,
            versus_items=100_000,
            versus_bulk_size=1000,
            versus_clients=8,
            status_ops=1_000_000,
            status_bulk_size=100,
            memory_ops=(1_000, 1_000_000),
        )

    @classmethod
    def smoke(cls) -> Plan:
        return cls(
            quick=True,
            repeats=3,
            wrk_seconds=1,
            warmup_seconds=1,
            connections=64,
            fixed_rate=1000,
            bulk_items=10_000,
            execution_ops=1_000,
            e2e_samples=30,
            versus_items=1_000,
            versus_bulk_size=1000,
            versus_clients=8,
            status_ops=50_000,
            status_bulk_size=100,
            memory_ops=(1_000, 50_000),
        )


@dataclass
class Row:
    """One line of the summary table."""

    metric: str
    value: str
    reference: str
    target: str
    verdict: str


@dataclass
class SectionResult:
    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    error: str | None = None
    load: str = ""
    """1-minute load average at the start and end of the section (others' work shows here)."""
    measured: str = ""
    """When the section ran (UTC); sections kept from an earlier run keep their own."""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SectionResult:
        rows = [Row(**row) for row in data.pop("rows")]
        return cls(**data, rows=rows)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "**missed**")


@dataclass
class Context:
    plan: Plan
    cpus: Cpus
    synchronous: str
    workdir: Path
    logs: Path
    profile: bool
    out: Path
    template: Path | None = None
    template_token: str = ""
    template_commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    baselines: dict[str, Spread] = field(default_factory=dict)

    def env(self, db_url: str, queue_url: str = "db") -> dict[str, str]:
        return service_env(db_url, queue_url, self.synchronous)

    def install_template(self) -> None:
        """Install once through the CLI (``setup:upgrade`` + ``integration:create``); every
        SQLite section starts from a copy of this fresh database."""
        path = self.workdir / "template" / "commerce.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        stack = Stack("template", self.env(sqlite_url(path)), self.logs, self.cpus)
        self.template_token = stack.install()
        # Fold the WAL into the main file so a plain copy is a complete database.
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.template = path
        self.template_commands = stack.commands

    def sqlite_stack(self, name: str) -> Stack:
        """A fresh SQLite installation (a copy of the template) in its own folder."""
        assert self.template is not None, "install_template() first"
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "commerce.sqlite3"
        shutil.copyfile(self.template, path)
        stack = Stack(name, self.env(sqlite_url(path)), self.logs, self.cpus)
        stack.token = self.template_token
        return stack

    def installed_stack(self, name: str, db_url: str, queue_url: str = "db") -> Stack:
        """A fresh installation through the CLI on an empty database (PostgreSQL)."""
        stack = Stack(name, self.env(db_url, queue_url), self.logs, self.cpus)
        stack.install()
        return stack


def sqlite_path_of(stack: Stack) -> Path:
    return Path(stack.env["COMMERCE_ASYNC_DB_URL"][len("sqlite:///") :])


def cli_name() -> str:
    return Path(cli_prefix()[0]).name
