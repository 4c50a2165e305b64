"""Which store rows a product save writes: Magento 2.4's rules, as pure functions.

A product's values are held as ``defaults`` (store 0) and ``overrides`` (the store view in scope).
For a save in store view ``S`` (``S == 0`` for ``/rest/all``):

- ``S == 0``: every value is written at store 0; store views that override it keep their value.
- otherwise, by the attribute's scope: ``global`` values are written at store 0; ``website`` values
  as one row per store view of S's website; ``store`` values at S only.
- A value equal to what S already inherits creates no override (unless S already overrides it).
- ``None`` through a store view removes its override ("Use Default Value"); at store 0 it clears
  the value.

``plan`` returns the rows to write and to delete and updates ``defaults``/``overrides`` in place,
so the saved product can be answered from memory without reading it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commerce_async.catalog.attributes import GLOBAL, STORE, Attribute


@dataclass
class Plan:
    writes: list[tuple[Attribute, int, Any]] = field(default_factory=list)
    """``(attribute, store_id, value)``."""
    clears: list[tuple[Attribute, int]] = field(default_factory=list)
    """``(attribute, store_id)`` rows to delete."""


def plan(
    changes: dict[Attribute, Any],
    defaults: dict[int, Any],
    overrides: dict[int, Any],
    store_id: int,
    website_store_ids: list[int],
    price_scope_website: bool,
) -> Plan:
    result = Plan()
    for attribute, new in changes.items():
        scope = attribute.effective_scope(price_scope_website)
        if store_id == 0 or scope == GLOBAL:
            _plan_default(result, attribute, new, defaults)
            continue
        targets = [store_id] if scope == STORE else website_store_ids
        _plan_override(result, attribute, new, defaults, overrides, targets, scope)
    return result


def _plan_default(result: Plan, attribute: Attribute, new: Any, defaults: dict[int, Any]) -> None:
    key = attribute.attribute_id
    if new is None:
        if key in defaults:
            result.clears.append((attribute, 0))
            del defaults[key]
    elif defaults.get(key) != new:
        result.writes.append((attribute, 0, new))
        defaults[key] = new


def _plan_override(
    result: Plan,
    attribute: Attribute,
    new: Any,
    defaults: dict[int, Any],
    overrides: dict[int, Any],
    targets: list[int],
    scope: str,
) -> None:
    key = attribute.attribute_id
    overridden = key in overrides
    if new is None:
        # Website values were written for every view of the website: clear them all.
        if overridden or scope != STORE:
            result.clears.extend((attribute, target) for target in targets)
            overrides.pop(key, None)
        return
    if not overridden and defaults.get(key) == new:
        return
    if overridden and overrides[key] == new and scope == STORE:
        return
    result.writes.extend((attribute, target, new) for target in targets)
    overrides[key] = new
