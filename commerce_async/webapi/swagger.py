"""Page module: Swagger UI at ``/swagger`` over the three documents of ``webapi.openapi``.

Everything is served from this process: Swagger UI's files come from the ``swagger-ui-bundle``
package, the page and its script from ``webapi/static``. No CDN, so the page works offline, and
a Content-Security-Policy keeps the browser from loading anything from elsewhere.
``/swagger?type=async&store=all`` preselects a document, as Magento's ``/swagger?type=async``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from swagger_ui_bundle import swagger_ui_path

STATIC = Path(__file__).parent / "static"
BUNDLE = Path(str(swagger_ui_path))

# The only files served under /swagger/assets/: the bundle's, and this page's own.
ASSETS: dict[str, Path] = {
    "swagger-ui.css": BUNDLE / "swagger-ui.css",
    "swagger-ui-bundle.js": BUNDLE / "swagger-ui-bundle.js",
    "favicon-32x32.png": BUNDLE / "favicon-32x32.png",
    "favicon-16x16.png": BUNDLE / "favicon-16x16.png",
    "swagger-page.js": STATIC / "swagger-page.js",
    "swagger-page.css": STATIC / "swagger-page.css",
}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


async def page(_request: Request) -> Response:
    return FileResponse(
        STATIC / "swagger.html",
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
        },
    )


async def asset(request: Request) -> Response:
    path = ASSETS.get(request.path_params["name"])
    if path is None:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


def mount(app: Any, services: Any, rest: Any) -> None:
    app.add_route("/swagger", page, methods=["GET"])
    app.add_route("/swagger/assets/{name}", asset, methods=["GET"])
    services.extras["swagger"] = True
