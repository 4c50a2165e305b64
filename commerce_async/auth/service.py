"""Admin users, integrations, login throttling and the admin token route."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from commerce_async.auth import tokens
from commerce_async.auth.passwords import hash_password, verify_password
from commerce_async.errors import AuthenticationError, InputError, aggregate, required_field
from commerce_async.storage import schema
from commerce_async.storage.database import Tx
from commerce_async.webapi.routes import (
    ANONYMOUS,
    USER_ADMIN,
    USER_INTEGRATION,
    Param,
    Route,
    ServiceContext,
    UserContext,
)
from commerce_async.webapi.types import STRING

SIGN_IN_FAILED = (
    "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def utc_now_text(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() if now is None else now))


# --- users and integrations ---------------------------------------------------------------------


def create_admin_user(
    tx: Tx,
    username: str,
    password: str,
    email: str = "",
    firstname: str = "",
    lastname: str = "",
) -> int:
    errors = []
    if not username:
        errors.append(required_field("username"))
    if len(password) < 7 or not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        errors.append(
            InputError(
                "Your password must include both numeric and alphabetic characters "
                "and be at least 7 characters long."
            )
        )
    email = email or f"{username}@example.com"
    if not _EMAIL.match(email):
        errors.append(InputError('"%1" is not a valid email address.', [email]))
    if errors:
        raise aggregate(errors)
    table = schema.admin_user
    if tx.first(sa.select(table.c.user_id).where(table.c.username == username)):
        raise InputError("A user with the same user name or email already exists.")
    result = tx.execute(
        table.insert().values(
            username=username,
            email=email,
            firstname=firstname,
            lastname=lastname,
            password_hash=hash_password(password),
            is_active=True,
            created_at=utc_now_text(),
        )
    )
    return int(result.inserted_primary_key[0])


def admin_user_count(tx: Tx) -> int:
    return int(tx.scalar(sa.select(sa.func.count()).select_from(schema.admin_user)))


def create_integration(
    tx: Tx, name: str, resources: list[str] | None, all_resources: bool
) -> tuple[int, str]:
    """Create an integration and its non-expiring bearer token; returns (id, token)."""
    if not name:
        raise required_field("name")
    if not all_resources and not resources:
        raise InputError("Name at least one ACL resource, or grant all resources.")
    table = schema.integration
    if tx.first(sa.select(table.c.integration_id).where(table.c.name == name)):
        raise InputError('Integration with name "%1" exists.', [name])
    result = tx.execute(
        table.insert().values(
            name=name,
            all_resources=all_resources,
            resources=json.dumps(sorted(set(resources or []))),
            is_active=True,
            created_at=utc_now_text(),
        )
    )
    integration_id = int(result.inserted_primary_key[0])
    token = tokens.issue(tx, USER_INTEGRATION, integration_id, None, time.time())
    return integration_id, token


def load_admin(tx: Tx, user_id: int) -> UserContext | None:
    row = tx.first(
        sa.select(schema.admin_user.c.username, schema.admin_user.c.is_active).where(
            schema.admin_user.c.user_id == user_id
        )
    )
    if row is None or not row.is_active:
        return None
    return UserContext(USER_ADMIN, user_id, None, username=row.username)


def load_integration(tx: Tx, integration_id: int) -> UserContext | None:
    table = schema.integration
    row = tx.first(sa.select(table).where(table.c.integration_id == integration_id))
    if row is None or not row.is_active:
        return None
    resources = None if row.all_resources else frozenset(json.loads(row.resources))
    return UserContext(USER_INTEGRATION, integration_id, resources, username=row.name)


# --- throttled credential checks ----------------------------------------------------------------


class LoginThrottle:
    """Magento's lockout: after ``max_failures`` failures even good passwords fail a while."""

    def __init__(self, max_failures: int, lock_seconds: int) -> None:
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds

    def is_locked(self, tx: Tx, user_type: int, username: str, now: float) -> bool:
        table = schema.login_failure
        row = tx.first(
            sa.select(table.c.lock_expires).where(
                table.c.user_type == user_type, table.c.username == username
            )
        )
        return bool(row and row.lock_expires and row.lock_expires > now)

    def record(self, tx: Tx, user_type: int, username: str, success: bool, now: float) -> None:
        table = schema.login_failure
        key = (table.c.user_type == user_type) & (table.c.username == username)
        row = tx.first(sa.select(table).where(key))
        if success:
            if row is not None:
                tx.execute(table.delete().where(key))
            return
        if row is None:
            tx.execute(
                table.insert().values(
                    user_type=user_type, username=username, failures=1, lock_expires=None
                )
            )
            failures = 1
        else:
            expired = row.lock_expires is not None and row.lock_expires <= now
            failures = 1 if expired else row.failures + 1
            tx.execute(table.update().where(key).values(failures=failures, lock_expires=None))
        if failures >= self.max_failures:
            tx.execute(table.update().where(key).values(lock_expires=now + self.lock_seconds))


def check_credentials(args: dict[str, Any]) -> tuple[str, str]:
    username = args.get("username") or ""
    password = args.get("password") or ""
    errors = []
    if not username:
        errors.append(required_field("username"))
    if not password:
        errors.append(required_field("password"))
    if errors:
        raise aggregate(errors)
    return username, password


@contextlib.contextmanager
def own_transaction(ctx: ServiceContext, read_only: bool = False) -> Iterator[Tx]:
    """The caller's transaction when there is one (consumers), else a fresh one of our own."""
    if ctx.tx is not None:
        yield ctx.tx
    elif read_only:
        with ctx.services.db.read() as tx:
            yield tx
    else:
        with ctx.services.db.transaction() as tx:
            yield tx


def issue_token_for_password(
    ctx: ServiceContext,
    user_type: int,
    username: str,
    password: str,
    lookup: Callable[[Tx, str], tuple[int, str, bool] | None],
    lifetime: int,
) -> str:
    """Check a password with lockout and issue a token. The slow Argon2 check runs outside any
    write transaction; the failure counter is committed before the 401 is raised."""
    now = time.time()
    throttle: LoginThrottle = ctx.services.login_throttle
    with own_transaction(ctx, read_only=True) as tx:
        found = lookup(tx, username)
        locked = throttle.is_locked(tx, user_type, username, now)
    valid = verify_password(found[1] if found else None, password)
    ok = bool(found and valid and found[2] and not locked)
    token = None
    with own_transaction(ctx) as tx:
        throttle.record(tx, user_type, username, ok, now)
        if ok and found:
            token = tokens.issue(tx, user_type, found[0], lifetime, now)
    if token is None:
        raise AuthenticationError(SIGN_IN_FAILED)
    return token


def _lookup_admin(tx: Tx, username: str) -> tuple[int, str, bool] | None:
    table = schema.admin_user
    row = tx.first(
        sa.select(table.c.user_id, table.c.password_hash, table.c.is_active).where(
            table.c.username == username
        )
    )
    return None if row is None else (row.user_id, row.password_hash, bool(row.is_active))


def admin_token(ctx: ServiceContext, args: dict[str, Any]) -> str:
    """``POST /V1/integration/admin/token``: a bare JSON string token (4 h by default)."""
    username, password = check_credentials(args)
    lifetime = ctx.services.settings.admin_token_lifetime
    return issue_token_for_password(ctx, USER_ADMIN, username, password, _lookup_admin, lifetime)


ROUTES = [
    Route(
        "POST",
        "/V1/integration/admin/token",
        "Magento\\Integration\\Api\\AdminTokenServiceInterface",
        "createAdminAccessToken",
        (ANONYMOUS,),
        admin_token,
        # Both optional here: the credentials check reports every missing one at once.
        params=(
            Param("username", STRING, required=False),
            Param("password", STRING, required=False),
        ),
        implementation="Magento\\Integration\\Model\\AdminTokenService",
        returns=STRING,
        summary="Create an admin access token (a bare JSON string)",
        transactional=False,
        asynchronous=False,
    ),
]
