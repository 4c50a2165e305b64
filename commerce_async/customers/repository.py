"""Customer persistence: accounts, their addresses and the customer groups, in the caller's
transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from commerce_async.storage import schema
from commerce_async.storage.database import Tx

customer = schema.customer_entity
address = schema.customer_address_entity
group = schema.customer_group

DEFAULT_GROUPS = (
    (0, "NOT LOGGED IN"),
    (1, "General"),
    (2, "Wholesale"),
    (3, "Retailer"),
)

# Columns a customer JSON shows and a save may write (besides the keys and the password hash).
PROFILE_COLUMNS = (
    "group_id",
    "store_id",
    "website_id",
    "created_in",
    "dob",
    "email",
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "gender",
    "taxvat",
    "disable_auto_group_change",
)


def email_key(email: str) -> str:
    """Emails identify accounts ignoring case, as Magento's database collation does."""
    return email.strip().lower()


def install_groups(tx: Tx) -> None:
    """Magento's default customer groups. Idempotent."""
    existing = {row.customer_group_id for row in tx.all(sa.select(group.c.customer_group_id))}
    rows = [
        {"customer_group_id": group_id, "customer_group_code": code, "tax_class_id": 3}
        for group_id, code in DEFAULT_GROUPS
        if group_id not in existing
    ]
    if rows:
        tx.execute(group.insert(), rows)


def group_exists(tx: Tx, group_id: int) -> bool:
    query = sa.select(group.c.customer_group_id).where(group.c.customer_group_id == group_id)
    return tx.first(query) is not None


def default_group_id(tx: Tx) -> int:
    """``customer/create_account/default_group`` (1, General, unless configured)."""
    config = schema.core_config
    value = tx.scalar(
        sa.select(config.c.value).where(config.c.path == "customer/create_account/default_group")
    )
    return int(value) if value not in (None, "") else 1


def find(tx: Tx, customer_id: int) -> sa.Row[Any] | None:
    return tx.first(sa.select(customer).where(customer.c.entity_id == customer_id))


def find_by_email(tx: Tx, email: str, website_ids: Sequence[int] | None) -> list[sa.Row[Any]]:
    """Accounts with ``email`` (any case) in the given websites (None: in any website)."""
    query = sa.select(customer).where(customer.c.email_key == email_key(email))
    if website_ids is not None:
        query = query.where(customer.c.website_id.in_(list(website_ids)))
    return tx.all(query.order_by(customer.c.website_id))


def email_taken(tx: Tx, email: str, website_id: int, customer_id: int | None) -> bool:
    query = sa.select(customer.c.entity_id).where(
        customer.c.email_key == email_key(email), customer.c.website_id == website_id
    )
    if customer_id is not None:
        query = query.where(customer.c.entity_id != customer_id)
    return tx.first(query) is not None


def insert(tx: Tx, values: dict[str, Any]) -> int:
    values = {**values, "email_key": email_key(values["email"])}
    return int(tx.scalar(customer.insert().values(**values).returning(customer.c.entity_id)))


def update(tx: Tx, customer_id: int, values: dict[str, Any]) -> None:
    if "email" in values:
        values = {**values, "email_key": email_key(values["email"])}
    tx.execute(customer.update().where(customer.c.entity_id == customer_id).values(**values))


def delete(tx: Tx, customer_id: int) -> None:
    """The account and, by cascade, its addresses."""
    tx.execute(customer.delete().where(customer.c.entity_id == customer_id))


def load_addresses(tx: Tx, customer_ids: Sequence[int]) -> dict[int, list[tuple[int, dict]]]:
    """``{customer_id: [(address_id, fields), ...]}`` in creation order."""
    result: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    if customer_ids:
        query = (
            sa.select(address)
            .where(address.c.parent_id.in_(list(customer_ids)))
            .order_by(address.c.entity_id)
        )
        for row in tx.execute(query):
            result[row.parent_id].append((row.entity_id, json.loads(row.data)))
    return result


def insert_address(tx: Tx, customer_id: int, fields: dict[str, Any]) -> int:
    statement = (
        address.insert()
        .values(parent_id=customer_id, data=json.dumps(fields, sort_keys=True))
        .returning(address.c.entity_id)
    )
    return int(tx.scalar(statement))


def update_address(tx: Tx, address_id: int, fields: dict[str, Any]) -> None:
    tx.execute(
        address.update()
        .where(address.c.entity_id == address_id)
        .values(data=json.dumps(fields, sort_keys=True))
    )


def delete_addresses(tx: Tx, address_ids: Sequence[int]) -> None:
    if address_ids:
        tx.execute(address.delete().where(address.c.entity_id.in_(list(address_ids))))
