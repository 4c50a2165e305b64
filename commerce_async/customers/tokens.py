"""Customer tokens (``CustomerTokenServiceInterface``) and the caller context of a customer token.

A customer signs in with its email and password in the website of the URL's store view (for
``/rest/all``: in any website, the default website's account first). Failures are counted and
lock the email out exactly as admin sign-ins do (``commerce_async.auth.service``).
"""

from __future__ import annotations

from typing import Any

from commerce_async.auth import tokens as auth_tokens
from commerce_async.auth.service import check_credentials, issue_token_for_password
from commerce_async.customers import repository
from commerce_async.storage.database import Tx
from commerce_async.webapi.routes import USER_CUSTOMER, ServiceContext, UserContext


def load_customer(tx: Tx, customer_id: int) -> UserContext | None:
    """The caller behind a customer token (None once the account is gone)."""
    row = repository.find(tx, customer_id)
    if row is None:
        return None
    return UserContext(
        USER_CUSTOMER,
        row.entity_id,
        frozenset(),
        username=row.email,
        website_id=row.website_id,
        store_id=row.store_id,
        group_id=row.group_id,
    )


def customer_token(ctx: ServiceContext, args: dict[str, Any]) -> str:
    """``POST /V1/integration/customer/token``: a bare JSON string token (1 h by default)."""
    username, password = check_credentials(args)
    store = ctx.store
    snapshot = ctx.services.stores.snapshot
    websites = None if store.is_admin else [store.website_id]
    default_website = snapshot.default_store.website_id

    def lookup(tx: Tx, email: str) -> tuple[int, str, bool] | None:
        rows = repository.find_by_email(tx, email, websites)
        if not rows:
            return None
        row = next((r for r in rows if r.website_id == default_website), rows[0])
        return row.entity_id, row.password_hash, True

    lifetime = ctx.services.settings.customer_token_lifetime
    key = repository.email_key(username)
    return issue_token_for_password(ctx, USER_CUSTOMER, key, password, lookup, lifetime)


def revoke_customer_token(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``POST /V1/integration/customer/revoke-customer-token``: every token of the caller."""
    customer_id = ctx.user.user_id if ctx.user.user_type == USER_CUSTOMER else args["customerId"]
    auth_tokens.revoke_user(ctx.tx, USER_CUSTOMER, int(customer_id))
    ctx.tx.after_commit(ctx.services.token_cache.clear)
    return True
