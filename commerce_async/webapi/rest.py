"""The REST edge: a plain ASGI application for everything under ``/rest`` (and ``/index.php/rest``).

Per request: parse the raw path (so ``%2F`` inside a SKU stays inside its segment), resolve the
store code, pick the mode (sync, async, bulk, schema), match the route, authenticate, check ACL,
read and decode the body, then either run the handler (sync) or hand the checked items to the
acceptor (async and bulk). Every ``CommerceError`` becomes Magento's error envelope here and only
here; anything unexpected becomes a 500 with a report id (details in the log, never in the body
unless developer mode is on).
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from typing import Any
from urllib.parse import unquote

import anyio.to_thread
import msgspec

from commerce_async.errors import CommerceError, InputError, WebapiError, not_authorized
from commerce_async.operations.accept import PreparedItem, prepare
from commerce_async.stores.model import ALL_CODE, StoreView
from commerce_async.webapi import fields as fields_filter
from commerce_async.webapi import query as php_query
from commerce_async.webapi.dispatch import (
    build_bulk_item,
    build_input,
    convert_args,
    method_not_allowed,
)
from commerce_async.webapi.routes import GUEST, Route, ServiceContext, UserContext

log = logging.getLogger("commerce_async.webapi")

JSON_HEADERS = [(b"content-type", b"application/json; charset=utf-8")]
PARTIAL_ACCEPTANCE_HEADER = b"x-commerce-async-partial"
KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VERSION = re.compile(r"^V\d+$")
MAX_JSON_DEPTH = 64
# PHP keeps the last of two equal keys without a word; a client that sends both meant one of
# them, and guessing which is how data gets lost, so such a body is refused.
DUPLICATE_KEY_MESSAGE = 'Decoding error: the key "%1" appears twice.'
# No database stores NUL in text (PostgreSQL refuses it), so it is refused at the door.
NUL_MESSAGE = "Decoding error: the request contains a NUL character."
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# What the request matched, left in the ASGI scope for observers (metrics): ``(mode, template)``
# with the route's path template (never the raw URL), and ``(accepted, rejected)`` item counts.
ROUTE_KEY = "commerce_async.route"
ITEMS_KEY = "commerce_async.items"

# Values of types JSON does not know (decimals, identifiers) are rendered as their text.
_encode = msgspec.json.Encoder(enc_hook=str).encode
_decode = msgspec.json.Decoder().decode


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or JSON_HEADERS


def json_response(status: int, value: Any) -> Response:
    return Response(status, _encode(value))


def error_response(error: CommerceError) -> Response:
    return json_response(error.http_status, error.to_body())


class RestApi:
    def __init__(self, services: Any) -> None:
        self.services = services
        self.settings = services.settings
        self.table = services.routes
        self.acceptor = services.acceptor
        self.max_body = services.settings.max_body_bytes
        self.schema_handler = None  # set by the OpenAPI module when present

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        try:
            response = await self.handle(scope, receive)
        except CommerceError as error:
            response = error_response(error)
        except Exception as error:
            response = self.internal_error(error)
        await send(
            {"type": "http.response.start", "status": response.status, "headers": response.headers}
        )
        await send({"type": "http.response.body", "body": response.body})
        metrics = self.services.metrics
        if metrics is not None:
            metrics.observe_request(scope, response.status, time.perf_counter() - started)

    def internal_error(self, error: Exception) -> Response:
        report = f"webapi-{uuid.uuid4().hex[:13]}"
        log.error("unexpected error %s", report, exc_info=error, extra={"report_id": report})
        if self.settings.developer_mode:
            return json_response(
                500,
                {"message": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()},
            )
        return json_response(
            500,
            {
                "message": f"Internal Error. Details are available in Magento log file. "
                f"Report ID: {report}"
            },
        )

    # --- request parsing -------------------------------------------------------------------------

    async def handle(self, scope: dict, receive: Any) -> Response:
        method = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        # URLs are UTF-8, whether a client percent-encodes non-ASCII characters or not.
        path = raw_path.split(b"?", 1)[0].decode("utf-8", "replace")
        if path.startswith("/index.php/"):
            path = path[len("/index.php") :]
        segments = [unquote(part, errors="replace") for part in path.split("/") if part][1:]
        if any("\x00" in segment for segment in segments):
            raise InputError(NUL_MESSAGE)
        headers = dict(scope["headers"])
        self._check_accept(headers.get(b"accept"))

        store = self.services.stores.snapshot.default_store
        if segments:
            first = segments[0]
            if first == ALL_CODE:
                store = self.services.stores.snapshot.admin_store
                segments = segments[1:]
            else:
                view = self.services.stores.find_view(first) if not _VERSION.match(first) else None
                if view is not None:
                    store = view
                    segments = segments[1:]

        if method not in KNOWN_METHODS:
            raise method_not_allowed(method)

        mode = "sync"
        if segments[:1] == ["async"]:
            if segments[1:2] == ["bulk"]:
                mode, segments = "bulk", segments[2:]
            else:
                mode, segments = "async", segments[1:]
        if segments[:1] == ["schema"]:
            scope[ROUTE_KEY] = (mode, "/schema")
            return await self._schema(scope, headers, store, mode)
        if not segments or not _VERSION.match(segments[0]):
            if mode != "sync":
                raise WebapiError("Specified request cannot be processed.")
            raise_not_found()
        if mode != "sync" and method == "GET":
            raise WebapiError("Specified request cannot be processed.")

        user = self._authenticate(headers.get(b"authorization"))
        raw_query: bytes = scope.get("query_string", b"")
        if b"%00" in raw_query or b"\x00" in raw_query:
            raise InputError(NUL_MESSAGE)
        query_string = raw_query.decode("utf-8", "replace")
        query = php_query.parse(query_string) if query_string else {}
        if mode == "sync":
            return await self._sync(scope, receive, headers, method, segments, store, user, query)
        return await self._async(
            scope, receive, headers, method, segments, store, user, query, bulk=mode == "bulk"
        )

    def _check_accept(self, accept: bytes | None) -> None:
        if not accept:
            return
        text = accept.decode("latin-1").lower()
        for part in text.split(","):
            media = part.split(";", 1)[0].strip()
            if media in ("*/*", "application/*", "application/json", "") or media.endswith("+json"):
                return
        raise WebapiError(
            "Server cannot match any of the given Accept HTTP header media type(s) from the "
            f'request: "{accept.decode("latin-1")}" with media types from the config of response '
            "renderer.",
            http_status=406,
        )

    def _authenticate(self, authorization: bytes | None) -> UserContext:
        if not authorization:
            return GUEST
        text = authorization.decode("latin-1").strip()
        if text[:7].lower() != "bearer ":
            return GUEST
        token = text[7:].strip()
        if not token or len(token) > 512:
            return GUEST
        return self.services.resolve_token(token)

    async def _read_body(self, headers: dict, receive: Any) -> bytes:
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise InputError("Content-Length header is invalid.") from None
            if length > self.max_body:
                raise self._too_large()
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise InputError("The client closed the connection.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    def _too_large(self) -> WebapiError:
        error = WebapiError(
            "The request body is larger than the limit of %limit bytes.",
            {"limit": self.max_body},
            http_status=413,
        )
        return error

    def _decode_body(self, headers: dict, body: bytes, method: str) -> Any:
        if not body.strip():
            # Magento reads an empty body as "no parameters" (no decoding, no Content-Type
            # check); a route that needs one answers '"%fieldName" is required'.
            return None
        self._check_content_type(headers.get(b"content-type"))
        try:
            value = _decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            raise InputError("Decoding error.") from None
        keys = _object_keys(value, MAX_JSON_DEPTH)
        if keys is None:
            raise InputError("Decoding error: the JSON document is nested too deeply.")
        if _repeats_a_key(body, value, keys):
            raise _duplicate_key(body)
        if b"\\u0000" in body and _NUL_ESCAPE.search(body):
            raise InputError(NUL_MESSAGE)
        return value

    def _check_content_type(self, content_type: bytes | None) -> None:
        if not content_type or not content_type.strip():
            raise InputError("Content-Type header is empty.")
        text = content_type.decode("latin-1")
        media, _, parameters = text.partition(";")
        media = media.strip().lower()
        if not re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", media):
            raise InputError("Content-Type header is invalid.")
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                raise InputError("UTF-8 is the only supported charset.")
        if media != "application/json" and not media.endswith("+json"):
            raise InputError(
                "Server cannot understand Content-Type HTTP header media type %1", [media]
            )

    # --- synchronous calls -----------------------------------------------------------------------

    async def _sync(
        self, scope, receive, headers, method, segments, store, user, query
    ) -> Response:
        found = self.table.match(method, segments)
        if found is None:
            raise_not_found()
        route, path_params = found
        scope[ROUTE_KEY] = ("sync", route.path)
        if not permitted(route, user):
            raise not_authorized(route.resources)
        body = None
        if method in BODY_METHODS:
            body = self._decode_body(headers, await self._read_body(headers, receive), method)
            if body is not None and not isinstance(body, dict):
                raise InputError("Decoding error.")
        data = build_input(route, body, path_params, query, user)
        args = convert_args(route, data)
        result = await self.call(route, store, user, args)
        fields_spec = query.get("fields")
        if isinstance(fields_spec, str) and fields_spec:
            result = fields_filter.apply(result, fields_filter.parse(fields_spec))
        return json_response(200, result)

    async def call(self, route: Route, store: StoreView, user: UserContext, args: dict) -> Any:
        """Run a handler where it belongs: reads on a worker thread, writes in the group-commit
        writer, non-transactional handlers on a worker thread with their own transactions."""
        services = self.services

        if route.prepare is not None:
            args = await anyio.to_thread.run_sync(route.prepare, user, args)

        def work(tx):
            return route.handler(ServiceContext(tx, store, user, services), args)

        if not route.transactional:
            return await anyio.to_thread.run_sync(work, None)
        if route.method == "GET":
            return await anyio.to_thread.run_sync(services.db.run_read, work)
        return await services.writer.run(work)

    # --- asynchronous and bulk calls -------------------------------------------------------------

    async def _async(
        self, scope, receive, headers, method, segments, store, user, query, *, bulk: bool
    ) -> Response:
        if bulk:
            route = self.table.match_bulk(method, segments)
            if route is None:
                if self.table.bulk_methods_for(segments):
                    raise method_not_allowed(method)
                raise_not_found()
            path_params: dict[str, str] = {}
            scope[ROUTE_KEY] = ("bulk", "/" + "/".join(segments))  # byXxx paths hold no values
        else:
            found = self.table.match(method, segments)
            if found is None or not found[0].has_async:
                if self.table.methods_for(segments) - {"GET"}:
                    raise method_not_allowed(method)
                raise_not_found()
            route, path_params = found
            scope[ROUTE_KEY] = ("async", route.path)
        if not permitted(route, user):
            raise not_authorized(route.resources)
        body = self._decode_body(headers, await self._read_body(headers, receive), method)
        if bulk:
            items = self._prepare_bulk(route, body, query, store, user, headers)
        else:
            if body is not None and not isinstance(body, dict):
                raise InputError("Decoding error.")
            data = build_input(route, body, path_params, query, user)
            if route.accept_check is not None:
                route.accept_check(user, data)
            item = prepare(route, 0, data, store)
            if item.error is not None:
                raise item.error
            items = [item]
        result = await self.acceptor.accept(route, user, items)
        rejected = sum(1 for item in items if item.error is not None)
        scope[ITEMS_KEY] = (len(items) - rejected, rejected)
        return json_response(202, result)

    def _prepare_bulk(self, route, body, query, store, user, headers) -> list[PreparedItem]:
        if body is None:
            raise InputError("The request body must be a JSON array with one item per entity.")
        if not isinstance(body, list):
            raise InputError(
                "The request body must be a JSON array with one item per entity, "
                'for example [{"product": {...}}].'
            )
        if not body:
            raise InputError(
                "The request body is an empty array: a bulk request needs at least one item."
            )
        partial = headers.get(PARTIAL_ACCEPTANCE_HEADER, b"").strip().lower() in (
            b"1",
            b"true",
            b"yes",
            b"on",
        )
        items: list[PreparedItem] = []
        errors: list[CommerceError] = []
        for index, raw in enumerate(body):
            if not isinstance(raw, dict):
                error = InputError(
                    "Item %index of the request body is not a JSON object.", {"index": index}
                )
                items.append(PreparedItem(index, "", error))
                errors.append(error)
                continue
            data = build_bulk_item(route, raw, query, user)
            if route.accept_check is not None:
                route.accept_check(user, data)
            item = prepare(route, index, data, store)
            items.append(item)
            if item.error is not None:
                errors.append(_indexed(item.error, index))
        if errors and not partial:
            raise InputError(
                "One or more items of the bulk request are invalid; nothing was accepted.",
                errors=errors,
            )
        if partial:
            items = [
                _with_serialized(item, raw, store) for item, raw in zip(items, body, strict=True)
            ]
        return items

    async def _schema(self, scope, headers, store, mode) -> Response:
        if self.schema_handler is None:
            raise_not_found()
        user = self._authenticate(headers.get(b"authorization"))
        query_string = scope.get("query_string", b"").decode("latin-1")
        return json_response(200, self.schema_handler(scope, store, mode, user, query_string))


def permitted(route: Route, user: UserContext) -> bool:
    return user.allows(route.resources) or (route.owner_access and not user.is_guest)


def raise_not_found() -> None:
    from commerce_async.errors import route_not_found

    raise route_not_found()


def _indexed(error: CommerceError, index: int) -> CommerceError:
    """Name the item: every error of item ``index`` carries ``index`` in its parameters."""
    inner = error.errors or [error]
    flat = []
    for item in inner:
        parameters = item.parameters
        if isinstance(parameters, dict) or parameters is None:
            parameters = {**(parameters or {}), "index": index}
        else:
            parameters = {**{str(i + 1): v for i, v in enumerate(parameters)}, "index": index}
        flat.append(InputError(item.message, parameters))
    if len(flat) == 1:
        return flat[0]
    return InputError("One or more input exceptions have occurred.", {"index": index}, errors=flat)


def _with_serialized(item: PreparedItem, raw: Any, store: StoreView) -> PreparedItem:
    if item.serialized_data:
        return item
    from commerce_async.operations.model import serialize_operation_data

    data = raw if isinstance(raw, dict) else {"item": raw}
    return PreparedItem(item.key, serialize_operation_data(data, store.store_id), item.error)


def _object_keys(value: Any, limit: int) -> int | None:
    """The number of keys of every object in ``value``, or None when it nests deeper than
    ``limit``."""
    keys = 0
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return None
        if isinstance(current, dict):
            keys += len(current)
            stack.extend(
                (child, depth + 1) for child in current.values() if isinstance(child, (dict, list))
            )
        elif isinstance(current, list):
            stack.extend((child, depth + 1) for child in current if isinstance(child, (dict, list)))
    return keys


def _repeats_a_key(body: bytes, value: Any, keys: int) -> bool:
    """Whether an object of ``body`` repeats a key (the decoder silently kept the last one).

    Every key is followed by exactly one colon outside strings, so a body whose colons do not
    outnumber its decoded keys repeats none: one ``count`` clears almost every body. Otherwise
    (colons inside strings) the decoded value is encoded again, which writes each key once and
    every string's colons as they were; fewer colons than the body means a repeated key. Only a
    colon escaped as ``\\u003a`` would spoil that count: then strings are stripped exactly."""
    colons = body.count(b":")
    if colons <= keys:
        return False
    if b"\\u003a" in body or b"\\u003A" in body:
        return _JSON_STRING.sub(b"", body).count(b":") > keys
    return colons > _encode(value).count(b":")


def _duplicate_key(body: bytes) -> InputError:
    """Name the first repeated key (slow, only on the way to the error)."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen = set()
        for key, _ in items:
            if key in seen and not repeated:
                repeated.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(body, object_pairs_hook=pairs)
    except ValueError:
        pass
    return InputError(DUPLICATE_KEY_MESSAGE, [repeated[0] if repeated else ""])
