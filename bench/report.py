"""RESULTS.md: the machine, the versions, the settings and commands, every section's figures, and
the summary table (also printed, and pasted into the README)."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

from bench.context import Context, Row, SectionResult
from bench.procs import ROOT

PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "msgspec",
    "sqlalchemy",
    "psycopg",
    "pika",
)


def machine() -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    return [
        f"{os.cpu_count()} × {cpu}, {memory}, {platform.system()} {platform.release()}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
    ]


def fsync_latency(folder: Path, count: int = 200) -> str:
    """Median and p99 of appending 4 KiB and fsync-ing it where the databases live: the floor
    under every durable commit (SQLite FULL syncs the WAL at each commit)."""
    from bench.stats import percentile

    path = folder / "fsync-probe"
    times = []
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        block = b"x" * 4096
        for _ in range(count):
            started = time.perf_counter()
            os.write(descriptor, block)
            os.fsync(descriptor)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(descriptor)
        path.unlink()
    return (
        f"fsync of a 4 KiB append in the database folder: median {percentile(times, 50):.2f} ms, "
        f"p99 {percentile(times, 99):.2f} ms ({count} samples)"
    )


def versions() -> list[str]:
    import sqlite3

    from bench.wrk import wrk_version

    found = []
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    found.append(f"SQLite {sqlite3.sqlite_version}")
    found.append(wrk_version())
    found.append(
        _command(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
            "PostgreSQL ",
        )
    )
    found.append(_rabbitmq())
    return [item for item in found if item]


def _command(command: list[str], prefix: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = done.stdout.strip().splitlines()
    return prefix + text[0] if done.returncode == 0 and text else ""


def _rabbitmq() -> str:
    version = _command(["rabbitmqctl", "version"], "RabbitMQ ")
    return version


def revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "commerce_async"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" with uncommitted changes in commerce_async/" if dirty else "")


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


def summary_table(rows: list[Row]) -> list[str]:
    lines = [
        "| metric | measured (median) | compared with | target | verdict |",
        "| --- | ---: | --- | --- | --- |",
    ]
    lines += [
        f"| {r.metric} | {r.value} | {r.reference} | {r.target} | {r.verdict} |" for r in rows
    ]
    return lines


def write(
    ctx: Context,
    path: Path,
    sections: list[SectionResult],
    started: float,
    load_before: str,
    command: str,
) -> str:
    rows = [row for section in sections for row in section.rows]
    elapsed = time.time() - started
    load_after = load_average()
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))} "
        f"in {elapsed / 60:.1f} minutes"
        + (
            " (quick mode: sizes and durations scaled down; a smoke run, not a result)"
            if ctx.plan.quick
            else ""
        )
        + f"; code at {revision()}.",
        "",
        "## Summary",
        "",
        *summary_table(rows),
        "",
        "Each figure is the median of "
        f"{ctx.plan.repeats} runs; sections give the spread as (lowest–highest, ±half-range, n).",
        "",
        "## Machine and settings",
        "",
        *(f"- {line}" for line in machine()),
        f"- Versions: {', '.join(versions())}",
        f"- Load average (1/5/15 min) before: {load_before}; after: {load_after}.",
        f"- CPUs: {ctx.cpus.describe()}.",
        f"- Durability: SQLite WAL, `COMMERCE_ASYNC_SQLITE_SYNCHRONOUS={ctx.synchronous}` for the "
        "service and the one-insert baseline (FULL: every commit is on disk before the answer).",
        "- Processes: one server process (`commerce-async serve`, uvicorn with uvloop and "
        "httptools, one worker); consumers as stated per section (threads inside `serve` or "
        "`queue:consumers:start` processes). Log level: the default (INFO, JSON lines to a file "
        "under bench/out/logs/).",
        "- Fresh databases: every section starts from a fresh SQLite file installed through the "
        f"CLI (`{' ; '.join(ctx.template_commands)}`), copied per section; PostgreSQL sections "
        "create a fresh database (and RabbitMQ a fresh vhost) and install into it the same way.",
        *(f"- {note[:1].upper()}{note[1:]}" for note in ctx.notes),
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        if section.error:
            lines += [f"**This section failed:** {section.error}", ""]
        lines += section.lines
        if section.load:
            lines += [
                "",
                f"Measured {section.measured}; load average (1 min) at the start and end of the "
                f"section: {section.load} (the benchmark's own processes account for about 2).",
            ]
        if section.commands:
            lines += ["", "Commands:", "", "```"]
            lines += _unique(section.commands)
            lines += ["```"]
        lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def _unique(commands: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for command in commands:
        seen.setdefault(command, None)
    return list(seen)
