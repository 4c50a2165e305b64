"""Swagger 2.0 documents of the REST API, generated from the route table alone.

Three documents, as Magento serves them at ``/rest/<store>/schema``,
``/rest/<store>/async/schema`` and ``/rest/<store>/async/bulk/schema``:

- ``sync``: every route, ``{param}`` paths, ``200`` responses described by ``Route.returns``;
- ``async``: only the routes that have an asynchronous twin (no GET), paths in their synchronous
  form, each with a single success response ``202`` referencing
  ``asynchronous-operations-data-async-response-interface``;
- ``bulk``: the real bulk routes, unlike Magento's (which repeats the synchronous document):
  ``byXxx`` paths and a JSON array body with one item per entity, each item carrying the route's
  body and path parameters.

Every document lists only the routes the caller may use (anonymous callers see only anonymous
routes), names definitions and services as Magento does (``catalogProductRepositoryV1``,
``error-response``), and keeps Magento's error responses: ``400`` for routes that take input,
``404`` for synchronous routes addressed by a path parameter, ``401`` for non-anonymous routes,
and ``default``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from commerce_async.errors import WebapiError
from commerce_async.webapi.rest import permitted
from commerce_async.webapi.routes import ANONYMOUS, Route, UserContext
from commerce_async.webapi.types import AnyType, ArrayType, ObjectType, Type

API_VERSION = "2.4"
"""``info.version``: the Magento REST API level this service speaks."""
TITLE = "commerce-async"
ERROR_REF = "#/definitions/error-response"
ASYNC_RESPONSE = "asynchronous-operations-data-async-response-interface"
ITEM_STATUS = "asynchronous-operations-data-item-status-interface"
MODES = ("sync", "async", "bulk")

# Magento's ``Request::getRequestedServices``: ``all`` or a comma-separated list of
# ``<name>V<n>`` service names.
_SERVICES_PARAM = re.compile(r"^[A-Za-z\d]*V\d+(,[A-Za-z\d]*V\d+)*$")
_VERSION = re.compile(r"^V\d+$")


# --- names ---------------------------------------------------------------------------------------


def service_name(route: Route) -> str:
    """Magento's service name: ``Magento\\Catalog\\Api\\ProductRepositoryInterface`` on a ``V1``
    path -> ``catalogProductRepositoryV1`` (vendor ``Magento`` dropped, the module dropped when
    the interface name repeats it)."""
    parts = [part for part in route.service.strip("\\").split("\\") if part]
    version = next((s for s in route.segments if _VERSION.match(s)), "V1")
    if len(parts) >= 4 and parts[2] == "Api":
        vendor = "" if parts[0] == "Magento" else parts[0]
        module = parts[1]
        rest = parts[3:]
        rest[-1] = rest[-1].removesuffix("Interface")
        if rest[0] == module:
            module = ""
        name = vendor + module + "".join(rest) + version
    else:
        name = "".join(parts).removesuffix("Interface") + version
    name = re.sub(r"[^A-Za-z\d]", "", name)
    return name[:1].lower() + name[1:]


def swagger_path(template: str) -> str:
    """``/V1/products/:sku`` -> ``/V1/products/{sku}``."""
    return "/".join(
        "{" + part[1:] + "}" if part.startswith(":") else part for part in template.split("/")
    )


def requested_services(query_string: str) -> set[str] | None:
    """The ``services`` query parameter: None for all, else the set of names (400 if malformed)."""
    values = parse_qs(query_string, keep_blank_values=True).get("services")
    raw = values[-1] if values else ""
    if raw in ("", "all"):
        return None
    if not _SERVICES_PARAM.match(raw):
        raise WebapiError("Incorrect format of request URI or Requested services are missing.")
    return set(raw.split(","))


# --- fixed definitions ---------------------------------------------------------------------------


def _error_definitions() -> dict[str, Any]:
    return {
        "error-response": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "Error message"},
                "errors": {"$ref": "#/definitions/error-errors"},
                "code": {"type": "integer", "description": "Error code"},
                "parameters": {"$ref": "#/definitions/error-parameters"},
                "trace": {"type": "string", "description": "Stack trace"},
            },
            "required": ["message"],
        },
        "error-errors": {
            "type": "array",
            "description": "Errors list",
            "items": {"$ref": "#/definitions/error-errors-item"},
        },
        "error-errors-item": {
            "type": "object",
            "description": "Error details",
            "properties": {
                "message": {"type": "string", "description": "Error message"},
                "parameters": {"$ref": "#/definitions/error-parameters"},
            },
        },
        "error-parameters": {
            "type": "array",
            "description": "Error parameters list",
            "items": {"$ref": "#/definitions/error-parameters-item"},
        },
        "error-parameters-item": {
            "type": "object",
            "description": "Error parameters item",
            "properties": {
                "resources": {"type": "string", "description": "ACL resource"},
                "fieldName": {"type": "string", "description": "Missing or invalid field name"},
                "fieldValue": {"type": "string", "description": "Incorrect field value"},
            },
        },
    }


def _async_definitions() -> dict[str, Any]:
    return {
        ASYNC_RESPONSE: {
            "type": "object",
            "description": "Response of an asynchronous or bulk request: the bulk and its items.",
            "properties": {
                "bulk_uuid": {"type": "string", "description": "Bulk uuid."},
                "request_items": {
                    "type": "array",
                    "description": "List of request items.",
                    "items": {"$ref": f"#/definitions/{ITEM_STATUS}"},
                },
                "errors": {
                    "type": "boolean",
                    "description": "If there were any errors during processing",
                },
                "extension_attributes": {
                    "$ref": "#/definitions/asynchronous-operations-data-async-response-"
                    "extension-interface"
                },
            },
            "required": ["bulk_uuid", "request_items", "errors"],
        },
        "asynchronous-operations-data-async-response-extension-interface": {
            "type": "object",
            "description": "Extension attributes of the asynchronous response (none defined).",
        },
        ITEM_STATUS: {
            "type": "object",
            "description": "Status of one item of an asynchronous or bulk request.",
            "properties": {
                "id": {"type": "integer", "description": "Entity id (the item's index)."},
                "data_hash": {
                    "type": "string",
                    "description": "SHA-256 of the operation's serialized_data; null for a "
                    "rejected item.",
                    "x-nullable": True,
                },
                "status": {
                    "type": "string",
                    "description": "accepted or rejected.",
                    "enum": ["accepted", "rejected"],
                },
                "error_message": {"type": "string", "description": "Error information."},
                "error_code": {"type": "integer", "description": "Error code."},
                "extension_attributes": {
                    "$ref": "#/definitions/asynchronous-operations-data-item-status-"
                    "extension-interface"
                },
            },
            "required": ["id", "data_hash", "status"],
        },
        "asynchronous-operations-data-item-status-extension-interface": {
            "type": "object",
            "description": "Extension attributes of an item status (none defined).",
        },
    }


# --- parameters ----------------------------------------------------------------------------------


def _forced_names(route: Route) -> set[str]:
    """Parameters the route takes from the caller: never shown (Magento omits them too)."""
    return {target for target in route.forced if "." not in target}


def _simple_schema(value_type: Type) -> dict[str, Any]:
    """A query or path parameter's own fields: Swagger 2.0 allows no ``$ref`` there."""
    if isinstance(value_type, AnyType):
        return {"type": "string"}
    if isinstance(value_type, ArrayType):
        return {
            "type": "array",
            "items": _simple_schema(value_type.items),
            "collectionFormat": "multi",
        }
    return {"type": value_type.openapi_type}


def _query_parameters(name: str, value_type: Type, required: bool) -> list[dict[str, Any]]:
    """PHP-style query names: an object becomes ``name[field]`` entries, an array of objects
    ``name[0][field]`` (an example index), an array of scalars ``name[]`` repeated."""
    if isinstance(value_type, ObjectType):
        found: list[dict[str, Any]] = []
        for field_name, spec in value_type.fields.items():
            found.extend(_query_parameters(f"{name}[{field_name}]", spec.type, False))
        return found
    if isinstance(value_type, ArrayType) and isinstance(value_type.items, ObjectType):
        return _query_parameters(f"{name}[0]", value_type.items, False)
    parameter: dict[str, Any] = {"name": name, "in": "query", **_simple_schema(value_type)}
    if isinstance(value_type, ArrayType):
        parameter["name"] = f"{name}[]"
    if required:
        parameter["required"] = True
    return [parameter]


def _object_schema(
    properties: dict[str, Any], required: list[str], description: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = required
    return schema


class _Operation:
    """One route as one Swagger operation in one of the three documents."""

    def __init__(self, route: Route, mode: str, definitions: dict[str, Any]) -> None:
        self.route = route
        self.mode = mode
        self.definitions = definitions

    def parameters(self, operation_id: str) -> list[dict[str, Any]]:
        route = self.route
        forced = _forced_names(route)
        declared = {param.name for param in route.params}
        in_path = self.mode != "bulk"
        parameters: list[dict[str, Any]] = []
        body_properties: dict[str, Any] = {}
        body_required: list[str] = []
        for param in route.params:
            if param.name in forced:
                continue
            if param.name in route.path_params and in_path:
                parameters.append(
                    {"name": param.name, "in": "path", "required": True}
                    | _simple_schema(param.type)
                )
            elif param.source == "query" or (route.method == "GET" and param.source != "path"):
                parameters.extend(_query_parameters(param.name, param.type, param.required))
            else:
                body_properties[param.name] = param.type.to_schema(self.definitions)
                if param.required:
                    body_required.append(param.name)
        for name in route.path_params:
            if name in declared:
                continue
            if in_path:
                parameters.append({"name": name, "in": "path", "required": True, "type": "string"})
            else:
                body_properties[name] = {
                    "type": "string",
                    "description": f"Optional: the value the synchronous route takes from its "
                    f"{{{name}}} path segment.",
                }
        if self.mode == "bulk":
            item = _object_schema(body_properties, body_required, "One entity of the bulk.")
            parameters.append(
                {
                    "name": operation_id + "Body",
                    "in": "body",
                    "required": True,
                    "schema": {
                        "type": "array",
                        "description": "One item per entity; each becomes one operation.",
                        "items": item,
                    },
                }
            )
        elif body_properties:
            parameters.append(
                {
                    "name": operation_id + "Body",
                    "in": "body",
                    "schema": _object_schema(body_properties, body_required),
                }
            )
        return parameters

    def responses(self) -> dict[str, Any]:
        route = self.route
        responses: dict[str, Any] = {}
        if self.mode == "sync":
            success: dict[str, Any] = {"description": "200 Success."}
            if route.returns is not None:
                success["schema"] = route.returns.to_schema(self.definitions)
            responses["200"] = success
        else:
            responses["202"] = {
                "description": "202 Accepted.",
                "schema": {"$ref": f"#/definitions/{ASYNC_RESPONSE}"},
            }
        if route.params or route.path_params or route.method != "GET":
            responses["400"] = {"description": "400 Bad Request", "schema": {"$ref": ERROR_REF}}
        if any(resource != ANONYMOUS for resource in route.resources):
            responses["401"] = {"description": "401 Unauthorized", "schema": {"$ref": ERROR_REF}}
        if route.path_params and self.mode == "sync":
            responses["404"] = {"description": "404 Not Found", "schema": {"$ref": ERROR_REF}}
        responses["default"] = {"description": "Unexpected error", "schema": {"$ref": ERROR_REF}}
        return responses

    def build(self, tag: str, operation_id: str) -> dict[str, Any]:
        route = self.route
        description = route.summary or f"{route.service}::{route.service_method}"
        if self.mode == "bulk":
            description += " (bulk: one operation per array item)"
        elif self.mode == "async":
            description += " (asynchronous: queued as a bulk of one operation)"
        operation: dict[str, Any] = {
            "tags": [tag],
            "description": description,
            "operationId": operation_id,
        }
        parameters = self.parameters(operation_id)
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = self.responses()
        if route.extension:
            operation["x-commerce-async-extension"] = True
        return operation


# --- documents -----------------------------------------------------------------------------------


def _visible(routes: Iterable[Route], mode: str, user: UserContext) -> list[Route]:
    return [
        route for route in routes if permitted(route, user) and (mode == "sync" or route.has_async)
    ]


def _paths_of(route: Route, mode: str) -> list[str]:
    if mode != "bulk":
        return [swagger_path(route.path)]
    return [path for path in (route.bulk_path, route.bulk_alias) if path]


def build_document(
    routes: Iterable[Route],
    mode: str,
    user: UserContext,
    *,
    base_path: str,
    host: str,
    scheme: str,
    services: set[str] | None = None,
) -> dict[str, Any]:
    """The Swagger 2.0 document of ``mode`` (``sync``, ``async`` or ``bulk``) for ``user``."""
    if mode not in MODES:
        raise ValueError(f"unknown schema mode {mode!r}")
    definitions: dict[str, Any] = {}
    tags: dict[str, dict[str, str]] = {}
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for route in _visible(routes, mode, user):
        tag = service_name(route)
        if services is not None and tag not in services:
            continue
        tags.setdefault(tag, {"name": tag, "description": route.service.strip("\\")})
        base_id = tag + route.service_method[:1].upper() + route.service_method[1:]
        base_id += route.method.capitalize()
        for path in _paths_of(route, mode):
            operation_id = _unique(base_id, used_ids)
            operation = _Operation(route, mode, definitions).build(tag, operation_id)
            paths.setdefault(path, {})[route.method.lower()] = operation
    document_definitions = _error_definitions()
    if mode != "sync":
        document_definitions.update(_async_definitions())
    document_definitions.update(definitions)
    return {
        "swagger": "2.0",
        "info": {"version": API_VERSION, "title": TITLE},
        "host": host,
        "basePath": base_path,
        "schemes": [scheme],
        "tags": list(tags.values()),
        "paths": paths,
        "definitions": document_definitions,
    }


def _unique(candidate: str, used: set[str]) -> str:
    """Magento repeats operation ids (``/me`` routes share their service method); Swagger
    forbids that, so later repeats get a number."""
    name = candidate
    counter = 2
    while name in used:
        name = f"{candidate}{counter}"
        counter += 1
    used.add(name)
    return name


def base_path_of(scope: dict[str, Any]) -> str:
    """The request path up to its ``/schema`` segment (``/rest/all/async``)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    parts = raw.split(b"?", 1)[0].decode("latin-1").split("/")
    indexes = [index for index, part in enumerate(parts) if part == "schema"]
    end = indexes[-1] if indexes else len(parts)
    return "/".join(parts[:end]) or "/"


def _host_of(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return value.decode("latin-1")
    server = scope.get("server")
    if server:
        return f"{server[0]}:{server[1]}"
    return "localhost"


def schema_handler(routes: Iterable[Route], cache_size: int = 128) -> Callable[..., dict[str, Any]]:
    """The ``RestApi.schema_handler`` hook:
    ``handler(scope, store, mode, user, query_string) -> document``.

    The route table never changes while the process runs, so documents are cached, keyed by
    everything they depend on: the mode (Magento's cache key forgets it and serves a sync
    document for an async request), the caller's ACL, the requested services, the base path,
    host and scheme. Building the full synchronous document takes milliseconds, spent on the
    event loop, so repeated requests (Swagger UI reloads) should not pay it again.
    """
    route_list = list(routes)
    cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def handler(
        scope: dict[str, Any], store: Any, mode: str, user: UserContext, query_string: str
    ) -> dict[str, Any]:
        services = requested_services(query_string)
        base_path, host = base_path_of(scope), _host_of(scope)
        scheme = scope.get("scheme", "http")
        key = (
            mode,
            user.user_type,
            user.resources,
            None if services is None else frozenset(services),
            base_path,
            host,
            scheme,
        )
        document = cache.get(key)
        if document is None:
            document = build_document(
                route_list,
                mode,
                user,
                base_path=base_path,
                host=host,
                scheme=scheme,
                services=services,
            )
            cache[key] = document
            if len(cache) > cache_size:
                cache.popitem(last=False)
        return document

    return handler
