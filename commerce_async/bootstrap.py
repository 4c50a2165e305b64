"""The composition root: settings -> backends -> services. The only module that knows every
concrete class; everything else receives what it needs from the ``Services`` built here."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

from commerce_async.auth import tokens
from commerce_async.auth.service import LoginThrottle, load_admin, load_integration
from commerce_async.metrics import Metrics
from commerce_async.operations.accept import Acceptor
from commerce_async.queue.base import Source, Transport
from commerce_async.queue.database import DatabaseSource, DatabaseTransport, Doorbell
from commerce_async.settings import Settings
from commerce_async.storage.database import Database
from commerce_async.storage.writer import GroupCommitWriter
from commerce_async.stores.model import StoreRegistry
from commerce_async.stores.repository import load_snapshot, version
from commerce_async.webapi.dispatch import RouteTable
from commerce_async.webapi.routes import USER_ADMIN, USER_INTEGRATION, Route, UserContext

# Each module exports ROUTES (and may export USER_LOADERS). Adding a module here is all it takes
# for its routes to get synchronous, async and bulk endpoints, topics, ACL and OpenAPI.
DOMAIN_MODULES = (
    "commerce_async.stores.service",
    "commerce_async.auth.service",
    "commerce_async.operations.status",
    "commerce_async.catalog.routes",
    "commerce_async.categories.routes",
    "commerce_async.customers.routes",
)


def collect_routes() -> list[Route]:
    routes: list[Route] = []
    for name in DOMAIN_MODULES:
        routes.extend(importlib.import_module(name).ROUTES)
    return routes


def collect_user_loaders() -> dict[int, Any]:
    loaders: dict[int, Any] = {USER_ADMIN: load_admin, USER_INTEGRATION: load_integration}
    for name in DOMAIN_MODULES:
        loaders.update(getattr(importlib.import_module(name), "USER_LOADERS", {}))
    return loaders


@dataclass
class Services:
    settings: Settings
    db: Database
    writer: GroupCommitWriter
    stores: StoreRegistry
    routes: RouteTable
    transport: Transport
    acceptor: Acceptor
    doorbell: Doorbell
    login_throttle: LoginThrottle
    user_loaders: dict[int, Any]
    token_cache: tokens.TokenCache
    metrics: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def resolve_token(self, token: str) -> UserContext:
        user = self.token_cache.get(token)
        if user is None:
            with self.db.read() as tx:
                user = tokens.resolve(tx, token, self.user_loaders, time.time())
            self.token_cache.put(token, user)
        return user

    def new_source(self) -> Source:
        """A consumer-side queue handle for one consumer."""
        if self.settings.uses_amqp:
            from commerce_async.queue.amqp import AmqpSource

            return AmqpSource(self.settings.queue_url, self.db)
        if self.db.dialect == "postgresql":
            from commerce_async.queue.postgres import NotifyWaiter

            # NOTIFY wakes idle consumers in any process; the slower poll only picks up what
            # no notification announces (retries coming due, expired leases).
            return DatabaseSource(
                self.db,
                self.doorbell,
                self.settings.lease_seconds,
                max_poll_interval=0.5,
                waiter=NotifyWaiter(self.settings.db_url),
            )
        return DatabaseSource(self.db, self.doorbell, self.settings.lease_seconds)

    def close(self) -> None:
        self.writer.stop()
        self.transport.close()
        self.db.dispose()


def build(settings: Settings, *, routes: list[Route] | None = None) -> Services:
    db = Database(settings)
    doorbell = Doorbell()
    transport: Transport
    if settings.uses_amqp:
        from commerce_async.queue.amqp import AmqpOutboxTransport

        transport = AmqpOutboxTransport(settings.queue_url, db, doorbell)
    else:
        notify = "NOTIFY commerce_async_queue" if db.dialect == "postgresql" else None
        transport = DatabaseTransport(doorbell, notify)
    writer = GroupCommitWriter(db, settings.writer_batch)
    route_table = RouteTable(routes if routes is not None else collect_routes())
    stores = StoreRegistry(lambda: db.run_read(load_snapshot), lambda: db.run_read(version))
    return Services(
        settings=settings,
        db=db,
        writer=writer,
        stores=stores,
        routes=route_table,
        transport=transport,
        acceptor=Acceptor(writer, transport),
        doorbell=doorbell,
        login_throttle=LoginThrottle(settings.lockout_failures, settings.lockout_seconds),
        user_loaders=collect_user_loaders(),
        token_cache=tokens.TokenCache(),
        metrics=Metrics(db),
    )
