"""5. Async versus sync: the same new products written through bulk requests (until every
operation is complete) and through synchronous ``PUT /V1/products/:sku`` with 8 concurrent
clients (wrk walking the SKUs, `bench/lua/put_walk.lua`). Both services get the same single CPU.
"""

from __future__ import annotations

import time

from bench import wrk
from bench.context import Context, Row, SectionResult, verdict
from bench.procs import BenchError, Probe
from bench.sections.common import (
    SYNC_PRODUCT,
    failure_sample,
    open_operations,
    post_bulks,
    product_template,
    status_counts,
    wait_until,
)
from bench.stats import figure, number, ratio, summarize

KEY = "versus"
TITLE = "5. Async versus sync: the same upserts both ways"


def run(ctx: Context) -> SectionResult:
    result = SectionResult(KEY, TITLE)
    items = ctx.plan.versus_items
    bulk_size = ctx.plan.versus_bulk_size
    async_walls = _async(ctx, items, bulk_size, result)
    sync_walls = _sync(ctx, items, result)
    async_spread = summarize(async_walls)
    sync_spread = summarize(sync_walls)
    speedup = sync_spread.median / async_spread.median
    result.add(
        f"{items:,} new products each way, per repeat.",
        "",
        f"- async: {items // bulk_size} `POST /async/bulk/V1/products` of {bulk_size:,} sent one "
        "after another by the harness, into `serve --consumers 0` plus one "
        "`queue:consumers:start` process (both on the service CPU); the clock stops when no "
        "operation is open, every operation then being complete.",
        f"- sync: wrk `-t1 -c{ctx.plan.versus_clients}` `PUT /V1/products/<sku>` into "
        "`serve --consumers 0`; the clock stops at the last answer (each must be 200).",
        "",
        "| way | wall s | products/s |",
        "| --- | ---: | ---: |",
        f"| async bulk, until all complete | {figure(async_spread, 2)} | "
        f"{number(items / async_spread.median)} |",
        f"| sync PUT, {ctx.plan.versus_clients} clients | {figure(sync_spread, 2)} | "
        f"{number(items / sync_spread.median)} |",
        "",
        f"Async finishes the same work {ratio(speedup)} as fast as sync.",
    )
    result.rows.append(
        Row(
            f"{items:,} upserts: async bulk vs sync PUT ×{ctx.plan.versus_clients} (s)",
            f"{number(async_spread.median, 1)} vs {number(sync_spread.median, 1)}",
            f"async {ratio(speedup)} as fast",
            "async faster",
            verdict(speedup > 1),
        )
    )
    return result


def _async(ctx: Context, items: int, bulk_size: int, result: SectionResult) -> list[float]:
    stack = ctx.sqlite_stack("versus-async")
    server = stack.serve(consumers=0)
    consumer = stack.consumer()
    client = server.client()
    probe = Probe(stack.env["COMMERCE_ASYNC_DB_URL"])
    walls = []
    try:
        post_bulks(client, ["warm-a", "warm-b"], bulk_size)
        wait_until(lambda: open_operations(probe) == 0, 60, "the warm-up bulk")
        for index in range(ctx.plan.repeats):
            skus = [f"va{index}-{n}" for n in range(items)]
            started = time.perf_counter()
            uuids = post_bulks(client, skus, bulk_size)
            wait_until(
                lambda: (consumer.check_alive(), open_operations(probe) == 0)[1],
                1800,
                f"{items:,} async upserts",
                interval=0.02,
            )
            walls.append(time.perf_counter() - started)
            counts = status_counts(probe, uuids)
            if counts != {1: items}:
                raise BenchError(f"async outcomes {counts}: {failure_sample(probe, uuids)}")
    finally:
        client.close()
        probe.close()
        stack.stop()
    result.commands += stack.commands
    return walls


def _sync(ctx: Context, items: int, result: SectionResult) -> list[float]:
    stack = ctx.sqlite_stack("versus-sync")
    server = stack.serve(consumers=0)
    template = product_template(ctx)
    lua = wrk.script("put_walk", "put_walk")
    walls = []
    run = None
    try:
        for index in range(ctx.plan.repeats + 1):
            count = items if index else 100  # the first walk only warms the server up
            run = wrk.run(
                server.base_url,
                lua,
                [str(template), server.token, f"vs{index}-", str(count), SYNC_PRODUCT],
                duration=60 + count / 100,
                connections=ctx.plan.versus_clients,
                cpus=ctx.cpus.load,
            )
            extra = run.result.extra
            if extra.get("answered") != count or extra.get("failed"):
                raise BenchError(f"sync walk: {extra}:\n{run.output}")
            if index:
                walls.append(extra["walk_ms"] / 1000)
    finally:
        stack.stop()
    result.commands += stack.commands
    if run is not None:
        result.commands.append(run.shown())
    return walls
