"""Routes of the Bulk Actions page, mounted on the Starlette application by ``mount``.

Every read runs on a worker thread through ``Database.run_read``; the retry runs in the group-commit
writer like any REST write. Pages need a signed-in admin (else: redirect to the sign-in form; the
JSON endpoints answer 401). Every POST carries the session's form key.

URLs (all under ``/admin/bulk``):
- ``GET  /admin/bulk``: the bulks, newest first (``?status=0..3&user=admin-1&page=2``);
- ``GET  /admin/bulk/details/<uuid>``: one bulk, its failures, retry buttons;
- ``POST /admin/bulk/details/<uuid>/retry``: reopen failed operations (``error_code`` optional);
- ``GET  /admin/bulk/api/bulks`` and ``/admin/bulk/api/bulks/<uuid>``: what the page polls;
- ``GET|POST /admin/bulk/login``, ``POST /admin/bulk/logout``; ``/admin/bulk/static/...``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio.to_thread
import jinja2
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from commerce_async.admin import presenters, session
from commerce_async.auth import service as auth_service
from commerce_async.auth import tokens
from commerce_async.errors import AuthenticationError, CommerceError, InputError
from commerce_async.operations import status as bulk_status
from commerce_async.operations.model import BULK_STATUS_LABELS, FAILED, REJECTED
from commerce_async.storage.database import Tx
from commerce_async.webapi.routes import GUEST, ServiceContext, UserContext

BASE = "/admin/bulk"
PAGE_SIZE = 20
FAILURES_SHOWN = 100
"""Failed operations listed on the details page (the counts always cover all of them)."""
SIGNED_OUT = "You have signed out."
SIGN_IN_REQUIRED = "Sign in to continue."
HERE = Path(__file__).parent
STATIC = HERE / "static"
ASSETS = ("admin.css", "admin.js")

SECURITY_HEADERS = {
    # The page shows data sent by API clients: even if some escaped markup slipped through, no
    # script other than our own file could run, and no other site may frame the page.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Filters:
    status: int | None = None
    user: str = ""
    page: int = 1

    @property
    def owner(self) -> presenters.UserKey | None:
        return presenters.parse_user_filter(self.user) if self.user else None

    def query(self, **changes: Any) -> str:
        values = {"status": self.status, "user": self.user, "page": self.page, **changes}
        kept = {k: v for k, v in values.items() if v not in (None, "") and (k, v) != ("page", 1)}
        return "?" + urlencode(kept) if kept else ""


def invalid(field: str, value: str) -> InputError:
    return InputError(
        'Invalid value of "%value" provided for the %fieldName field.',
        {"value": value, "fieldName": field},
    )


def parse_filters(params: Any) -> Filters:
    """``status`` (0-3), ``user`` (``admin-1``, ``integration-3``, ``customer-7``, ``guest``) and
    ``page`` (from 1); an empty value means no filter. Anything else is a 400."""
    raw_status = params.get("status", "")
    raw_user = params.get("user", "")
    raw_page = params.get("page", "") or "1"
    status = None
    if raw_status != "":
        if not raw_status.isdigit() or int(raw_status) not in BULK_STATUS_LABELS:
            raise invalid("status", raw_status)
        status = int(raw_status)
    if raw_user and presenters.parse_user_filter(raw_user) is None:
        raise invalid("user", raw_user)
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= 1_000_000:
        raise invalid("page", raw_page)
    return Filters(status, raw_user, int(raw_page))


class AdminPages:
    def __init__(self, services: Any) -> None:
        self.services = services
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Content hashes in asset URLs: browsers may cache them forever and still never run a
        # stale script after an upgrade.
        versions = {
            name: hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12] for name in ASSETS
        }
        self.templates.globals["asset"] = lambda name: f"{BASE}/static/{name}?v={versions[name]}"
        self.templates.globals["base"] = BASE
        self.templates.globals["status_labels"] = BULK_STATUS_LABELS
        self.templates.globals["operation_labels"] = presenters.OPERATION_STATUS_LABELS

    # --- plumbing --------------------------------------------------------------------------------

    def render(self, name: str, request: Request, status_code: int = 200, **values: Any):
        user: UserContext | None = values.pop("admin", None)
        context = {
            "admin": user.username if user is not None else None,
            "form_key": session.form_key(request.session),
            "flashes": session.take_flashes(request.session),
            **values,
        }
        html = self.templates.get_template(name).render(context)
        return secured(HTMLResponse(html, status_code=status_code))

    def fragment(self, name: str, **values: Any) -> str:
        return self.templates.get_template(name).render(values)

    def admin(self, request: Request) -> UserContext | None:
        return session.signed_in_admin(request.session, self.services)

    async def read(self, work: Any) -> Any:
        return await anyio.to_thread.run_sync(self.services.db.run_read, work)

    def error_page(self, request: Request, user: UserContext, error: CommerceError) -> Response:
        return self.render(
            "error.html", request, error.http_status, admin=user, message=error.rendered()
        )

    def to_sign_in(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return secured(
            RedirectResponse(f"{BASE}/login?{urlencode({'next': target})}", status_code=303)
        )

    def names(self, tx: Tx, keys: list[presenters.UserKey]) -> dict[presenters.UserKey, str]:
        loaders = self.services.user_loaders

        def load(user_type: int, user_id: int) -> UserContext | None:
            loader = loaders.get(user_type)
            return loader(tx, user_id) if loader is not None else None

        return presenters.user_names(keys, load)

    # --- the list --------------------------------------------------------------------------------

    def _list_data(self, user: UserContext, filters: Filters, *, with_owners: bool) -> Any:
        """The page of bulks; ``with_owners`` adds the user filter's choices (the page needs
        them, the poll does not, and they cost a scan of the bulks)."""

        def work(tx: Tx) -> dict[str, Any]:
            entries = bulk_status.list_bulks(
                tx,
                user,
                status=filters.status,
                user_filter=filters.owner,
                limit=PAGE_SIZE + 1,
                offset=(filters.page - 1) * PAGE_SIZE,
            )
            owners = bulk_status.bulk_users(tx, user) if with_owners else []
            names = self.names(tx, owners + [(e["user_type"], e["user_id"]) for e in entries])
            return {
                "bulks": [
                    presenters.bulk_view(entry, names, self.services.routes)
                    for entry in entries[:PAGE_SIZE]
                ],
                "has_next": len(entries) > PAGE_SIZE,
                "owners": [(presenters.user_filter_value(*key), names[key]) for key in owners],
            }

        return self.read(work)

    async def bulk_list(self, request: Request) -> Response:
        user = self.admin(request)
        if user is None:
            return self.to_sign_in(request)
        try:
            filters = parse_filters(request.query_params)
        except CommerceError as error:
            return self.error_page(request, user, error)
        data = await self._list_data(user, filters, with_owners=True)
        return self.render(
            "list.html",
            request,
            admin=user,
            filters=filters,
            poll_url=f"{BASE}/api/bulks{filters.query()}",
            **data,
        )

    async def bulk_list_json(self, request: Request) -> Response:
        user = self.admin(request)
        if user is None:
            return json_error(AuthenticationError(SIGN_IN_REQUIRED))
        try:
            filters = parse_filters(request.query_params)
        except CommerceError as error:
            return json_error(error)
        data = await self._list_data(user, filters, with_owners=False)
        # The figures update rows in place; when the rows themselves change (a new bulk, or one
        # leaving the filter) the script swaps in these server-rendered rows and pager.
        return secured(
            JSONResponse(
                {
                    "page": filters.page,
                    "has_next": data["has_next"],
                    "bulks": data["bulks"],
                    "rows_html": self.fragment("_rows.html", bulks=data["bulks"]),
                    "pager_html": self.fragment(
                        "_pager.html", filters=filters, has_next=data["has_next"]
                    ),
                }
            )
        )

    # --- one bulk --------------------------------------------------------------------------------

    def _details_data(self, user: UserContext, bulk_uuid: str) -> Any:
        def work(tx: Tx) -> dict[str, Any]:
            summary = bulk_status.summary(tx, bulk_uuid, user)
            failed = bulk_status.operations_with_status(
                tx, bulk_uuid, user, (*FAILED, REJECTED), limit=FAILURES_SHOWN
            )
            by_code = bulk_status.failure_counts_by_code(tx, bulk_uuid)
            names = self.names(tx, [(summary["user_type"], summary["user_id"])])
            view = presenters.bulk_view(summary, names, self.services.routes)
            return {
                "bulk": view,
                "failures": [presenters.failed_operation(op) for op in failed],
                "failed_total": sum(
                    view["operations_by_status"][str(s)] for s in (*FAILED, REJECTED)
                ),
                "retriable_total": sum(by_code.values()),
                "by_code": sorted(
                    by_code.items(), key=lambda item: (item[0] is None, item[0] or 0)
                ),
            }

        return self.read(work)

    def _failures(self, request: Request, data: dict[str, Any]) -> tuple[str, str]:
        """The failures section (re-rendered by the poll when it changes) and its version."""
        html = self.fragment("_failures.html", form_key=session.form_key(request.session), **data)
        return html, hashlib.sha256(html.encode()).hexdigest()[:16]

    async def details(self, request: Request) -> Response:
        user = self.admin(request)
        if user is None:
            return self.to_sign_in(request)
        bulk_uuid = request.path_params["bulk_uuid"]
        try:
            data = await self._details_data(user, bulk_uuid)
        except CommerceError as error:
            return self.error_page(request, user, error)
        failures_html, failures_version = self._failures(request, data)
        return self.render(
            "details.html",
            request,
            admin=user,
            poll_url=f"{BASE}/api/bulks/{quote(bulk_uuid, safe='')}",
            failures_html=failures_html,
            failures_version=failures_version,
            **data,
        )

    async def details_json(self, request: Request) -> Response:
        user = self.admin(request)
        if user is None:
            return json_error(AuthenticationError(SIGN_IN_REQUIRED))
        try:
            data = await self._details_data(user, request.path_params["bulk_uuid"])
        except CommerceError as error:
            return json_error(error)
        failures_html, failures_version = self._failures(request, data)
        return secured(
            JSONResponse(
                {
                    "bulk": data["bulk"],
                    "failed_total": data["failed_total"],
                    "failures_version": failures_version,
                    "failures_html": failures_html,
                }
            )
        )

    async def retry(self, request: Request) -> Response:
        user = self.admin(request)
        if user is None:
            return self.to_sign_in(request)
        form = await request.form()
        if not session.form_key_valid(request.session, form.get(session.FORM_KEY_FIELD)):
            return self.error_page(
                request, user, InputError(session.INVALID_FORM_KEY, http_status=403)
            )
        bulk_uuid = request.path_params["bulk_uuid"]
        raw_code = form.get("error_code")
        codes = None
        if raw_code not in (None, ""):
            if not isinstance(raw_code, str) or not raw_code.lstrip("-").isdigit():
                return self.error_page(request, user, invalid("error_code", str(raw_code)))
            codes = [int(raw_code)]
        services = self.services

        def work(tx: Tx) -> int:
            ctx = ServiceContext(tx, services.stores.snapshot.default_store, user, services)
            return bulk_status.retry(ctx, bulk_uuid, codes)

        try:
            count = await services.writer.run(work)
        except CommerceError as error:
            return self.error_page(request, user, error)
        session.flash(
            request.session,
            "success" if count else "notice",
            f"{count} item(s) have been scheduled for update.",
        )
        return secured(
            RedirectResponse(f"{BASE}/details/{quote(bulk_uuid, safe='')}", status_code=303)
        )

    # --- signing in and out ----------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        if self.admin(request) is not None:
            return secured(RedirectResponse(safe_next(request.query_params.get("next")), 303))
        return self.render(
            "login.html",
            request,
            next=safe_next(request.query_params.get("next")),
            username="",
            error=None,
        )

    async def login(self, request: Request) -> Response:
        form = await request.form()
        target = safe_next(form.get("next"))
        username = form.get("username")
        username = username if isinstance(username, str) else ""
        if not session.form_key_valid(request.session, form.get(session.FORM_KEY_FIELD)):
            return self.render(
                "login.html",
                request,
                403,
                next=target,
                username=username,
                error=session.INVALID_FORM_KEY,
            )
        password = form.get("password")
        store = self.services.stores.snapshot.default_store
        # No transaction: the token service opens its own around the slow password check.
        ctx = ServiceContext(None, store, GUEST, self.services)  # type: ignore[arg-type]
        args = {"username": username, "password": password if isinstance(password, str) else ""}
        try:
            # The token route's own service: same password check, same lockout.
            token = await anyio.to_thread.run_sync(auth_service.admin_token, ctx, args)
        except CommerceError as error:
            return self.render(
                "login.html",
                request,
                error.http_status,
                next=target,
                username=username,
                error=error.rendered(),
            )
        session.start(request.session, token)
        return secured(RedirectResponse(target, status_code=303))

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if not session.form_key_valid(request.session, form.get(session.FORM_KEY_FIELD)):
            user = self.admin(request)
            if user is None:
                return self.to_sign_in(request)
            return self.error_page(
                request, user, InputError(session.INVALID_FORM_KEY, http_status=403)
            )
        token = request.session.get("token")
        if isinstance(token, str) and token:
            await anyio.to_thread.run_sync(
                self.services.db.run, lambda tx: tokens.revoke(tx, token)
            )
            self.services.token_cache.clear()
        request.session.clear()
        session.flash(request.session, "notice", SIGNED_OUT)
        return secured(RedirectResponse(f"{BASE}/login", status_code=303))


def safe_next(value: Any) -> str:
    """Where to go after signing in: a page of this admin only (never another site)."""
    if (
        isinstance(value, str)
        and (value == BASE or value.startswith(BASE + "/") or value.startswith(BASE + "?"))
        and "//" not in value
        and "\\" not in value
    ):
        return value
    return BASE


def secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def json_error(error: CommerceError) -> Response:
    return secured(JSONResponse(error.to_body(), status_code=error.http_status))


def mount(app: Any, services: Any, rest: Any = None) -> None:
    """Add the Bulk Actions routes to the Starlette ``app``."""
    pages = AdminPages(services)
    sessions = [
        Middleware(
            SessionMiddleware,
            secret_key=session.session_secret(services.db),
            session_cookie=session.COOKIE_NAME,
            max_age=services.settings.admin_token_lifetime,
            path=BASE,
            same_site="lax",
            https_only=services.settings.admin_cookie_secure,
        )
    ]

    def route(path: str, endpoint: Any, method: str) -> Route:
        return Route(BASE + path, endpoint, methods=[method], middleware=sessions)

    app.router.routes.extend(
        [
            Mount(f"{BASE}/static", app=StaticFiles(directory=STATIC), name="admin-static"),
            route("", pages.bulk_list, "GET"),
            route("/login", pages.login_form, "GET"),
            route("/login", pages.login, "POST"),
            route("/logout", pages.logout, "POST"),
            route("/details/{bulk_uuid}", pages.details, "GET"),
            route("/details/{bulk_uuid}/retry", pages.retry, "POST"),
            route("/api/bulks", pages.bulk_list_json, "GET"),
            route("/api/bulks/{bulk_uuid}", pages.details_json, "GET"),
        ]
    )
