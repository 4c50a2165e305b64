"""6. Status at scale: ``GET /V1/bulk/:uuid/status`` and ``/operation-status/1`` latency with a
million operations stored (rows generated with batched inserts, `bench/generate.py`)."""

from __future__ import annotations

import random

from bench import generate, wrk
from bench.context import Context, Row, SectionResult, sqlite_path_of, verdict
from bench.sections.common import require_clean, spread_of
from bench.stats import figure, number

KEY = "status"
TITLE = "6. Status at scale"
TARGET_P99_MS = 20.0
ROUTES = (
    ("`GET /V1/bulk/:uuid/status`", "/rest/V1/bulk/{}/status"),
    ("`GET /V1/bulk/:uuid/operation-status/1`", "/rest/V1/bulk/{}/operation-status/1"),
)


def run(ctx: Context) -> SectionResult:
    result = SectionResult(KEY, TITLE)
    per_bulk = ctx.plan.status_bulk_size
    bulks = ctx.plan.status_ops // per_bulk
    stack = ctx.sqlite_stack("status")
    path = sqlite_path_of(stack)
    generated = generate.write(
        path,
        bulks=bulks,
        per_bulk=per_bulk,
        status_of=generate.mixed_status,
        sku_of=lambda n: f"st-{n}",
        user_id=generate.integration_user(path),
    )
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    lua = wrk.script("get_paths", "get_paths")
    rng = random.Random(7)
    sample = rng.sample(generated.bulk_uuids, min(1000, len(generated.bulk_uuids)))
    server = stack.serve(consumers=0)
    figures = []
    try:
        for label, template in ROUTES:
            paths = ctx.out / f"status-paths-{len(figures)}.txt"
            paths.write_text("\n".join(template.format(u) for u in sample) + "\n")
            runs = []
            wrk.run(
                server.base_url,
                lua,
                [str(paths), server.token],
                duration=ctx.plan.warmup_seconds,
                connections=1,
                cpus=ctx.cpus.load,
            )
            for _ in range(ctx.plan.repeats):
                runs.append(
                    wrk.run(
                        server.base_url,
                        lua,
                        [str(paths), server.token],
                        duration=ctx.plan.wrk_seconds,
                        connections=1,
                        cpus=ctx.cpus.load,
                    )
                )
            require_clean(runs, label)
            figures.append((label, runs))
    finally:
        stack.stop()
    result.commands = [*stack.commands, figures[0][1][0].shown()]
    result.add(
        f"{generated.operations:,} operations in {bulks:,} bulks of {per_bulk} "
        f"({size / 1e9:.2f} GB SQLite file; generated in {generated.seconds:.0f} s): finished "
        "bulks with the saved product as each operation's result, one bulk in ten with five "
        "failed operations, the newest 1% still open. Each request picks one of 1,000 random "
        f"bulks; wrk `-t1 -c1` (one client, so the figures are the route's own latency), "
        f"{ctx.plan.wrk_seconds:g} s per run.",
        "",
        "| route | requests/s | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    )
    worst = 0.0
    for label, runs in figures:
        p99 = spread_of(runs, lambda r: r.result.latency("p99"))
        worst = max(worst, p99.median)
        result.add(
            f"| {label} | {figure(spread_of(runs, lambda r: r.result.rps))} | "
            f"{number(spread_of(runs, lambda r: r.result.latency('p50')).median, 2)} | "
            f"{figure(p99, 2)} | "
            f"{number(max(r.result.latency('max') for r in runs), 2)} |"
        )
    result.rows.append(
        Row(
            f"Status routes p99 with {generated.operations:,} operations stored (ms)",
            number(worst, 2),
            "worst of the two routes",
            f"< {TARGET_P99_MS:g} ms",
            verdict(worst < TARGET_P99_MS),
        )
    )
    return result
