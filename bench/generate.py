"""Bulk and operation rows written straight into a fresh SQLite database with batched inserts,
for the measurements that need millions of stored operations (status at scale, consumer memory)
without spending minutes accepting them over HTTP.

The rows are what the accept path and the consumer write: the same ``serialized_data`` format
(``operations.model.serialize_operation_data``), topic, success message and queue rows.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import uuid_utils

from bench import payloads
from commerce_async.operations.accept import INSERT_BULK
from commerce_async.operations.model import serialize_operation_data, utc_text

PRODUCT_TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.post"
PRODUCT_SUCCESS = "Service execution success Magento\\Catalog\\Model\\ProductRepository::save"
FAILURE_MESSAGE = 'The value of attribute "price" must be greater than or equal to 0.'
STORE_ID = 1
USER_TYPE_INTEGRATION = 1

INSERT_OPERATION = (
    "INSERT INTO magento_operation (bulk_uuid, operation_key, topic_name, serialized_data, "
    "result_serialized_data, status, error_code, result_message, started_at, finished_at, "
    "accepted_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_MESSAGE = (
    "INSERT INTO queue_message (queue_name, topic_name, bulk_uuid, operation_key, available_at, "
    "deliveries) VALUES ('async.operations.all', ?, ?, ?, ?, 0)"
)

# A status for operation ``key`` of bulk number ``index`` (of ``bulks``).
StatusRule = Callable[[int, int, int], int]


def product_route_facts() -> tuple[str, str]:
    """(topic, success message) of ``POST /V1/products`` from the route table when it exists."""
    try:
        from commerce_async.bootstrap import collect_routes

        for route in collect_routes():
            if route.method == "POST" and route.path == "/V1/products":
                return route.topic, route.success_message
    except Exception:  # the catalog module is optional here: fall back to Magento's names
        pass
    return PRODUCT_TOPIC, PRODUCT_SUCCESS


@dataclass
class Generated:
    bulk_uuids: list[str]
    operations: int
    seconds: float


def integration_user(path: Path, name: str = "bench") -> int:
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "SELECT integration_id FROM integration WHERE name = ?", (name,)
        ).fetchone()
    if row is None:
        raise RuntimeError(f"no integration named {name}")
    return int(row[0])


def mixed_status(index: int, bulks: int, key: int) -> int:
    """Finished bulks, one in ten with five failures, and the newest 1% still open."""
    if index >= bulks - max(1, bulks // 100):
        return 4
    if index % 10 == 0 and key < 5:
        return 3
    return 1


def all_open(_index: int, _bulks: int, _key: int) -> int:
    return 4


def write(
    path: Path,
    *,
    bulks: int,
    per_bulk: int,
    status_of: StatusRule,
    sku_of: Callable[[int], str],
    user_id: int,
    chunk_rows: int = 50_000,
    first_sku: int = 0,
) -> Generated:
    """Insert ``bulks`` bulks of ``per_bulk`` operations, ``chunk_rows`` rows per transaction;
    open operations get their queue message, as the accept path writes them."""
    topic, success = product_route_facts()
    # Products differ only in their SKU: serialize once, put each SKU in (SKUs are plain text).
    template = serialize_operation_data({"product": payloads.product(payloads.SKU_MARK)}, STORE_ID)
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    uuids: list[str] = []
    sku_number = first_sku
    try:
        for batch in _batches(bulks, per_bulk, chunk_rows):
            bulk_rows, operation_rows, message_rows = [], [], []
            for index in batch:
                bulk_uuid = str(uuid_utils.uuid7())
                uuids.append(bulk_uuid)
                now = time.time()
                bulk_rows.append(
                    (
                        bulk_uuid,
                        user_id,
                        USER_TYPE_INTEGRATION,
                        f"Topic {topic}",
                        per_bulk,
                        utc_text(now),
                    )
                )
                for key in range(per_bulk):
                    status = status_of(index, bulks, key)
                    data = None
                    if status != 1:
                        data = template.replace(payloads.SKU_MARK, sku_of(sku_number))
                    sku_number += 1
                    operation_rows.append(
                        _operation(bulk_uuid, key, topic, success, data, status, now)
                    )
                    if status == 4:
                        message_rows.append((topic, bulk_uuid, key, now))
            connection.execute("BEGIN")
            connection.executemany(INSERT_BULK, bulk_rows)
            connection.executemany(INSERT_OPERATION, operation_rows)
            connection.executemany(INSERT_MESSAGE, message_rows)
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return Generated(uuids, bulks * per_bulk, time.perf_counter() - started)


def _operation(bulk_uuid, key, topic, success, data, status, now):
    if status == 1:
        result = _RESULT
        return (bulk_uuid, key, topic, None, result, 1, None, success, utc_text(now), now, now, 1)
    if status == 3:
        return (
            bulk_uuid,
            key,
            topic,
            data,
            None,
            3,
            0,
            FAILURE_MESSAGE,
            utc_text(now),
            now,
            now,
            1,
        )
    return (bulk_uuid, key, topic, data, None, status, None, None, None, None, now, 0)


# What the consumer stores for a saved product: the product as the synchronous call returns it.
_RESULT = msgspec.json.encode(
    payloads.product("stored") | {"id": 1, "extension_attributes": {}}
).decode()


def _batches(bulks: int, per_bulk: int, chunk_rows: int) -> Iterator[range]:
    step = max(1, chunk_rows // per_bulk)
    for start in range(0, bulks, step):
        yield range(start, min(bulks, start + step))
