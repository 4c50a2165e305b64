"""Bulk status: Magento's four read routes, our summary and retry extensions, and the services
the admin page and the CLI share with them.

Access: holders of ``Magento_Logging::system_magento_logging_bulk_operations`` see every bulk; any
other authenticated caller sees only the bulks it created (Magento shows everything to anyone with
the resource and nothing to the creator; both are fixed here). Guests see nothing.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from commerce_async.errors import NotFound
from commerce_async.operations.model import (
    BULK_STATUS_LABELS,
    FAILED,
    OPEN,
    RETRIABLY_FAILED,
    STATUSES,
    bulk_status,
)
from commerce_async.queue.base import Message
from commerce_async.storage import schema
from commerce_async.storage.database import Tx
from commerce_async.webapi import search
from commerce_async.webapi.routes import Param, Route, ServiceContext, UserContext
from commerce_async.webapi.types import INT, STRING, ArrayType

BULK_RESOURCE = "Magento_Logging::system_magento_logging_bulk_operations"
BULK_NOT_FOUND = "Bulk uuid %bulkUuid not exist"
SERVICE = "Magento\\AsynchronousOperations\\Api\\BulkStatusInterface"
IMPLEMENTATION = "Magento\\AsynchronousOperations\\Model\\BulkStatus"

bulk = schema.magento_bulk
operation = schema.magento_operation


def can_see_all(user: UserContext) -> bool:
    return user.allows((BULK_RESOURCE,))


def _owner_filter(user: UserContext) -> sa.ColumnElement[bool] | None:
    if can_see_all(user):
        return None
    return (bulk.c.user_type == user.user_type) & (bulk.c.user_id == user.user_id)


def load_bulk(tx: Tx, bulk_uuid: str, user: UserContext) -> Any:
    """The bulk row, or 404 when it does not exist or the caller may not see it (no oracle)."""
    row = tx.first(sa.select(bulk).where(bulk.c.uuid == bulk_uuid))
    if row is None or (
        not can_see_all(user) and (row.user_type != user.user_type or row.user_id != user.user_id)
    ):
        raise NotFound(BULK_NOT_FOUND, {"bulkUuid": bulk_uuid})
    return row


def _bulk_fields(row: Any, operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "operations_list": operations,
        "user_type": row.user_type,
        "bulk_id": row.uuid,
        "description": row.description,
        "start_time": row.start_time,
        "user_id": row.user_id,
        "operation_count": row.operation_count,
    }


def short_operation(row: Any) -> dict[str, Any]:
    return {
        "id": row.operation_key,
        "status": row.status,
        "result_message": row.result_message,
        "error_code": row.error_code,
    }


def detailed_operation(row: Any) -> dict[str, Any]:
    return {
        "id": row.operation_key,
        "bulk_uuid": row.bulk_uuid,
        "topic_name": row.topic_name,
        "serialized_data": row.serialized_data,
        "result_serialized_data": row.result_serialized_data,
        "status": row.status,
        "result_message": row.result_message,
        "error_code": row.error_code,
    }


def _operations(tx: Tx, bulk_uuid: str) -> list[Any]:
    return tx.all(
        sa.select(operation)
        .where(operation.c.bulk_uuid == bulk_uuid)
        .order_by(operation.c.operation_key)
    )


def short_status(tx: Tx, bulk_uuid: str, user: UserContext) -> dict[str, Any]:
    row = load_bulk(tx, bulk_uuid, user)
    rows = tx.all(
        sa.select(
            operation.c.operation_key,
            operation.c.status,
            operation.c.result_message,
            operation.c.error_code,
        )
        .where(operation.c.bulk_uuid == bulk_uuid)
        .order_by(operation.c.operation_key)
    )
    return _bulk_fields(row, [short_operation(op) for op in rows])


def detailed_status(tx: Tx, bulk_uuid: str, user: UserContext) -> dict[str, Any]:
    row = load_bulk(tx, bulk_uuid, user)
    return _bulk_fields(row, [detailed_operation(op) for op in _operations(tx, bulk_uuid)])


def count_by_status(tx: Tx, bulk_uuid: str, status: int, user: UserContext) -> int:
    """Magento answers 0, not 404, for an unknown bulk; a bulk the caller may not see counts 0."""
    query = (
        sa.select(sa.func.count())
        .select_from(operation.join(bulk, bulk.c.uuid == operation.c.bulk_uuid))
        .where(operation.c.bulk_uuid == bulk_uuid, operation.c.status == status)
    )
    owner = _owner_filter(user)
    if owner is not None:
        query = query.where(owner)
    return int(tx.scalar(query) or 0)


def status_counts(tx: Tx, bulk_uuid: str) -> dict[int, int]:
    rows = tx.all(
        sa.select(operation.c.status, sa.func.count())
        .where(operation.c.bulk_uuid == bulk_uuid)
        .group_by(operation.c.status)
    )
    return {int(status): int(count) for status, count in rows}


def pending_retries(tx: Tx, bulk_uuid: str) -> int:
    """Failed operations that still have a message waiting (automatic retry scheduled)."""
    queue = schema.queue_message
    return int(
        tx.scalar(
            sa.select(sa.func.count())
            .select_from(
                queue.join(
                    operation,
                    (operation.c.bulk_uuid == queue.c.bulk_uuid)
                    & (operation.c.operation_key == queue.c.operation_key),
                )
            )
            .where(queue.c.bulk_uuid == bulk_uuid, operation.c.status.in_(FAILED))
        )
        or 0
    )


def summary(tx: Tx, bulk_uuid: str, user: UserContext) -> dict[str, Any]:
    row = load_bulk(tx, bulk_uuid, user)
    counts = status_counts(tx, bulk_uuid)
    status = bulk_status(counts, pending_retries(tx, bulk_uuid))
    return {
        "bulk_id": row.uuid,
        "description": row.description,
        "user_type": row.user_type,
        "user_id": row.user_id,
        "start_time": row.start_time,
        "operation_count": row.operation_count,
        "status": status,
        "status_label": BULK_STATUS_LABELS[status],
        "operations_by_status": {str(code): counts.get(code, 0) for code in STATUSES},
    }


def operations_with_status(
    tx: Tx,
    bulk_uuid: str,
    user: UserContext,
    statuses: tuple[int, ...],
    *,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The bulk's operations with one of ``statuses``, detailed, in item order (404 as above)."""
    load_bulk(tx, bulk_uuid, user)
    query = (
        sa.select(operation)
        .where(operation.c.bulk_uuid == bulk_uuid, operation.c.status.in_(statuses))
        .order_by(operation.c.operation_key)
    )
    if limit is not None:
        query = query.limit(limit)
    return [detailed_operation(row) for row in tx.all(query)]


def failure_counts_by_code(tx: Tx, bulk_uuid: str) -> dict[int | None, int]:
    """Failed operations (the ones ``retry`` reopens) counted per ``error_code``."""
    rows = tx.all(
        sa.select(operation.c.error_code, sa.func.count())
        .where(operation.c.bulk_uuid == bulk_uuid, operation.c.status.in_(FAILED))
        .group_by(operation.c.error_code)
        .order_by(operation.c.error_code)
    )
    return {code: int(count) for code, count in rows}


def bulk_users(tx: Tx, user: UserContext) -> list[tuple[int | None, int | None]]:
    """Distinct ``(user_type, user_id)`` owners of the bulks the caller may see."""
    query = (
        sa.select(bulk.c.user_type, bulk.c.user_id)
        .distinct()
        .order_by(bulk.c.user_type, bulk.c.user_id)
    )
    owner = _owner_filter(user)
    if owner is not None:
        query = query.where(owner)
    return [(row.user_type, row.user_id) for row in tx.all(query)]


OPERATION_FIELDS: dict[str, search.Filterable] = {
    "id": operation.c.operation_key,
    "operation_key": operation.c.operation_key,
    "bulk_uuid": operation.c.bulk_uuid,
    "topic_name": operation.c.topic_name,
    "status": operation.c.status,
    "error_code": operation.c.error_code,
    "result_message": operation.c.result_message,
    "serialized_data": operation.c.serialized_data,
    "result_serialized_data": operation.c.result_serialized_data,
    "started_at": operation.c.started_at,
    "start_time": bulk.c.start_time,
    "user_id": bulk.c.user_id,
    "user_type": bulk.c.user_type,
}


def search_operations(tx: Tx, criteria: dict[str, Any], user: UserContext) -> dict[str, Any]:
    query = sa.select(operation, bulk.c.start_time).select_from(
        operation.join(bulk, bulk.c.uuid == operation.c.bulk_uuid)
    )
    owner = _owner_filter(user)
    if owner is not None:
        query = query.where(owner)

    def to_item(row: Any) -> dict[str, Any]:
        return {"extension_attributes": {"start_time": row.start_time}, **detailed_operation(row)}

    return search.run(
        tx, query, OPERATION_FIELDS, criteria, to_item, default_order=[operation.c.id.asc()]
    )


def status_counts_of(tx: Tx, bulk_uuids: list[str]) -> dict[str, dict[int, int]]:
    """``status_counts`` of many bulks in one query (bulks without operations are absent)."""
    result: dict[str, dict[int, int]] = {}
    if not bulk_uuids:
        return result
    rows = tx.all(
        sa.select(operation.c.bulk_uuid, operation.c.status, sa.func.count())
        .where(operation.c.bulk_uuid.in_(bulk_uuids))
        .group_by(operation.c.bulk_uuid, operation.c.status)
    )
    for bulk_uuid, status, count in rows:
        result.setdefault(bulk_uuid, {})[int(status)] = int(count)
    return result


def pending_retries_of(tx: Tx, bulk_uuids: list[str]) -> dict[str, int]:
    """``pending_retries`` of many bulks in one query (bulks with none are absent)."""
    if not bulk_uuids:
        return {}
    queue = schema.queue_message
    rows = tx.all(
        sa.select(queue.c.bulk_uuid, sa.func.count())
        .select_from(
            queue.join(
                operation,
                (operation.c.bulk_uuid == queue.c.bulk_uuid)
                & (operation.c.operation_key == queue.c.operation_key),
            )
        )
        .where(queue.c.bulk_uuid.in_(bulk_uuids), operation.c.status.in_(FAILED))
        .group_by(queue.c.bulk_uuid)
    )
    return {bulk_uuid: int(count) for bulk_uuid, count in rows}


def _entry(row: Any, counts: dict[int, int], retries_pending: int) -> dict[str, Any]:
    computed = bulk_status(counts, retries_pending)
    return {
        "bulk_id": row.uuid,
        "description": row.description,
        "user_type": row.user_type,
        "user_id": row.user_id,
        "start_time": row.start_time,
        "operation_count": row.operation_count,
        "status": computed,
        "status_label": BULK_STATUS_LABELS[computed],
        "operations_by_status": {str(code): counts.get(code, 0) for code in STATUSES},
    }


def bulk_entries(tx: Tx, rows: list[Any]) -> list[dict[str, Any]]:
    """``bulk_entry`` of many bulk rows with two queries in all, not two per bulk."""
    counts = status_counts_of(tx, [row.uuid for row in rows])
    # Only retriably failed operations can be waiting for an automatic retry.
    retriable = [row.uuid for row in rows if counts.get(row.uuid, {}).get(RETRIABLY_FAILED)]
    retries = pending_retries_of(tx, retriable)
    return [_entry(row, counts.get(row.uuid, {}), retries.get(row.uuid, 0)) for row in rows]


def bulk_entry(tx: Tx, row: Any) -> dict[str, Any]:
    return bulk_entries(tx, [row])[0]


def list_bulks(
    tx: Tx,
    user: UserContext,
    *,
    status: int | None = None,
    user_filter: tuple[int, int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Bulks newest first with their counts and truthful status (admin page, CLI)."""
    query = sa.select(bulk).order_by(bulk.c.id.desc())
    owner = _owner_filter(user)
    if owner is not None:
        query = query.where(owner)
    if user_filter is not None:
        query = query.where(bulk.c.user_type == user_filter[0], bulk.c.user_id == user_filter[1])
    if status is None:
        return bulk_entries(tx, tx.all(query.limit(limit).offset(offset)))
    result: list[dict[str, Any]] = []
    skipped = 0
    position = 0
    while len(result) < limit:
        rows = tx.all(query.limit(500).offset(position))
        if not rows:
            break
        position += len(rows)
        for entry in bulk_entries(tx, rows):
            if entry["status"] != status:
                continue
            if skipped < offset:
                skipped += 1
                continue
            result.append(entry)
            if len(result) >= limit:
                break
    return result


def retry(
    ctx: ServiceContext,
    bulk_uuid: str,
    error_codes: list[int] | None = None,
    operation_ids: list[int] | None = None,
) -> int:
    """Reopen failed operations (status 2 and 3) of a bulk and queue them again."""
    tx = ctx.tx
    load_bulk(tx, bulk_uuid, ctx.user)  # the creator may retry its own bulk, others need ACL
    conditions = [operation.c.bulk_uuid == bulk_uuid, operation.c.status.in_(FAILED)]
    if error_codes:
        conditions.append(operation.c.error_code.in_(error_codes))
    if operation_ids:
        conditions.append(operation.c.operation_key.in_(operation_ids))
    rows = tx.all(sa.select(operation.c.operation_key, operation.c.topic_name).where(*conditions))
    if not rows:
        return 0
    keys = [row.operation_key for row in rows]
    tx.execute(
        operation.update()
        .where(operation.c.bulk_uuid == bulk_uuid, operation.c.operation_key.in_(keys))
        .values(
            status=OPEN,
            result_message=None,
            error_code=None,
            result_serialized_data=None,
            started_at=None,
            finished_at=None,
            attempts=0,
        )
    )
    queue = schema.queue_message
    tx.execute(
        queue.delete().where(queue.c.bulk_uuid == bulk_uuid, queue.c.operation_key.in_(keys))
    )
    transport = ctx.services.transport
    transport.enqueue(
        tx, [Message(row.topic_name, bulk_uuid, row.operation_key) for row in rows], time.time()
    )
    tx.after_commit(transport.committed)
    return len(rows)


# --- routes --------------------------------------------------------------------------------------


def _short(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    return short_status(ctx.tx, args["bulkUuid"], ctx.user)


def _detailed(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    return detailed_status(ctx.tx, args["bulkUuid"], ctx.user)


def _count(ctx: ServiceContext, args: dict[str, Any]) -> int:
    return count_by_status(ctx.tx, args["bulkUuid"], args["status"], ctx.user)


def _search(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    return search_operations(ctx.tx, args["searchCriteria"], ctx.user)


def _summary(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    return summary(ctx.tx, args["bulkUuid"], ctx.user)


def _retry(ctx: ServiceContext, args: dict[str, Any]) -> int:
    codes = args.get("errorCodes")
    ids = args.get("operationIds")
    return retry(ctx, args["bulkUuid"], codes, ids)


def _criteria_param() -> Param:
    from commerce_async.webapi.search import SEARCH_CRITERIA

    return Param("searchCriteria", SEARCH_CRITERIA, source="query")


STATUS_RESOURCES = (BULK_RESOURCE,)
UUID_PARAM = Param("bulkUuid", STRING, source="path")
OPERATION_REPOSITORY = "Magento\\AsynchronousOperations\\Api\\OperationRepositoryInterface"

ROUTES = [
    Route(
        "GET",
        "/V1/bulk/:bulkUuid/status",
        SERVICE,
        "getBulkShortStatus",
        STATUS_RESOURCES,
        _short,
        params=(UUID_PARAM,),
        implementation=IMPLEMENTATION,
        owner_access=True,
        summary="Short status of a bulk: its operations' statuses and messages",
    ),
    Route(
        "GET",
        "/V1/bulk/:bulkUuid/detailed-status",
        SERVICE,
        "getBulkDetailedStatus",
        STATUS_RESOURCES,
        _detailed,
        params=(UUID_PARAM,),
        implementation=IMPLEMENTATION,
        owner_access=True,
        summary="Detailed status of a bulk, with each operation's data",
    ),
    Route(
        "GET",
        "/V1/bulk/:bulkUuid/operation-status/:status",
        SERVICE,
        "getOperationsCountByBulkIdAndStatus",
        STATUS_RESOURCES,
        _count,
        params=(UUID_PARAM, Param("status", INT, source="path")),
        implementation=IMPLEMENTATION,
        owner_access=True,
        summary="Number of the bulk's operations with the given status",
    ),
    Route(
        "GET",
        "/V1/bulk",
        OPERATION_REPOSITORY,
        "getList",
        STATUS_RESOURCES,
        _search,
        params=(_criteria_param(),),
        implementation="Magento\\AsynchronousOperations\\Model\\OperationRepository",
        owner_access=True,
        summary="Search operations (searchCriteria)",
    ),
    Route(
        "GET",
        "/V1/bulk/:bulkUuid/summary",
        SERVICE,
        "getBulkSummary",
        STATUS_RESOURCES,
        _summary,
        params=(UUID_PARAM,),
        implementation=IMPLEMENTATION,
        owner_access=True,
        extension=True,
        summary="Extension: the bulk's truthful overall status and counts",
    ),
    Route(
        "POST",
        "/V1/bulk/:bulkUuid/retry",
        SERVICE,
        "retryBulk",
        STATUS_RESOURCES,
        _retry,
        params=(
            UUID_PARAM,
            Param("errorCodes", ArrayType(INT), required=False),
            Param("operationIds", ArrayType(INT), required=False),
        ),
        implementation=IMPLEMENTATION,
        owner_access=True,
        extension=True,
        returns=INT,
        summary="Extension: reopen the bulk's failed operations and queue them again",
    ),
]
