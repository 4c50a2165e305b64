"""The ASGI application: the REST edge for ``/rest``, Starlette for every other page."""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route as HttpRoute

from commerce_async.runtime import Workers
from commerce_async.webapi import openapi
from commerce_async.webapi.rest import RestApi

# Modules that add pages to the Starlette application: each exposes ``mount(app, services)``.
PAGE_MODULES: tuple[str, ...] = (
    "commerce_async.webapi.swagger",
    "commerce_async.metrics",
    "commerce_async.admin",
)


def create_app(services: Any, *, consumers: int | None = None) -> Any:
    rest = RestApi(services)
    rest.schema_handler = openapi.schema_handler(services.routes.routes)
    workers = Workers(services, services.settings.consumers if consumers is None else consumers)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        workers.start()
        try:
            yield
        finally:
            workers.stop()

    async def health(_request: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def root(_request: Any) -> RedirectResponse:
        return RedirectResponse("/swagger" if "swagger" in services.extras else "/health")

    pages = Starlette(
        routes=[HttpRoute("/health", health), HttpRoute("/", root)], lifespan=lifespan
    )
    pages.state.services = services
    pages.state.rest = rest
    for name in PAGE_MODULES:
        importlib.import_module(name).mount(pages, services, rest)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/rest/") or path.startswith("/index.php/rest/"):
                await rest(scope, receive, send)
                return
        await pages(scope, receive, send)

    app.rest = rest  # type: ignore[attr-defined]
    app.workers = workers  # type: ignore[attr-defined]
    return app
