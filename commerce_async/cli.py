"""``commerce-async``: the command line, with Magento-style ``group:command`` names.

Every command reads the same settings (``COMMERCE_ASYNC_*`` environment variables, overridden by
``--db-url`` / ``--queue-url``) and works through the same services as the REST API.
"""

from __future__ import annotations

import secrets
import signal
import sys
import threading
from typing import Any

import click

from commerce_async import settings as settings_module
from commerce_async.settings import Settings, SettingsError


class Context:
    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self._settings: Settings | None = None
        self._services: Any = None

    def settings(self, **more: Any) -> Settings:
        try:
            return settings_module.load(**self.overrides, **more)
        except SettingsError as error:
            raise click.ClickException(str(error)) from None

    def services(self, **more: Any) -> Any:
        from commerce_async import bootstrap, logs

        if self._services is None:
            settings = self.settings(**more)
            logs.configure(settings.log_level, settings.log_format)
            self._services = bootstrap.build(settings)
        return self._services


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db-url", envvar=None, help="Overrides COMMERCE_ASYNC_DB_URL.")
@click.option("--queue-url", envvar=None, help="Overrides COMMERCE_ASYNC_QUEUE_URL.")
@click.pass_context
def main(ctx: click.Context, db_url: str | None, queue_url: str | None) -> None:
    """Magento-compatible asynchronous and bulk REST endpoints for a commerce API."""
    ctx.obj = Context({"db_url": db_url, "queue_url": queue_url})


def _fail(error: Exception) -> click.ClickException:
    from commerce_async.errors import CommerceError

    if isinstance(error, CommerceError):
        return click.ClickException(error.rendered())
    return click.ClickException(str(error))


def _installed(services: Any) -> None:
    from commerce_async.storage import migrate

    try:
        pending = migrate.pending(services.db)
    except Exception as error:
        raise click.ClickException(f"Cannot open the database: {error}") from None
    if pending:
        raise click.ClickException(
            "The database schema is not up to date. Run: commerce-async setup:upgrade"
        )


# --- setup ---------------------------------------------------------------------------------------


@main.command("setup:upgrade")
@pass_context
def setup_upgrade(obj: Context) -> None:
    """Apply database migrations; on an empty database also create the default stores."""
    from commerce_async.setup import upgrade

    services = obj.services()
    created = upgrade(services)
    click.echo("Schema is up to date." + (" Default stores created." if created else ""))


@main.command("serve")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option(
    "--consumers", type=int, help="Consumer threads inside the server (default 1; 0 turns off)."
)
@pass_context
def serve(obj: Context, host: str | None, port: int | None, consumers: int | None) -> None:
    """Start the HTTP service (and, by default, one consumer in the same process)."""
    import uvicorn

    from commerce_async.auth.service import admin_user_count, create_admin_user
    from commerce_async.webapi.app import create_app

    services = obj.services(host=host, port=port, consumers=consumers)
    _installed(services)
    settings = services.settings
    if services.db.run_read(admin_user_count) == 0:
        password = secrets.token_urlsafe(12) + "9a"
        services.db.run(lambda tx: create_admin_user(tx, "admin", password))
        base = f"http://{settings.host}:{settings.port}"
        click.echo(
            "No admin user existed, so one was created:\n"
            f"  username: admin\n  password: {password}\n"
            "Get a token with:\n"
            f"  curl -s -X POST {base}/rest/V1/integration/admin/token "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"username":"admin","password":"{password}"}}\'\n'
            "(This password is shown only once.)",
            err=True,
        )
    app = create_app(services)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
    )
    click.echo(f"commerce-async listening on http://{settings.host}:{settings.port}", err=True)
    _settle_heap()
    uvicorn.Server(config).run()


def _settle_heap() -> None:
    """Before a long-running loop: move everything loaded so far (modules, routes, the schema)
    out of the cyclic garbage collector's sight, so its collections scan only what requests and
    operations allocate."""
    import gc

    gc.collect()
    gc.freeze()


# --- users and integrations ----------------------------------------------------------------------


@main.command("admin:user:create")
@click.option("--admin-user", required=True, help="User name.")
@click.option("--admin-password", required=True, help="Password (letters and digits, 7+ chars).")
@click.option("--admin-email", default="", help="E-mail address.")
@click.option("--admin-firstname", default="", help="First name.")
@click.option("--admin-lastname", default="", help="Last name.")
@pass_context
def admin_user_create(
    obj: Context,
    admin_user: str,
    admin_password: str,
    admin_email: str,
    admin_firstname: str,
    admin_lastname: str,
) -> None:
    """Create an admin user who can get tokens from /V1/integration/admin/token."""
    from commerce_async.auth.service import create_admin_user

    services = obj.services()
    _installed(services)
    try:
        user_id = services.db.run(
            lambda tx: create_admin_user(
                tx, admin_user, admin_password, admin_email, admin_firstname, admin_lastname
            )
        )
    except Exception as error:
        raise _fail(error) from None
    click.echo(f"Created admin user {admin_user} (id {user_id}).")


@main.command("integration:create")
@click.option("--name", required=True, help="Integration name (unique).")
@click.option("--resources", default="", help="Comma-separated ACL resources it may use.")
@click.option("--all-resources", is_flag=True, help="Grant every ACL resource.")
@pass_context
def integration_create(obj: Context, name: str, resources: str, all_resources: bool) -> None:
    """Create an integration and print its bearer access token (it does not expire)."""
    from commerce_async.auth.service import create_integration

    services = obj.services()
    _installed(services)
    names = [r.strip() for r in resources.split(",") if r.strip()]
    try:
        _, token = services.db.run(lambda tx: create_integration(tx, name, names, all_resources))
    except Exception as error:
        raise _fail(error) from None
    click.echo(token)


# --- stores --------------------------------------------------------------------------------------


@main.command("store:website:create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--sort-order", type=int, default=0)
@pass_context
def website_create(obj: Context, code: str, name: str, sort_order: int) -> None:
    """Create a website."""
    from commerce_async.stores.repository import create_website

    services = obj.services()
    _installed(services)
    try:
        website = services.db.run(lambda tx: create_website(tx, code, name, sort_order))
    except Exception as error:
        raise _fail(error) from None
    click.echo(f"Created website {website.code} (id {website.website_id}).")


@main.command("store:group:create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--website-id", type=int, required=True)
@click.option("--root-category-id", type=int, default=2)
@pass_context
def group_create(
    obj: Context, code: str, name: str, website_id: int, root_category_id: int
) -> None:
    """Create a store group in a website."""
    from commerce_async.stores.repository import create_group

    services = obj.services()
    _installed(services)
    try:
        group = services.db.run(
            lambda tx: create_group(tx, code, name, website_id, root_category_id)
        )
    except Exception as error:
        raise _fail(error) from None
    click.echo(f"Created store group {group.code} (id {group.group_id}).")


@main.command("store:view:create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--group-id", type=int, default=1, show_default=True)
@click.option("--sort-order", type=int, default=0)
@click.option("--inactive", is_flag=True, help="Create the store view disabled.")
@pass_context
def view_create(
    obj: Context, code: str, name: str, group_id: int, sort_order: int, inactive: bool
) -> None:
    """Create a store view (its code selects it in URLs: /rest/<code>/V1/...)."""
    from commerce_async.stores.repository import create_view

    services = obj.services()
    _installed(services)
    try:
        view = services.db.run(
            lambda tx: create_view(tx, code, name, group_id, sort_order, not inactive)
        )
    except Exception as error:
        raise _fail(error) from None
    click.echo(f"Created store view {view.code} (id {view.store_id}).")


@main.command("store:list")
@pass_context
def store_list(obj: Context) -> None:
    """List websites, store groups and store views."""
    from rich.console import Console
    from rich.table import Table

    from commerce_async.stores.repository import load_snapshot

    services = obj.services()
    _installed(services)
    snapshot = services.db.run_read(load_snapshot)
    table = Table("store id", "code", "name", "website", "group", "active")
    for view in sorted(snapshot.stores.values(), key=lambda s: s.store_id):
        website = snapshot.websites[view.website_id]
        group = snapshot.groups[view.group_id]
        table.add_row(
            str(view.store_id),
            view.code,
            view.name,
            f"{website.code} ({website.website_id})",
            f"{group.code} ({group.group_id})",
            "yes" if view.is_active else "no",
        )
    Console(width=120).print(table)


# --- consumers -----------------------------------------------------------------------------------


@main.command("queue:consumers:start")
@click.argument("consumer", default="async.operations.all")
@click.option("--max-messages", type=int, help="Exit after processing this many operations.")
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="Serve this consumer's Prometheus metrics at http://<host>:<port>/metrics.",
)
@pass_context
def consumers_start(
    obj: Context, consumer: str, max_messages: int | None, metrics_port: int | None
) -> None:
    """Run a consumer process (SIGTERM or Ctrl-C drains and stops it)."""
    from commerce_async.operations.consumer import Consumer
    from commerce_async.operations.model import QUEUE_NAME

    if consumer != QUEUE_NAME:
        raise click.ClickException(f'Consumer "{consumer}" does not exist. Use {QUEUE_NAME}.')
    services = obj.services()
    _installed(services)
    worker = Consumer(
        services,
        services.new_source(),
        max_messages=max_messages,
        on_outcome=services.metrics.observe_outcome,
    )
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, services.settings.host, services.metrics.registry)
    start_relay = getattr(services.transport, "start_relay", None)
    if start_relay is not None:
        # Every consumer process also publishes the outbox, so a deployment whose servers run
        # no workers still delivers what they accepted.
        start_relay()
    finished = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _settle_heap()
    try:
        processed = worker.run()
    finally:
        finished.set()
        services.close()
    click.echo(f"Consumer stopped after {processed} operation(s).", err=True)


# --- bulks and the queue -------------------------------------------------------------------------
# The CLI acts as the system: every bulk is visible and retriable (webapi.routes.SYSTEM), through
# the same services as the status API and the admin page.

WATCH_SUCCESS, WATCH_FAILURE, WATCH_TIMEOUT, WATCH_NOT_FOUND = 0, 1, 2, 3


def _bulk_services(obj: Context) -> Any:
    services = obj.services()
    click.get_current_context().call_on_close(services.close)
    _installed(services)
    return services


def _print_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, default=str))


@main.command("bulk:list")
@click.option(
    "--status",
    type=click.IntRange(0, 3),
    help="Only bulks in this state: 0 not started, 1 in progress, 2 finished successfully, "
    "3 finished with failure.",
)
@click.option(
    "--user-type",
    type=click.IntRange(1, 4),
    help="Only bulks of this user type: 1 integration, 2 admin, 3 customer, 4 guest.",
)
@click.option("--user-id", type=int, help="With --user-type: only that user's bulks.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def bulk_list(
    obj: Context,
    status: int | None,
    user_type: int | None,
    user_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """List bulks, newest first, with their status and operation counts."""
    from commerce_async import console
    from commerce_async.operations import status as bulk_status
    from commerce_async.webapi.routes import SYSTEM, USER_GUEST

    if user_id is not None and user_type is None:
        raise click.UsageError("--user-id needs --user-type.")
    if user_type is not None and user_id is None and user_type != USER_GUEST:
        raise click.UsageError("--user-type needs --user-id (except 4, guest).")
    user_filter = None if user_type is None else (user_type, user_id)
    services = _bulk_services(obj)
    entries = services.db.run_read(
        lambda tx: bulk_status.list_bulks(
            tx, SYSTEM, status=status, user_filter=user_filter, limit=limit
        )
    )
    if as_json:
        _print_json(entries)
    elif not entries:
        click.echo("No bulks.")
    else:
        console.console().print(console.bulk_table(entries))


def _bulk_status_data(tx: Any, bulk_uuid: str) -> tuple[dict[str, Any], int, dict[str, Any]]:
    from commerce_async.operations import status as bulk_status
    from commerce_async.webapi.routes import SYSTEM

    summary = bulk_status.summary(tx, bulk_uuid, SYSTEM)
    waiting = bulk_status.pending_retries(tx, bulk_uuid)
    operations = bulk_status.short_status(tx, bulk_uuid, SYSTEM)
    return summary, waiting, operations


@main.command("bulk:status")
@click.argument("bulk_uuid")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_context
def bulk_status_command(obj: Context, bulk_uuid: str, as_json: bool) -> None:
    """Show a bulk: who sent it, its status, and each operation's status and message."""
    from commerce_async import console

    services = _bulk_services(obj)
    try:
        summary, waiting, detail = services.db.run_read(lambda tx: _bulk_status_data(tx, bulk_uuid))
    except Exception as error:
        raise _fail(error) from None
    if as_json:
        _print_json(
            {
                **summary,
                "waiting_for_retry": waiting,
                "operations": detail["operations_list"],
            }
        )
        return
    out = console.console()
    for line in console.bulk_summary_lines(summary, waiting):
        out.print(line, markup=False)
    out.print(console.operations_table(detail["operations_list"]))


@main.command("bulk:watch")
@click.argument("bulk_uuid")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    help="Give up after this many seconds (exit status 2). Default: wait until finished.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    help="Seconds between two looks at the bulk.",
)
@pass_context
def bulk_watch(obj: Context, bulk_uuid: str, timeout: float | None, interval: float) -> None:
    """Show a live progress bar until the bulk is finished.

    Exit status: 0 finished successfully, 1 finished with failures (failed or rejected
    operations), 2 timed out, 3 no such bulk.
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from commerce_async import console
    from commerce_async.errors import NotFound
    from commerce_async.operations.model import (
        BULK_FINISHED_SUCCESSFULLY,
        BULK_FINISHED_WITH_FAILURE,
        OPEN,
        STATUSES,
    )

    services = _bulk_services(obj)

    def look() -> tuple[dict[str, Any], int]:
        from commerce_async.operations import status as bulk_status
        from commerce_async.webapi.routes import SYSTEM

        def read(tx: Any) -> tuple[dict[str, Any], int]:
            summary = bulk_status.summary(tx, bulk_uuid, SYSTEM)
            return summary, bulk_status.pending_retries(tx, bulk_uuid)

        return services.db.run_read(read)

    try:
        summary, waiting = look()
    except NotFound as error:
        click.echo(f"Error: {error.rendered()}", err=True)
        click.get_current_context().exit(WATCH_NOT_FOUND)
    deadline = None if timeout is None else time.monotonic() + timeout
    finished_states = (BULK_FINISHED_SUCCESSFULLY, BULK_FINISHED_WITH_FAILURE)
    total = summary["operation_count"]
    out = console.console()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        console=out,
    )
    timed_out = False
    with progress:
        task = progress.add_task(bulk_uuid, total=total, state="")
        while True:
            done = total - summary["operations_by_status"][str(OPEN)] - waiting
            progress.update(task, completed=done, state=summary["status_label"])
            if summary["status"] in finished_states:
                break
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                break
            time.sleep(interval)
            summary, waiting = look()
    counts = summary["operations_by_status"]
    tally = ", ".join(f"{counts[str(code)]} {console.status_name(code)}" for code in STATUSES)
    if timed_out:
        click.echo(f"Timed out: {summary['status_label']}: {tally}.")
        click.get_current_context().exit(WATCH_TIMEOUT)
    click.echo(f"{summary['status_label']}: {tally}.")
    succeeded = summary["status"] == BULK_FINISHED_SUCCESSFULLY
    click.get_current_context().exit(WATCH_SUCCESS if succeeded else WATCH_FAILURE)


@main.command("bulk:retry")
@click.argument("bulk_uuid")
@click.option(
    "--error-code",
    "error_codes",
    type=int,
    multiple=True,
    help="Only failed operations with this error code (repeatable).",
)
@click.option(
    "--operation-id",
    "operation_ids",
    type=int,
    multiple=True,
    help="Only this operation (its id in the bulk; repeatable).",
)
@pass_context
def bulk_retry(
    obj: Context, bulk_uuid: str, error_codes: tuple[int, ...], operation_ids: tuple[int, ...]
) -> None:
    """Reopen the bulk's failed operations and queue them again (all failed ones by default)."""
    from commerce_async.operations import status as bulk_status
    from commerce_async.webapi.routes import SYSTEM, ServiceContext

    services = _bulk_services(obj)
    store = services.stores.snapshot.admin_store

    def work(tx: Any) -> int:
        context = ServiceContext(tx, store, SYSTEM, services)
        return bulk_status.retry(context, bulk_uuid, list(error_codes), list(operation_ids))

    try:
        count = services.db.run(work)
    except Exception as error:
        raise _fail(error) from None
    if count:
        click.echo(f"{count} item(s) have been scheduled for update.")
    else:
        click.echo("No failed operation matched; nothing was scheduled.")


@main.command("queue:consumers:list")
@click.option(
    "--alive-seconds",
    type=click.FloatRange(min=1),
    default=None,
    help="A consumer is alive when its last heartbeat is this recent (default 30).",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def consumers_list(obj: Context, alive_seconds: float | None, limit: int, as_json: bool) -> None:
    """List consumers by their heartbeats, most recently seen first."""
    import dataclasses
    import time

    from commerce_async import console
    from commerce_async.operations import health

    window = health.ALIVE_SECONDS if alive_seconds is None else alive_seconds
    services = _bulk_services(obj)
    now = time.time()
    consumers = services.db.run_read(lambda tx: health.consumers(tx, now, window))[:limit]
    if as_json:
        _print_json([dataclasses.asdict(consumer) for consumer in consumers])
    elif not consumers:
        click.echo("No consumer has sent a heartbeat yet.")
    else:
        console.console().print(console.consumers_table(consumers, now))


@main.command("queue:status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_context
def queue_status(obj: Context, as_json: bool) -> None:
    """Backlog: open operations, messages ready, in flight and waiting for retry, consumers."""
    import dataclasses
    import time

    from commerce_async import console
    from commerce_async.operations import health
    from commerce_async.operations.model import OPEN

    services = _bulk_services(obj)
    now = time.time()

    def read(tx: Any) -> tuple[Any, ...]:
        return (
            health.queue_stats(tx, now),
            health.operation_counts(tx)[OPEN],
            health.oldest_open_operation_age(tx, now),
            health.alive_consumers(tx, now),
            len(health.consumers(tx, now)),
        )

    stats, open_operations, oldest_open, alive, known = services.db.run_read(read)
    if as_json:
        _print_json(
            {
                **dataclasses.asdict(stats),
                "open_operations": open_operations,
                "oldest_open_operation_age": oldest_open,
                "consumers_alive": alive,
                "consumers_seen": known,
                "transport": services.transport.name,
            }
        )
        return
    for line in console.queue_status_lines(
        stats,
        open_operations,
        oldest_open,
        alive,
        known,
        health.ALIVE_SECONDS,
        services.transport.name,
    ):
        click.echo(line)


if __name__ == "__main__":
    sys.exit(main())
