"""What the page shows, computed from what the status services return: progress segments, user
names, readable request data. Pure functions over plain data, so the page, the JSON endpoint and
the tests all see the same figures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from commerce_async.operations.model import (
    BULK_FINISHED_SUCCESSFULLY,
    BULK_FINISHED_WITH_FAILURE,
    BULK_IN_PROGRESS,
    BULK_NOT_STARTED,
    BULK_STATUS_LABELS,
    COMPLETE,
    NOT_RETRIABLY_FAILED,
    OPEN,
    REJECTED,
    RETRIABLY_FAILED,
)
from commerce_async.webapi.routes import (
    USER_ADMIN,
    USER_CUSTOMER,
    USER_GUEST,
    USER_INTEGRATION,
    UserContext,
)

OPERATION_STATUS_LABELS = {
    COMPLETE: "Complete",
    RETRIABLY_FAILED: "Failed, retriable",
    NOT_RETRIABLY_FAILED: "Failed",
    OPEN: "Open",
    REJECTED: "Rejected",
}
BULK_STATUS_CLASSES = {
    BULK_NOT_STARTED: "not-started",
    BULK_IN_PROGRESS: "in-progress",
    BULK_FINISHED_SUCCESSFULLY: "success",
    BULK_FINISHED_WITH_FAILURE: "failure",
}
USER_TYPE_NAMES = {
    USER_INTEGRATION: "integration",
    USER_ADMIN: "admin",
    USER_CUSTOMER: "customer",
    USER_GUEST: "guest",
}
USER_TYPES_BY_NAME = {name: code for code, name in USER_TYPE_NAMES.items()}

UserKey = tuple[int | None, int | None]


def progress(operations_by_status: dict[str, int]) -> dict[str, Any]:
    """Bar segments: complete, failed (failed or rejected: not done, needs attention) and open.
    Percentages are rounded so that the three always add up to exactly 100 (or all are 0)."""
    complete = operations_by_status.get(str(COMPLETE), 0)
    failed = sum(
        operations_by_status.get(str(code), 0)
        for code in (RETRIABLY_FAILED, NOT_RETRIABLY_FAILED, REJECTED)
    )
    open_count = operations_by_status.get(str(OPEN), 0)
    counts = [complete, failed, open_count]
    total = sum(counts)
    percent = [round(100 * count / total, 2) if total else 0.0 for count in counts]
    if total:
        # The rounding remainder goes to the last segment present, so the bar is always full.
        last = max(index for index, count in enumerate(counts) if count)
        percent[last] = round(100 - sum(percent[:last]) - sum(percent[last + 1 :]), 2)
    return {
        "complete": complete,
        "failed": failed,
        "open": open_count,
        "total": total,
        "percent": percent,
    }


def bulk_view(entry: dict[str, Any], users: dict[UserKey, str], routes: Any) -> dict[str, Any]:
    """A bulk as the list and the details page show it (and as the JSON endpoint sends it)."""
    status = entry["status"]
    description = entry["description"] or ""
    topic = topic_of(description)
    return {
        "bulk_id": entry["bulk_id"],
        "description": description,
        "route": route_label(routes, topic) if topic else "",
        "user": users.get((entry["user_type"], entry["user_id"]))
        or user_label(entry["user_type"], entry["user_id"], None),
        "user_type": USER_TYPE_NAMES.get(entry["user_type"], "unknown"),
        "start_time": entry["start_time"],
        "operation_count": entry["operation_count"],
        "status": status,
        "status_label": BULK_STATUS_LABELS[status],
        "status_class": BULK_STATUS_CLASSES[status],
        "operations_by_status": entry["operations_by_status"],
        "progress": progress(entry["operations_by_status"]),
    }


def user_label(user_type: int | None, user_id: int | None, name: str | None) -> str:
    if user_type == USER_GUEST or user_type is None:
        return "Guest"
    if name:
        return name
    kind = USER_TYPE_NAMES.get(user_type, "user").capitalize()
    return f"{kind} #{user_id}"


def user_names(
    keys: Iterable[UserKey], load: Callable[[int, int], UserContext | None]
) -> dict[UserKey, str]:
    """Display names: an admin's username, an integration's name; ``Customer #7`` or ``Guest``
    where there is no name to show. ``load(user_type, user_id)`` is the user loader of that type."""
    names: dict[UserKey, str] = {}
    for user_type, user_id in dict.fromkeys(keys):
        name = None
        if user_type is not None and user_id is not None and user_type != USER_GUEST:
            loaded = load(user_type, user_id)
            name = loaded.username if loaded is not None else None
        names[(user_type, user_id)] = user_label(user_type, user_id, name)
    return names


def user_filter_value(user_type: int | None, user_id: int | None) -> str:
    """The ``user`` query value selecting this owner: ``admin-1``, ``integration-3``, ``guest``."""
    if user_type == USER_GUEST or user_type is None:
        return "guest"
    return f"{USER_TYPE_NAMES.get(user_type, str(user_type))}-{user_id}"


def parse_user_filter(value: str) -> UserKey | None:
    """Inverse of ``user_filter_value``; None when the value names no owner."""
    if value == "guest":
        return (USER_GUEST, None)
    kind, _, number = value.partition("-")
    user_type = USER_TYPES_BY_NAME.get(kind)
    if user_type is None or user_type == USER_GUEST or not number.isdigit():
        return None
    return (user_type, int(number))


@dataclass(frozen=True, slots=True)
class FailedOperation:
    id: int
    status: int
    status_label: str
    error_code: int | None
    message: str
    request_data: str
    """The item's input (``meta_information``), pretty-printed JSON, or the raw text if it is not
    JSON."""
    store_id: str | None


def failed_operation(operation: dict[str, Any]) -> FailedOperation:
    request_data, store_id = readable_request(operation["serialized_data"])
    return FailedOperation(
        id=operation["id"],
        status=operation["status"],
        status_label=OPERATION_STATUS_LABELS.get(operation["status"], str(operation["status"])),
        error_code=operation["error_code"],
        message=operation["result_message"] or "",
        request_data=request_data,
        store_id=store_id,
    )


def readable_request(serialized_data: str | None) -> tuple[str, str | None]:
    """``serialized_data`` -> (its ``meta_information`` pretty-printed, its ``store_id``).

    ``meta_information`` is JSON inside a JSON string (Magento's double encoding); anything that
    does not parse is shown as it is rather than hidden."""
    if not serialized_data:
        return "", None
    try:
        outer = json.loads(serialized_data)
    except ValueError:
        return serialized_data, None
    if not isinstance(outer, dict):
        return serialized_data, None
    store_id = outer.get("store_id")
    meta = outer.get("meta_information")
    if not isinstance(meta, str):
        return json.dumps(meta, indent=2, ensure_ascii=False), store_id
    try:
        return json.dumps(json.loads(meta), indent=2, ensure_ascii=False), store_id
    except ValueError:
        return meta, store_id


def route_label(routes: Any, topic: str) -> str:
    """``async....save.put`` -> ``PUT /V1/products/:sku``, or "" for a topic no route declares."""
    route = routes.by_topic.get(topic)
    return f"{route.method} {route.path}" if route is not None else ""


def topic_of(description: str) -> str:
    """The topic named by a REST bulk's description (``Topic <topic>``), else ""."""
    prefix = "Topic "
    return description[len(prefix) :] if description.startswith(prefix) else ""
