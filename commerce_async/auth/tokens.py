"""Bearer tokens: issued as random strings, stored only as SHA-256 digests, resolved per request.

An unknown, expired or revoked token makes the caller a guest, as in Magento; the ACL check then
answers 401 on protected routes. Resolved tokens are cached for a short time in the process
(``TokenCache``) so that the hot accept path does not read the database for every request;
revocations in this process clear the cache at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from commerce_async.storage import schema
from commerce_async.storage.database import Tx
from commerce_async.webapi.routes import GUEST, UserContext

UserLoader = Callable[[Tx, int], UserContext | None]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(tx: Tx, user_type: int, user_id: int, lifetime: float | None, now: float) -> str:
    token = secrets.token_urlsafe(32)
    tx.execute(
        schema.oauth_token.insert().values(
            token_hash=digest(token),
            user_type=user_type,
            user_id=user_id,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            revoked=False,
        )
    )
    return token


def revoke_user(tx: Tx, user_type: int, user_id: int) -> int:
    table = schema.oauth_token
    result = tx.execute(
        table.update()
        .where(table.c.user_type == user_type, table.c.user_id == user_id, ~table.c.revoked)
        .values(revoked=True)
    )
    return result.rowcount or 0


def revoke(tx: Tx, token: str) -> bool:
    table = schema.oauth_token
    result = tx.execute(
        table.update().where(table.c.token_hash == digest(token)).values(revoked=True)
    )
    return bool(result.rowcount)


def resolve(tx: Tx, token: str, loaders: dict[int, UserLoader], now: float) -> UserContext:
    table = schema.oauth_token
    row = tx.first(
        sa.select(table.c.user_type, table.c.user_id, table.c.expires_at, table.c.revoked).where(
            table.c.token_hash == digest(token)
        )
    )
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        return GUEST
    loader = loaders.get(row.user_type)
    user = loader(tx, row.user_id) if loader else None
    return user or GUEST


class TokenCache:
    """token digest -> (user, valid until). Entries live at most ``ttl`` seconds."""

    def __init__(self, ttl: float = 2.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[UserContext, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> UserContext | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        user, until = entry
        if until < time.monotonic():
            self._entries.pop(token, None)
            return None
        return user

    def put(self, token: str, user: UserContext) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[token] = (user, time.monotonic() + self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
