"""The route table: every REST route declared once, as data.

Domain modules export ``ROUTES: list[Route]``. From that list alone the system derives the
synchronous routes, their ``/async`` and ``/async/bulk`` twins (``:sku`` -> ``bySku``), the queue
topic names, the ACL checks and the OpenAPI documents. Nothing here imports the web framework, so
domain modules may import it freely.

A handler is a plain synchronous function ``handler(ctx, args) -> result``: ``ctx`` carries the
transaction, the store scope and the calling user; ``args`` maps each declared parameter name to
its converted value; the result is the JSON value the synchronous call answers with. The same
function serves the synchronous call and the consumer that executes the asynchronous operation,
so both give the same result.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from commerce_async.webapi.types import ObjectType, Type

if TYPE_CHECKING:
    from commerce_async.storage.database import Tx
    from commerce_async.stores.model import StoreView

USER_INTEGRATION = 1
USER_ADMIN = 2
USER_CUSTOMER = 3
USER_GUEST = 4

ANONYMOUS = "anonymous"
SELF = "self"
ALL_RESOURCES = "Magento_Backend::all"


@dataclass(frozen=True, slots=True)
class UserContext:
    """Who is calling. ``resources`` is None when every ACL resource is granted."""

    user_type: int
    user_id: int | None
    resources: frozenset[str] | None = frozenset()
    username: str | None = None
    website_id: int | None = None
    store_id: int | None = None
    group_id: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_type == USER_GUEST

    def allows(self, resources: tuple[str, ...]) -> bool:
        """Magento's ACL rule: every listed resource must be granted (anonymous always is)."""
        if ANONYMOUS in resources:
            return True
        for resource in resources:
            if resource == SELF:
                if self.user_type != USER_CUSTOMER:
                    return False
                continue
            if self.user_type not in (USER_ADMIN, USER_INTEGRATION):
                return False
            if self.resources is not None and resource not in self.resources:
                return False
        return True


GUEST = UserContext(USER_GUEST, None)
SYSTEM = UserContext(USER_ADMIN, None, None)


@dataclass(slots=True)
class ServiceContext:
    """What a handler may use: the open transaction, the store scope, the caller, the clock."""

    tx: Tx
    store: StoreView
    user: UserContext
    services: Any
    now: float = field(default_factory=time.time)


Handler = Callable[[ServiceContext, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Param:
    """One service-method argument, named as Magento names it (camelCase)."""

    name: str
    type: Type
    required: bool = True
    source: str = "body"
    """Where the synchronous call reads it: ``body``, ``path`` or ``query``."""


_PARAM_SEGMENT = re.compile(r"^:([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    """Magento path template, e.g. ``/V1/products/:sku``."""
    service: str
    """Service interface as Magento names it
    (``Magento\\Catalog\\Api\\ProductRepositoryInterface``)."""
    service_method: str
    resources: tuple[str, ...]
    handler: Handler
    params: tuple[Param, ...] = ()
    implementation: str = ""
    """Concrete class named in ``Service execution success <implementation>::<method>``."""
    forced: Mapping[str, str] = field(default_factory=dict)
    """Parameters forced from the caller (self routes), e.g.
    ``{"customer.id": "%customer_id%"}``."""
    returns: Type | None = None
    summary: str = ""
    extension: bool = False
    """Not a Magento route: our own addition (documented as such)."""
    bulk_alias: str = ""
    """Another bulk path that also reaches this route (Magento's ``webapi_async.xml`` alias:
    ``PUT /async/bulk/V1/products`` -> ``/V1/products/bySku``)."""
    accept_check: Callable[[UserContext, dict[str, Any]], None] | None = None
    """Extra check of each item's input when an async request is accepted (may raise 401)."""
    owner_access: bool = False
    """Authenticated callers without the resources still reach the handler, which limits them
    to what they own (a bulk's creator reading its own bulk)."""
    asynchronous: bool = True
    """False: no ``/async`` or ``/async/bulk`` twin (token routes: a queued token would sit in
    the bulk status for every reader to see)."""
    transactional: bool = True
    """False: the handler opens its own transactions (``ctx.tx`` is None), e.g. to do slow work
    such as password hashing without holding the write lock."""
    sensitive: tuple[str, ...] = ()
    """Input paths holding secrets (``"password"``, ``"customer.password"``): a queued
    operation stores them apart from its data, masked as ``******`` wherever the data is
    shown, and drops them once it ran (``operations.sensitive``)."""
    prepare: Callable[[UserContext, dict[str, Any]], dict[str, Any]] | None = None
    """Slow work on the converted arguments that needs no database (password hashing), run
    before any transaction opens: by the edge before the handler, and by a consumer for its
    whole batch before the batch transaction, so no write lock is held meanwhile. Returns the
    arguments the handler receives; an error it raises fails the call as the handler's would."""

    @cached_property
    def segments(self) -> tuple[str, ...]:
        return tuple(part for part in self.path.split("/") if part)

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        names = []
        for segment in self.segments:
            match = _PARAM_SEGMENT.match(segment)
            if match:
                names.append(match.group(1))
        return tuple(names)

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    @property
    def has_async(self) -> bool:
        return self.is_write and self.asynchronous

    @cached_property
    def topic(self) -> str:
        """``async.magento.catalog.api.productrepositoryinterface.save.put``."""
        service = ".".join(part.lstrip(":") for part in self.service.strip("\\").split("\\"))
        return f"async.{service}.{self.service_method}.{self.method}".lower()

    @property
    def bulk_path(self) -> str:
        """``/V1/products/:sku`` -> ``/V1/products/bySku``."""
        parts = []
        for segment in self.segments:
            match = _PARAM_SEGMENT.match(segment)
            parts.append(
                f"by{match.group(1)[:1].upper()}{match.group(1)[1:]}" if match else segment
            )
        return "/" + "/".join(parts)

    @property
    def success_message(self) -> str:
        owner = self.implementation or self.service
        return f"Service execution success {owner}::{self.service_method}"

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name:
                return param
        return None

    def body_object(self) -> tuple[str, ObjectType] | None:
        """The single data-object body parameter, if the route has exactly one."""
        objects = [
            (param.name, param.type)
            for param in self.params
            if param.source == "body" and isinstance(param.type, ObjectType)
        ]
        return objects[0] if len(objects) == 1 else None
