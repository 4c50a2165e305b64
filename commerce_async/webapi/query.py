"""PHP-style query strings (``a[b][0][c]=v``) decoded into nested dicts, as Magento reads them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from commerce_async.errors import InputError

_KEY = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 8
MAX_PAIRS = 1000


def parse(query: str) -> dict[str, Any]:
    """Decode ``query`` the way PHP fills ``$_GET`` (last value wins, ``[]`` appends)."""
    result: dict[str, Any] = {}
    pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_PAIRS)
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if match is None or not match.group(1):
            continue
        parts = [match.group(1), *_PART.findall(match.group(2))]
        if len(parts) > MAX_DEPTH:
            raise InputError("The query parameter %1 is nested too deeply.", [raw_key])
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "":
                part = (
                    str(sum(1 for key in node if key.isdigit())) if isinstance(node, dict) else "0"
                )
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return result


def as_list(value: Any) -> list[Any]:
    """A PHP array with numeric keys, as a list in key order."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):

        def order(key: str) -> tuple[int, Any]:
            return (0, int(key)) if key.isdigit() else (1, key)

        return [value[key] for key in sorted(value, key=order)]
    if value in (None, ""):
        return []
    return [value]
