"""Probe routes for fault tests: a write route whose every application leaves one row.

``POST /V1/faults/effects`` with ``{"tag": "...", "sleep": 0.0}`` appends one row to the
``fault_effect`` table (created by ``create_tables``, not part of the product schema) and returns
the tag. Because the handler is not idempotent, a duplicate application shows up as a second row:
the tests count rows per tag to prove each operation took effect exactly once. ``sleep`` makes a
handler slow enough for drain and lease tests to catch a consumer in the middle of a batch.
"""

from __future__ import annotations

import os
import time
from typing import Any

from commerce_async.webapi.routes import Param, Route, ServiceContext
from commerce_async.webapi.types import FLOAT, STRING

RESOURCE = "Commerce_Async::fault_probe"
TOPIC_SERVICE = "CommerceAsync\\Faults\\Api\\EffectInterface"

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS fault_effect ("
    " id INTEGER PRIMARY KEY, tag TEXT NOT NULL, pid INTEGER NOT NULL, applied_at REAL NOT NULL)"
)


def create_tables(tx: Any) -> None:
    tx.execute(CREATE_TABLE)


def record_effect(ctx: ServiceContext, args: dict[str, Any]) -> str:
    delay = args.get("sleep") or 0.0
    if delay > 0:
        time.sleep(delay)
    ctx.tx.execute(
        "INSERT INTO fault_effect (tag, pid, applied_at) VALUES (:tag, :pid, :at)",
        {"tag": args["tag"], "pid": os.getpid(), "at": time.time()},
    )
    return args["tag"]


ROUTES = [
    Route(
        "POST",
        "/V1/faults/effects",
        TOPIC_SERVICE,
        "record",
        (RESOURCE,),
        record_effect,
        params=(Param("tag", STRING), Param("sleep", FLOAT, required=False)),
        implementation="CommerceAsync\\Faults\\Model\\Effect",
        returns=STRING,
        extension=True,
        summary="Test probe: record one effect row",
    ),
]
