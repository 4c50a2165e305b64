"""3. Execution: product upserts executed per second by a consumer process, per backend.

Per repeat: accept N new products through bulk requests while no consumer runs (for RabbitMQ,
also wait until the relay published every message), then start one
``queue:consumers:start`` process and wait until no operation is open. The rate is taken from the
operations' own ``finished_at`` stamps ((N - 1) / (last - first)), so the consumer's start-up is
not part of it; the wall time from spawning the process to the last outcome is reported too.
Every operation must end complete (status 1) with its result stored, or the run fails.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench import profile
from bench.context import Context, Row, SectionResult, verdict
from bench.procs import BenchError, Probe, Stack, postgres_database, rabbitmq_vhost
from bench.sections.common import (
    failure_sample,
    finish_window,
    open_operations,
    post_bulks,
    status_counts,
    wait_until,
)
from bench.stats import figure, number, summarize

KEY = "execution"
TITLE = "3. Execution: product upserts executed per second"
TARGET_SQLITE = 3000


@dataclass(frozen=True)
class Backend:
    key: str
    label: str
    database: str
    queue: str


BACKENDS = (
    Backend("sqlite-db", "SQLite + database queue", "sqlite", "db"),
    Backend("pg-db", "PostgreSQL + database queue", "postgresql", "db"),
    Backend("pg-amqp", "PostgreSQL + RabbitMQ", "postgresql", "amqp"),
)


@contextlib.contextmanager
def installed(ctx: Context, backend: Backend) -> Iterator[Stack]:
    if backend.database == "sqlite" and backend.queue == "db":
        yield ctx.sqlite_stack(f"exec-{backend.key}")
        return
    with contextlib.ExitStack() as resources:
        db_url = resources.enter_context(postgres_database(backend.key.replace("-", "_")))
        queue_url = "db"
        if backend.queue == "amqp":
            queue_url = resources.enter_context(rabbitmq_vhost(backend.key))
        yield ctx.installed_stack(f"exec-{backend.key}", db_url, queue_url)


def run(ctx: Context) -> SectionResult:
    result = SectionResult(KEY, TITLE)
    operations = ctx.plan.execution_ops
    result.add(
        f"{operations:,} new products per repeat, accepted in bulks of 1,000 before the "
        "consumer starts; one consumer process (`queue:consumers:start`, batch "
        "`COMMERCE_ASYNC_CONSUMER_BATCH`=64 default) pinned to the service CPU; the server "
        "(`serve --consumers 0`) stays up but idle. PostgreSQL and RabbitMQ run unpinned on the "
        "same two CPUs. Each operation's outcome row (status, message, result JSON) is written "
        "in the same transaction as the product.",
        "",
        "| backend | operations/s | wall s (incl. consumer start) | µs per operation |",
        "| --- | ---: | ---: | ---: |",
    )
    for backend in BACKENDS:
        try:
            rates, walls, commands = _measure(ctx, backend, operations)
        except Exception as error:  # a backend that fails is reported, not hidden
            message = f"{type(error).__name__}: {error}".strip().replace("\n", " ")[:600]
            result.add(f"| {backend.label} | failed: {message} | | |")
            result.rows.append(
                Row(f"Execution, {backend.label} (ops/s)", "failed", message[:120], "", "failed")
            )
            continue
        result.commands += commands
        rate = summarize(rates)
        wall = summarize(walls)
        result.add(
            f"| {backend.label} | {figure(rate)} | {figure(wall, 2)} | "
            f"{number(1e6 / rate.median, 0)} |"
        )
        target = f"≥ {TARGET_SQLITE:,}" if backend.key == "sqlite-db" else ""
        met = rate.median >= TARGET_SQLITE if backend.key == "sqlite-db" else None
        result.rows.append(
            Row(
                f"Execution, {backend.label} (ops/s)",
                number(rate.median),
                f"{number(1e6 / rate.median)} µs per operation",
                target,
                verdict(met),
            )
        )
    if ctx.profile:
        result.add("", "Consumer profile (SQLite): `bench/out/consumer-sqlite-db.md`.")
    return result


def _measure(ctx: Context, backend: Backend, operations: int):
    rates: list[float] = []
    walls: list[float] = []
    with installed(ctx, backend) as stack:
        server = stack.serve(consumers=0)
        client = server.client()
        probe = Probe(stack.env["COMMERCE_ASYNC_DB_URL"])
        try:
            for index in range(ctx.plan.repeats):
                skus = [f"exe{index}-{n}" for n in range(operations)]
                uuids = post_bulks(client, skus, 1000)
                if backend.queue == "amqp":
                    wait_until(
                        lambda: probe.scalar("SELECT count(*) FROM queue_message") == 0,
                        300,
                        "the outbox relay to publish every message",
                    )
                started = time.monotonic()
                consumer = stack.consumer()
                sampler = None
                if ctx.profile and index == 0 and backend.key == "sqlite-db":
                    # Start sampling once outcomes appear, so imports and start-up are left out.
                    wait_until(
                        lambda: open_operations(probe) < operations, 120, "the first outcomes"
                    )
                    sampler = profile.start(
                        consumer.pid, 3, f"consumer-{backend.key}", ctx.cpus.load
                    )
                wait_until(
                    lambda c=consumer: (c.check_alive(), open_operations(probe) == 0)[1],
                    600,
                    f"{operations:,} operations to finish ({backend.label})",
                    interval=0.05,
                )
                walls.append(time.monotonic() - started)
                if sampler is not None:
                    profile.finish(*sampler, f"Consumer profile, {backend.label}")
                consumer.stop()
                counts = status_counts(probe, uuids)
                if counts != {1: operations}:
                    raise BenchError(
                        f"outcomes {counts}, expected {operations} complete: "
                        + failure_sample(probe, uuids)
                    )
                done, first, last = finish_window(probe, uuids)
                rates.append((done - 1) / (last - first))
        finally:
            client.close()
            probe.close()
            stack.stop()
    return rates, walls, stack.commands
