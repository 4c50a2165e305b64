"""Helpers several sections use: wrk repeats, product routes, polling, operation counts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import payloads, wrk
from bench.context import Context
from bench.procs import BenchError, Http, Probe
from bench.stats import Spread, summarize

ASYNC_PRODUCTS = "/rest/default/async/V1/products"
BULK_PRODUCTS = "/rest/default/async/bulk/V1/products"
SYNC_PRODUCT = "/rest/default/V1/products/"


def product_template(ctx: Context) -> Path:
    path = ctx.out / "product-template.json"
    path.write_bytes(payloads.product_template())
    return path


def wrk_repeats(
    ctx: Context,
    url: str,
    lua: Path,
    args: list[str],
    *,
    connections: int | None = None,
    seconds: float | None = None,
    warmup: bool = True,
) -> list[wrk.WrkRun]:
    """A short unrecorded warm-up, then ``plan.repeats`` recorded runs."""
    connections = connections or ctx.plan.connections
    seconds = seconds or ctx.plan.wrk_seconds
    if warmup:
        wrk.run(
            url,
            lua,
            args,
            duration=ctx.plan.warmup_seconds,
            connections=connections,
            cpus=ctx.cpus.load,
        )
    return [
        wrk.run(url, lua, args, duration=seconds, connections=connections, cpus=ctx.cpus.load)
        for _ in range(ctx.plan.repeats)
    ]


def spread_of(runs: list[wrk.WrkRun], value: Callable[[wrk.WrkRun], float]) -> Spread:
    return summarize(value(run) for run in runs)


def require_clean(runs: list[wrk.WrkRun], what: str) -> None:
    """Every response 2xx and no socket errors, or the figure does not count."""
    for run in runs:
        result = run.result
        if result.non_2xx or result.socket_errors:
            raise BenchError(
                f"{what}: {result.non_2xx} non-2xx responses and {result.socket_errors} socket "
                f"errors in {result.requests} requests:\n{run.output}"
            )


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def post_bulks(client: Http, skus: list[str], bulk_size: int) -> list[str]:
    """Accept products through ``POST /async/bulk/V1/products``; returns the bulk uuids."""
    uuids = []
    for start in range(0, len(skus), bulk_size):
        body = payloads.bulk_body(skus[start : start + bulk_size])
        answer = client.expect(202, "POST", BULK_PRODUCTS, body)
        if answer["errors"]:
            raise BenchError(f"bulk rejected items: {answer['request_items'][:3]}")
        uuids.append(answer["bulk_uuid"])
    return uuids


def open_operations(probe: Probe) -> int:
    return int(probe.scalar("SELECT count(*) FROM magento_operation WHERE status = 4"))


def status_counts(probe: Probe, uuids: list[str]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for status, count in probe.rows(
            f"SELECT status, count(*) FROM magento_operation WHERE bulk_uuid IN ({marks}) "
            "GROUP BY status",
            chunk,
        ):
            counts[int(status)] = counts.get(int(status), 0) + int(count)
    return counts


def failure_sample(probe: Probe, uuids: list[str]) -> str:
    marks = ",".join("?" * min(len(uuids), 500))
    rows = probe.rows(
        f"SELECT status, result_message FROM magento_operation WHERE bulk_uuid IN ({marks}) "
        "AND status <> 1 LIMIT 3",
        uuids[:500],
    )
    return "; ".join(f"status {status}: {message}" for status, message in rows)


def finish_window(probe: Probe, uuids: list[str]) -> tuple[int, float, float]:
    """(operations, first finished_at, last finished_at) over the given bulks."""
    count, first, last = 0, float("inf"), float("-inf")
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        row = probe.rows(
            "SELECT count(*), min(finished_at), max(finished_at) FROM magento_operation "
            f"WHERE bulk_uuid IN ({marks}) AND status = 1",
            chunk,
        )[0]
        if row[0]:
            count += int(row[0])
            first = min(first, float(row[1]))
            last = max(last, float(row[2]))
    return count, first, last
