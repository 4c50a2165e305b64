"""Route matching and service-input assembly, shared by the web edge and the consumers.

Framework-free on purpose: the consumer rebuilds a queued operation's arguments with the very same
``convert_args`` that checked them when the request was accepted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from commerce_async.errors import (
    CommerceError,
    InputError,
    WebapiError,
    aggregate,
    required_field,
    route_not_found,
)
from commerce_async.webapi.routes import USER_CUSTOMER, Route, UserContext
from commerce_async.webapi.types import ObjectType, snake_case

# Query parameters that steer the response, never service arguments.
RESERVED_QUERY = frozenset({"fields"})


def _specificity(route: Route) -> tuple[int, ...]:
    return tuple(1 if segment.startswith(":") else 0 for segment in route.segments)


class RouteTable:
    """Precompiled matching: candidates grouped by method and segment count, literal segments
    preferred over placeholders (so ``/V1/customers/me`` wins over ``/V1/customers/:id``)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: list[Route] = list(routes)
        self._by_shape: dict[tuple[str, int], list[Route]] = defaultdict(list)
        self._bulk: dict[tuple[str, str], Route] = {}
        self._bulk_paths: dict[str, set[str]] = defaultdict(set)
        self.by_topic: dict[str, Route] = {}
        for route in self.routes:
            self._by_shape[(route.method, len(route.segments))].append(route)
            if route.has_async:
                for bulk_path in filter(None, (route.bulk_path, route.bulk_alias)):
                    self._bulk.setdefault((route.method, bulk_path), route)
                    self._bulk_paths[bulk_path].add(route.method)
                self.by_topic.setdefault(route.topic, route)
        for candidates in self._by_shape.values():
            candidates.sort(key=_specificity)

    def match(self, method: str, segments: list[str]) -> tuple[Route, dict[str, str]] | None:
        for route in self._by_shape.get((method, len(segments)), ()):
            params = _match_segments(route.segments, segments)
            if params is not None:
                return route, params
        return None

    def methods_for(self, segments: list[str]) -> set[str]:
        methods = set()
        for (method, count), routes in self._by_shape.items():
            if count == len(segments) and any(
                _match_segments(r.segments, segments) is not None for r in routes
            ):
                methods.add(method)
        return methods

    def match_bulk(self, method: str, segments: list[str]) -> Route | None:
        return self._bulk.get((method, "/" + "/".join(segments)))

    def bulk_methods_for(self, segments: list[str]) -> set[str]:
        return self._bulk_paths.get("/" + "/".join(segments), set())

    def route_for_topic(self, topic: str) -> Route:
        route = self.by_topic.get(topic)
        if route is None:
            raise InputError('Topic "%1" is not declared.', [topic])
        return route


def _match_segments(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, actual in zip(template, segments, strict=True):
        if expected.startswith(":"):
            if actual == "":
                return None
            params[expected[1:]] = actual
        elif expected != actual:
            return None
    return params


def method_not_allowed(method: str) -> WebapiError:
    return WebapiError(f"The {method} HTTP method is not supported.", http_status=405)


def resolve_or_raise(table: RouteTable, method: str, segments: list[str]) -> tuple[Route, dict]:
    found = table.match(method, segments)
    if found is None:
        raise route_not_found()
    return found


# --- input assembly ------------------------------------------------------------------------------


def _find_key(data: Mapping[str, Any], name: str) -> str | None:
    if name in data:
        return name
    snake = snake_case(name)
    if snake in data:
        return snake
    return None


def inject_path_params(route: Route, data: dict[str, Any], path_params: Mapping[str, Any]) -> None:
    """Magento's PUT rule: the last path parameter goes into the single body object when that
    object has a field of its name, else at top level; ``me`` is never written."""
    if not path_params:
        return
    name = route.path_params[-1] if route.path_params else None
    if name is None or name not in path_params:
        return
    value = path_params[name]
    if value == "me":
        return
    body_keys = [key for key in data if key not in path_params]
    if len(body_keys) == 1 and isinstance(data[body_keys[0]], dict):
        param = route.param(body_keys[0]) or route.param(_camel(body_keys[0]))
        if param is not None and isinstance(param.type, ObjectType):
            field = param.type.lookup(name)
            if field is not None:
                obj = data[body_keys[0]]
                for key in [k for k in obj if param.type.lookup(k) == field]:
                    del obj[key]
                obj[field] = value
                return


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def apply_forced(route: Route, data: dict[str, Any], user: UserContext) -> None:
    """Parameters a route forces from the caller (``%customer_id%`` on self routes)."""
    for target, placeholder in route.forced.items():
        value = _placeholder(placeholder, user)
        node: Any = data
        parts = target.split(".")
        for part in parts[:-1]:
            key = _find_key(node, part) or part
            child = node.get(key)
            if child is None or child == []:
                child = {}
                node[key] = child
            node = child
        if not isinstance(node, dict):
            # A scalar or list where an object belongs: left as sent, so that converting it
            # refuses it; forcing a field into it would turn garbage into a valid request.
            continue
        leaf = parts[-1]
        for key in [k for k in node if snake_case(k) == snake_case(leaf)]:
            del node[key]
        node[leaf] = value


def _placeholder(placeholder: str, user: UserContext) -> Any:
    if not (placeholder.startswith("%") and placeholder.endswith("%")):
        return placeholder
    is_customer = user.user_type == USER_CUSTOMER
    values = {
        "%customer_id%": user.user_id if is_customer else None,
        "%customer_website_id%": user.website_id if is_customer else None,
        "%customer_store_id%": user.store_id if is_customer else None,
        "%customer_group_id%": user.group_id if is_customer else None,
    }
    return values.get(placeholder)


def build_input(
    route: Route,
    body: Any,
    path_params: Mapping[str, str],
    query: Mapping[str, Any],
    user: UserContext,
) -> dict[str, Any]:
    """The merged input of one call: body, then path and query parameters, then forced ones.

    This dict, JSON-encoded, is what an asynchronous operation stores as ``meta_information``.
    """
    data: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    inject_path_params(route, data, path_params)
    for name, value in path_params.items():
        data[name] = value
    for name, value in query.items():
        if name not in RESERVED_QUERY:
            data.setdefault(name, value)
    apply_forced(route, data, user)
    return data


def build_bulk_item(
    route: Route, item: dict[str, Any], query: Mapping[str, Any], user: UserContext
) -> dict[str, Any]:
    """One bulk item: path parameters come from the item itself (``bySku`` carries no value)."""
    data = dict(item)
    path_params = {
        name: data[name] for name in route.path_params if isinstance(data.get(name), str)
    }
    inject_path_params(route, data, path_params)
    for name, value in query.items():
        if name not in RESERVED_QUERY:
            data.setdefault(name, value)
    apply_forced(route, data, user)
    return data


def convert_args(route: Route, data: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert a call's input into the handler's arguments (all errors at once)."""
    errors: list[InputError] = []
    args: dict[str, Any] = {}
    for param in route.params:
        key = _find_key(data, param.name)
        if key is None or (param.required and data[key] is None):
            if param.required:
                errors.append(required_field(param.name))
            continue
        args[param.name] = param.type.convert(data[key], param.name, errors)
    if errors:
        raise aggregate(list(errors))
    return args


def first_error_text(error: CommerceError) -> str:
    return error.rendered() if not error.errors else "; ".join(e.rendered() for e in error.errors)
