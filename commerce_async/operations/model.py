"""Operation statuses, the stored operation data format and its hash."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import msgspec

_encode = msgspec.json.encode

COMPLETE = 1
RETRIABLY_FAILED = 2
NOT_RETRIABLY_FAILED = 3
OPEN = 4
REJECTED = 5
STATUSES = (COMPLETE, RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, OPEN, REJECTED)
FAILED = (RETRIABLY_FAILED, NOT_RETRIABLY_FAILED)

QUEUE_NAME = "async.operations.all"
EXCHANGE = "magento"

# Bulk-level summary (Magento's BulkSummaryInterface), derived truthfully from the operations.
BULK_NOT_STARTED = 0
BULK_IN_PROGRESS = 1
BULK_FINISHED_SUCCESSFULLY = 2
BULK_FINISHED_WITH_FAILURE = 3
BULK_STATUS_LABELS = {
    BULK_NOT_STARTED: "Not Started",
    BULK_IN_PROGRESS: "In Progress",
    BULK_FINISHED_SUCCESSFULLY: "Finished Successfully",
    BULK_FINISHED_WITH_FAILURE: "Finished with Failure",
}


def php_json(value: Any) -> str:
    """JSON as PHP's ``json_encode`` writes it: compact, ``\\/`` and ``\\uXXXX`` escapes."""
    text = _encode(value).decode()
    if not text.isascii():
        text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/")


def serialize_operation_data(input_data: dict[str, Any], store_id: int) -> str:
    """``serialized_data`` of an operation, byte-compatible with Magento 2.4:
    ``{"entity_id":null,"entity_link":"","meta_information":"<input JSON>","store_id":"1"}``."""
    meta = php_json(input_data if input_data else [])
    return (
        '{"entity_id":null,"entity_link":"","meta_information":'
        + php_json(meta)
        + ',"store_id":"'
        + str(store_id)
        + '"}'
    )


def data_hash(serialized_data: str) -> str:
    """SHA-256 hex digest of the UTF-8 bytes of ``serialized_data`` (verifiable by clients)."""
    return hashlib.sha256(serialized_data.encode("utf-8")).hexdigest()


def parse_operation_data(serialized_data: str) -> tuple[dict[str, Any], int]:
    outer = json.loads(serialized_data)
    meta = json.loads(outer["meta_information"])
    if isinstance(meta, list):
        meta = {}
    return meta, int(outer.get("store_id") or 0)


def utc_text(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() if now is None else now))


def bulk_status(counts: dict[int, int], retries_pending: int = 0) -> int:
    """Open operations left: in progress (or not started if none ran yet); none open: success
    when every operation completed, failure otherwise; no operations at all: not started.
    Failures that wait for an automatic retry (``retries_pending``) keep the bulk in progress."""
    total = sum(counts.values())
    if total == 0:
        return BULK_NOT_STARTED
    open_count = counts.get(OPEN, 0)
    if retries_pending:
        return BULK_IN_PROGRESS
    if open_count:
        return BULK_NOT_STARTED if open_count == total else BULK_IN_PROGRESS
    if counts.get(COMPLETE, 0) == total:
        return BULK_FINISHED_SUCCESSFULLY
    return BULK_FINISHED_WITH_FAILURE
