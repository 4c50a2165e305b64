"""The HTTP surface derived from the route table, for table-driven tests.

Every route of ``services.routes.routes`` yields its synchronous form and, for write routes with
asynchronous twins, its ``/async`` and ``/async/bulk`` forms (including a bulk alias). Tests that
iterate over ``forms(...)`` cover every route a module adds, with no change to the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commerce_async.webapi.routes import ANONYMOUS, SELF, Route
from commerce_async.webapi.types import IntType

_PARAM = re.compile(r":([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class Form:
    """One way to call a route: ``mode`` is ``sync``, ``async`` or ``bulk``."""

    route: Route
    mode: str
    method: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.mode} {self.method} {self.path}"

    @property
    def stores_a_bulk(self) -> bool:
        return self.mode != "sync"

    @property
    def reads_a_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") or self.mode == "bulk"

    def body(self, item: dict[str, Any]) -> Any:
        """``item`` as this form sends it: a JSON array of items for bulk, else the object."""
        return [item] if self.mode == "bulk" else item


def path_value(route: Route, name: str) -> str:
    param = route.param(name)
    return "7" if param is not None and isinstance(param.type, IntType) else "probe"


def concrete(route: Route, store: str = "default") -> str:
    path = _PARAM.sub(lambda match: path_value(route, match.group(1)), route.path)
    return f"/rest/{store}{path}"


def forms(routes: list[Route], store: str = "default") -> list[Form]:
    found: list[Form] = []
    for route in routes:
        found.append(Form(route, "sync", route.method, concrete(route, store)))
        if route.has_async:
            async_path = _PARAM.sub(lambda m, r=route: path_value(r, m.group(1)), route.path)
            found.append(Form(route, "async", route.method, f"/rest/{store}/async{async_path}"))
            for bulk_path in filter(None, (route.bulk_path, route.bulk_alias)):
                found.append(
                    Form(route, "bulk", route.method, f"/rest/{store}/async/bulk{bulk_path}")
                )
    return found


def is_anonymous(route: Route) -> bool:
    return ANONYMOUS in route.resources


def is_self(route: Route) -> bool:
    return SELF in route.resources


def is_admin_only(route: Route) -> bool:
    """Needs an admin or integration ACL resource (neither anonymous nor a customer's own)."""
    return not is_anonymous(route) and not is_self(route)
