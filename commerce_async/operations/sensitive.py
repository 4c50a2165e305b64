"""Sensitive input of queued operations (passwords): never shown, dropped once the operation ran.

A route names the input paths that hold secrets (``Route.sensitive``, e.g. ``("password",)``).
When such a request is accepted, each secret is moved out of the operation's ``serialized_data``
(which keeps Magento's format, with ``******`` in its place) into the operation's separate
``sensitive_data`` column. No API, page or search ever reads that column: the status routes show
the masked data, and ``data_hash`` covers the masked data too. The consumer puts the secrets back
to run the operation and clears ``sensitive_data`` in the same transaction that records a final
outcome (success, or a failure that will not be retried automatically). Magento, by contrast,
keeps a failed account creation's password in clear in ``serialized_data`` for every bulk reader.

An operation retried after its secrets were dropped fails with ``DISCARDED`` instead of running
with ``******`` as the password.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from commerce_async.errors import InputError
from commerce_async.webapi.types import snake_case

MASK = "******"
DISCARDED = (
    'The value of "%1" was discarded after the operation ran, as every sensitive value is. '
    "Send the request again."
)


def _key(node: dict[str, Any], name: str) -> str | None:
    if name in node:
        return name
    wanted = snake_case(name)
    for key in node:
        if snake_case(key) == wanted:
            return key
    return None


def _locate(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str] | None:
    """The object holding the value at dotted ``path``, and its key there (None if absent)."""
    node = data
    *parents, leaf = path.split(".")
    for part in parents:
        key = _key(node, part)
        if key is None or not isinstance(node[key], dict):
            return None
        node = node[key]
    key = _key(node, leaf)
    return None if key is None else (node, key)


def split(data: dict[str, Any], paths: Iterable[str]) -> tuple[dict[str, Any], str | None]:
    """``data`` with each present, non-null value at ``paths`` masked (a copy, only when there
    is something to mask), and those values as the JSON text to store, or None."""
    secrets: dict[str, Any] = {}
    masked = data
    for path in paths:
        found = _locate(masked, path)
        if found is None or found[0][found[1]] is None:
            continue
        if masked is data:
            masked = copy.deepcopy(data)
            found = _locate(masked, path)
            assert found is not None
        node, key = found
        secrets[path] = node[key]
        node[key] = MASK
    return masked, (json.dumps(secrets) if secrets else None)


def restore(data: dict[str, Any], paths: Iterable[str], stored: str | None) -> dict[str, Any]:
    """Put the stored secrets back into ``data`` (in place). A masked value whose secret is gone
    raises ``InputError(DISCARDED)``."""
    secrets = json.loads(stored) if stored else {}
    for path in paths:
        found = _locate(data, path)
        if found is None:
            continue
        node, key = found
        if path in secrets:
            node[key] = secrets[path]
        elif node[key] == MASK:
            raise InputError(DISCARDED, [path])
    return data
