"""Terminal views for the ``bulk:*`` and ``queue:*`` commands: rich tables and plain lines built
from what the status and health services return (no queries here, no rules of their own)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from commerce_async.operations.health import STATUS_NAMES, ConsumerInfo, QueueStats
from commerce_async.operations.model import STATUSES, utc_text

USER_TYPES = {1: "integration", 2: "admin", 3: "customer", 4: "guest"}
SHORT_NAMES = {1: "complete", 2: "retriable", 3: "failed", 4: "open", 5: "rejected"}


def console() -> Console:
    """A terminal gets its own width and colours; a pipe or a file gets plain text up to 200
    columns, the same every time (scripts and tests read it)."""
    if sys.stdout.isatty():
        return Console()
    return Console(width=200, color_system=None, highlight=False)


def user_label(user_type: int | None, user_id: int | None) -> str:
    name = USER_TYPES.get(user_type or 0, "-" if user_type is None else f"type {user_type}")
    return name if user_id is None else f"{name} #{user_id}"


def status_name(status: int) -> str:
    """``retriably failed`` for 2, and so on (operation statuses)."""
    return STATUS_NAMES.get(status, str(status)).replace("_", " ")


def age(seconds: float | None) -> str:
    """``45s``, ``3m 05s``, ``2h 03m``, ``4d 01h``; ``-`` for nothing."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def counts_text(operations_by_status: dict[str, int]) -> str:
    """``1 complete, 2 failed``: the statuses present, retriable and not retriable apart."""
    parts = [
        f"{operations_by_status.get(str(code), 0)} {SHORT_NAMES[code]}"
        for code in STATUSES
        if operations_by_status.get(str(code), 0)
    ]
    return ", ".join(parts) or "-"


def _table(*columns: str) -> Table:
    return Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)


def bulk_table(entries: Iterable[dict[str, Any]]) -> Table:
    """``bulk:list``: one row per bulk (entries of ``operations.status.list_bulks``)."""
    table = _table("bulk uuid", "description", "user", "started (UTC)", "status", "operations")
    for entry in entries:
        table.add_row(
            entry["bulk_id"],
            entry["description"] or "",
            user_label(entry["user_type"], entry["user_id"]),
            entry["start_time"],
            entry["status_label"],
            f"{entry['operation_count']}: {counts_text(entry['operations_by_status'])}",
        )
    return table


def bulk_summary_lines(summary: dict[str, Any], waiting_retry: int) -> list[str]:
    """``bulk:status``: the bulk itself (``operations.status.summary``)."""
    counts = summary["operations_by_status"]
    parts = ", ".join(f"{counts.get(str(code), 0)} {status_name(code)}" for code in STATUSES)
    status = summary["status_label"]
    if waiting_retry:
        status += f" ({waiting_retry} waiting for an automatic retry)"
    return [
        f"Bulk:        {summary['bulk_id']}",
        f"Description: {summary['description'] or ''}",
        f"User:        {user_label(summary['user_type'], summary['user_id'])}",
        f"Started:     {summary['start_time']} UTC",
        f"Status:      {status}",
        f"Operations:  {summary['operation_count']} ({parts})",
    ]


def operations_table(operations: Iterable[dict[str, Any]]) -> Table:
    """``bulk:status``: one row per operation (``operations.status.short_status`` items)."""
    table = _table("id", "status", "error code", "result message")
    for operation in operations:
        table.add_row(
            str(operation["id"]),
            status_name(operation["status"]),
            "" if operation["error_code"] is None else str(operation["error_code"]),
            operation["result_message"] or "",
        )
    return table


def consumers_table(consumers: Iterable[ConsumerInfo], now: float) -> Table:
    """``queue:consumers:list``: one row per consumer that ever sent a heartbeat."""
    table = _table(
        "consumer id",
        "host",
        "pid",
        "started (UTC)",
        "last seen (UTC)",
        "processed",
        "state",
        "alive",
    )
    for consumer in consumers:
        table.add_row(
            consumer.consumer_id,
            consumer.hostname,
            str(consumer.pid),
            utc_text(consumer.started_at),
            f"{utc_text(consumer.last_seen)} ({age(now - consumer.last_seen)} ago)",
            str(consumer.processed),
            consumer.state,
            "yes" if consumer.alive else "no",
        )
    return table


def queue_status_lines(
    stats: QueueStats,
    open_operations: int,
    oldest_open: float | None,
    alive: int,
    known: int,
    alive_seconds: float,
    transport: str,
) -> list[str]:
    """``queue:status``: the backlog in a few lines."""
    lines = [
        f"Open operations:             {open_operations}",
        f"Oldest open operation:       {age(oldest_open)}",
        f"Messages ready:              {stats.ready}",
        f"Messages in flight:          {stats.in_flight}",
        f"Messages waiting for retry:  {stats.waiting_retry}",
        f"Oldest ready message:        {age(stats.oldest_ready_age)}",
        f"Consumers alive:             {alive} of {known} seen (heartbeat in the last "
        f"{alive_seconds:g}s)",
    ]
    if transport != "db":
        lines.append(
            "With RabbitMQ the message counts are the outbox: messages the broker has not "
            "confirmed yet."
        )
    return lines
