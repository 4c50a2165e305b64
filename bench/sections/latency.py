"""4. End-to-end latency on an idle system: from the 202 of a single-item async request to the
operation's terminal status, with the consumer inside the server process (``serve --consumers 1``).

Two views of the same operations:
- client-observed: the harness (on the load CPU) reads the operation row from the database in a
  tight loop right after the 202 arrived, and stops the clock when it sees the terminal status,
  i.e. after the outcome transaction committed;
- server-recorded: the row's ``finished_at - accepted_at`` (``accepted_at`` is stamped before the
  accept commit, ``finished_at`` just before the outcome commit).
Requests are sent one at a time with a 20 ms pause, so the system is idle when each arrives.
"""

from __future__ import annotations

import time

from bench import payloads
from bench.context import Context, Row, SectionResult, verdict
from bench.procs import BenchError, Probe
from bench.sections.common import ASYNC_PRODUCTS
from bench.stats import number, percentile

KEY = "latency"
TITLE = "4. End-to-end latency, idle system: 202 to terminal status"
TARGET_P50_MS = 5.0
TARGET_P99_MS = 50.0
PAUSE_SECONDS = 0.02


def run(ctx: Context) -> SectionResult:
    result = SectionResult(KEY, TITLE)
    stack = ctx.sqlite_stack("latency")
    server = stack.serve(consumers=1)
    client = server.client()
    probe = Probe(stack.env["COMMERCE_ASYNC_DB_URL"])
    observed: list[float] = []
    uuids: list[str] = []
    try:
        for index in range(ctx.plan.e2e_samples + 5):
            body = payloads.product_body(f"e2e-{index}")
            answer = client.expect(202, "POST", ASYNC_PRODUCTS, body)
            answered = time.perf_counter()
            bulk_uuid = answer["bulk_uuid"]
            status = _wait_terminal(probe, bulk_uuid)
            seen = time.perf_counter()
            if status != 1:
                raise BenchError(f"operation of bulk {bulk_uuid} ended with status {status}")
            if index >= 5:  # the first few warm the process up
                observed.append((seen - answered) * 1000)
                uuids.append(bulk_uuid)
            time.sleep(PAUSE_SECONDS)
        recorded = _recorded(probe, uuids)
    finally:
        client.close()
        probe.close()
        stack.stop()
    result.commands = stack.commands
    samples = len(observed)
    result.add(
        __doc__.split("\n\n", 1)[1].strip(),
        "",
        f"{samples} operations (after 5 warm-up ones).",
        "",
        "| view | p50 ms | p90 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        _line("client-observed (202 → terminal row visible)", observed),
        _line("server-recorded (`finished_at - accepted_at`)", recorded),
    )
    p50, p99 = percentile(observed, 50), percentile(observed, 99)
    result.rows.append(
        Row(
            "End-to-end 202 → done, idle (ms)",
            f"p50 {number(p50, 2)}, p99 {number(p99, 2)}",
            f"server-recorded p50 {number(percentile(recorded, 50), 2)}",
            f"p50 < {TARGET_P50_MS:g}, p99 < {TARGET_P99_MS:g}",
            verdict(p50 < TARGET_P50_MS and p99 < TARGET_P99_MS),
        )
    )
    return result


def _wait_terminal(probe: Probe, bulk_uuid: str, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = probe.scalar(
            "SELECT status FROM magento_operation WHERE bulk_uuid = ?", [bulk_uuid]
        )
        if status is not None and status not in (2, 4):
            return int(status)
    raise BenchError(f"operation of bulk {bulk_uuid} did not finish within {timeout:.0f} s")


def _recorded(probe: Probe, uuids: list[str]) -> list[float]:
    values = []
    for bulk_uuid in uuids:
        accepted, finished = probe.rows(
            "SELECT accepted_at, finished_at FROM magento_operation WHERE bulk_uuid = ?",
            [bulk_uuid],
        )[0]
        values.append((finished - accepted) * 1000)
    return values


def _line(label: str, values: list[float]) -> str:
    cells = [number(percentile(values, q), 2) for q in (50, 90, 99)]
    return f"| {label} | {' | '.join(cells)} | {number(max(values), 2)} |"
