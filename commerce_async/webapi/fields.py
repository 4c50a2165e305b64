"""The ``fields=`` partial-response filter: ``items[sku,name],total_count``."""

from __future__ import annotations

from typing import Any

from commerce_async.errors import InputError

FieldTree = dict[str, "FieldTree | None"]


def parse(spec: str) -> FieldTree:
    """``a,b[c,d[e]]`` -> ``{"a": None, "b": {"c": None, "d": {"e": None}}}``."""
    tree, position = _parse_level(spec, 0, depth=0)
    if position != len(spec):
        raise InputError("The fields parameter is malformed: %1", [spec])
    return tree


def _parse_level(spec: str, position: int, depth: int) -> tuple[FieldTree, int]:
    if depth > 16:
        raise InputError("The fields parameter is malformed: %1", [spec])
    tree: FieldTree = {}
    name = ""
    while position < len(spec):
        char = spec[position]
        if char == ",":
            if name.strip():
                tree[name.strip()] = None
            name = ""
            position += 1
        elif char == "[":
            child, position = _parse_level(spec, position + 1, depth + 1)
            if position >= len(spec) or spec[position] != "]":
                raise InputError("The fields parameter is malformed: %1", [spec])
            tree[name.strip()] = child
            name = ""
            position += 1
        elif char == "]":
            break
        else:
            name += char
            position += 1
    if name.strip():
        tree[name.strip()] = None
    return tree, position


def apply(value: Any, tree: FieldTree | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, subtree in tree.items():
        if key in value:
            result[key] = _apply_member(key, value[key], subtree)
    return result


def _apply_member(key: str, value: Any, subtree: FieldTree | None) -> Any:
    if subtree is None:
        return value
    if key == "custom_attributes" and isinstance(value, list):
        return [item for item in value if item.get("attribute_code") in subtree]
    return apply(value, subtree)
