"""2. Bulk accept: one 10,000-item ``POST /async/bulk/V1/products``, timed by the client from the
first byte sent to the last byte of the 202."""

from __future__ import annotations

import time

from bench import payloads, profile
from bench.context import Context, Row, SectionResult, verdict
from bench.procs import BenchError, Probe
from bench.sections.accept import db_size_note
from bench.sections.common import BULK_PRODUCTS
from bench.stats import figure, number, summarize

KEY = "bulk"
TITLE = "2. Bulk accept: one 10,000-item `POST /async/bulk/V1/products`"
TARGET_SECONDS = 0.5


def run(ctx: Context) -> SectionResult:
    result = SectionResult(KEY, TITLE)
    items = ctx.plan.bulk_items
    stack = ctx.sqlite_stack("bulk")
    server = stack.serve(consumers=0)
    probe = Probe(stack.env["COMMERCE_ASYNC_DB_URL"])
    client = server.client()
    seconds = []
    body_size = 0
    sampler = None
    try:
        client.expect(202, "POST", BULK_PRODUCTS, payloads.bulk_body(["warm-1", "warm-2"]))
        if ctx.profile:
            sampler = profile.start(server.proc.pid, 60, "bulk-server", ctx.cpus.load)
        for index in range(ctx.plan.repeats):
            body = payloads.bulk_body([f"bulk{index}-{n}" for n in range(items)])
            body_size = len(body)
            started = time.perf_counter()
            status, answer = client.request("POST", BULK_PRODUCTS, body)
            seconds.append(time.perf_counter() - started)
            if status != 202 or answer["errors"]:
                raise BenchError(f"bulk accept answered {status}: {str(answer)[:500]}")
            stored = probe.scalar(
                "SELECT count(*) FROM magento_operation WHERE bulk_uuid = ? AND status = 4",
                [answer["bulk_uuid"]],
            )
            if stored != items:
                raise BenchError(f"bulk {answer['bulk_uuid']}: {stored} of {items} rows stored")
        if sampler is not None:
            summary = profile.finish(
                *sampler, "Server profile during 10,000-item bulk accepts", early=True
            )
            result.add(
                "Profile of the server during the bulk requests (py-spy; "
                "`bench/out/bulk-server.md`), top functions by own time:",
                "",
                "| % | samples | function |",
                "| ---: | ---: | --- |",
                *profile.top_own(summary.read_text(), 8),
                "",
            )
    finally:
        client.close()
        probe.close()
        stack.stop()
    result.commands = stack.commands
    spread = summarize(seconds)
    rate = summarize(items / s for s in seconds)
    result.add(
        f"Body: {items:,} products, {body_size / 1e6:.1f} MB of JSON, sent by the harness over one "
        "keep-alive connection (`http.client`); the time runs from sending the request to "
        "reading the whole 202 (which lists every item's `data_hash`). After each request the "
        f"database held all {items:,} operations, open. Server: `serve --consumers 0`. "
        f"{db_size_note(stack)}",
        "",
        f"- seconds per request: {figure(spread, 3)}",
        f"- items/s: {figure(rate)}",
    )
    result.rows.append(
        Row(
            f"Bulk accept of {items:,} items (s)",
            number(spread.median, 3),
            f"{number(rate.median)} items/s",
            f"< {TARGET_SECONDS} s",
            verdict(spread.median < TARGET_SECONDS),
        )
    )
    return result
