"""Sessions of the admin page: the cookie signing secret, form keys (CSRF) and the signed-in admin.

The session cookie is signed (Starlette's ``SessionMiddleware``), HttpOnly and SameSite=Lax, and
Secure with ``COMMERCE_ASYNC_ADMIN_COOKIE_SECURE``. It
holds an admin token issued by the same service as ``POST /V1/integration/admin/token``, so a
session ends exactly when that token does: at its expiry, when the admin is deactivated, or at
sign-out, which revokes it server-side (a copied cookie is useless afterwards).
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from commerce_async.storage import schema
from commerce_async.storage.database import Database, Tx
from commerce_async.webapi.routes import USER_ADMIN, UserContext

SECRET_PATH = "admin/session_secret"
COOKIE_NAME = "commerce_async_admin"
FORM_KEY_FIELD = "form_key"
INVALID_FORM_KEY = "Invalid form key. Please refresh the page."


def _read_secret(tx: Tx) -> str | None:
    table = schema.core_config
    return tx.scalar(sa.select(table.c.value).where(table.c.path == SECRET_PATH))


def session_secret(db: Database) -> str:
    """The cookie signing secret: generated at first use and stored in ``core_config``, so every
    process of an installation signs alike and restarts keep sessions. Safe against two processes
    creating it at once (the loser of the insert reads the winner's)."""
    existing = db.run_read(_read_secret)
    if existing:
        return existing
    candidate = secrets.token_urlsafe(48)

    def create(tx: Tx) -> str:
        stored = _read_secret(tx)
        if stored:
            return stored
        tx.execute(schema.core_config.insert().values(path=SECRET_PATH, value=candidate))
        return candidate

    try:
        return db.run(create)
    except IntegrityError:
        stored = db.run_read(_read_secret)
        if not stored:
            raise
        return stored


def form_key(session: dict[str, Any]) -> str:
    """This session's form key, created on first use."""
    key = session.get(FORM_KEY_FIELD)
    if not isinstance(key, str) or not key:
        key = secrets.token_urlsafe(32)
        session[FORM_KEY_FIELD] = key
    return key


def form_key_valid(session: dict[str, Any], submitted: Any) -> bool:
    expected = session.get(FORM_KEY_FIELD)
    return (
        isinstance(expected, str)
        and bool(expected)
        and isinstance(submitted, str)
        and secrets.compare_digest(expected.encode(), submitted.encode())
    )


def start(session: dict[str, Any], token: str) -> None:
    """A fresh session for a signed-in admin: nothing from before sign-in carries over."""
    session.clear()
    session["token"] = token
    session[FORM_KEY_FIELD] = secrets.token_urlsafe(32)


def signed_in_admin(session: dict[str, Any], services: Any) -> UserContext | None:
    """The admin this session belongs to, or None (no session, or its token no longer valid)."""
    token = session.get("token")
    if not isinstance(token, str) or not token:
        return None
    user = services.resolve_token(token)
    if user.user_type != USER_ADMIN or user.user_id is None:
        return None
    return user


def flash(session: dict[str, Any], kind: str, text: str) -> None:
    messages = list(session.get("flash") or [])
    messages.append({"kind": kind, "text": text})
    session["flash"] = messages


def take_flashes(session: dict[str, Any]) -> list[dict[str, str]]:
    return list(session.pop("flash", None) or [])
