"""Customer accounts: create (``AccountManagementInterface::createAccount``), read, update, delete
and search (``CustomerRepositoryInterface``), with Magento's checks and messages.

- An email is unique per website, ignoring case.
- A caller without ``Magento_Customer::manage`` may not choose the group of a new account
  (Magento's ``AccountManagementApi``), nor move its own account to another group or website.
- An update changes only the fields it carries (Magento's repository does the same for the
  attributes it is given, but insists on first and last name; here they are kept from the
  account when absent). ``addresses``, when given, is the full list: addresses with a known ``id``
  are updated, others added, the rest deleted.
- A customer calling a ``me`` route acts on its own account only, whatever ids the body carries.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa

from commerce_async.auth import tokens as auth_tokens
from commerce_async.auth.passwords import hash_password
from commerce_async.customers import repository
from commerce_async.errors import (
    CouldNotSave,
    InputError,
    NotFound,
    aggregate,
    not_authorized,
    required_field,
)
from commerce_async.operations.model import utc_text
from commerce_async.storage.database import Tx
from commerce_async.stores.model import StoreView
from commerce_async.webapi import search
from commerce_async.webapi.routes import USER_CUSTOMER, ServiceContext, UserContext
from commerce_async.webapi.types import snake_case

MANAGE = "Magento_Customer::manage"
PASSWORD_HASH = "password_hash"
"""Key of the prepared hash in a create's arguments: no route parameter has this name, so a
request cannot set it."""
READ = "Magento_Customer::customer"

NO_SUCH_ENTITY = "No such entity with %fieldName = %fieldValue"
DUPLICATE_EMAIL = "A customer with the same email address already exists in an associated website."
EMAIL_MISSING = "The customer email is missing. Enter and try again."
GROUP_MISSING = "The specified customer group id does not exist."
STORE_NOT_IN_WEBSITE = "The store view is not in the associated website."
WEBSITE_NOT_FOUND = (
    "The website with id %1 that was requested wasn't found. Verify the website and try again."
)
STORE_NOT_FOUND = "The store that was requested wasn't found. Verify the store and try again."
INVALID_VALUE = 'Invalid value of "%value" provided for the %fieldName field.'

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
REQUIRED_CHARACTER_CLASSES = 3

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_GENDERS = frozenset({0, 1, 2, 3})

_NAME_FIELDS = ("firstname", "lastname", "middlename", "prefix", "suffix")
"""The name fields of an account and of an address, in the order their JSON shows them."""
_ADDRESS_TEXT = ("company", "telephone", "fax", "postcode", "city", *_NAME_FIELDS, "vat_id")
"""Address fields kept as given, in the order the address JSON shows them (after ``country_id``
and ``street``, which a save normalises)."""

# Profile fields a save writes as given (None clears them).
_PLAIN_FIELDS = (*_NAME_FIELDS, "taxvat")
_SEARCH_FIELDS = (
    "email",
    *_NAME_FIELDS,
    "group_id",
    "website_id",
    "store_id",
    "created_at",
    "updated_at",
    "created_in",
    "dob",
    "gender",
    "taxvat",
    "default_billing",
    "default_shipping",
    "disable_auto_group_change",
)
SEARCH_FIELDS: dict[str, search.Filterable] = {
    "id": repository.customer.c.entity_id,
    "entity_id": repository.customer.c.entity_id,
    **{name: repository.customer.c[name] for name in _SEARCH_FIELDS},
}


def not_found(customer_id: Any) -> NotFound:
    return NotFound(NO_SUCH_ENTITY, {"fieldName": "customerId", "fieldValue": customer_id})


def load(tx: Tx, customer_id: Any) -> sa.Row[Any]:
    row = repository.find(tx, int(customer_id))
    if row is None:
        raise not_found(customer_id)
    return row


def can_manage(user: UserContext) -> bool:
    return user.allows((MANAGE,))


# --- JSON ----------------------------------------------------------------------------------------


def address_json(
    address_id: int, customer_id: int, fields: dict[str, Any], row: sa.Row[Any]
) -> dict[str, Any]:
    region = fields.get("region") or {}
    region_id = fields.get("region_id") or 0
    result: dict[str, Any] = {
        "id": address_id,
        "customer_id": customer_id,
        "region": {
            "region_code": region.get("region_code"),
            "region": region.get("region"),
            "region_id": region_id,
        },
        "region_id": region_id,
    }
    for name in ("country_id", "street", *_ADDRESS_TEXT):
        if fields.get(name) is not None:
            result[name] = fields[name]
    if row.default_shipping == address_id:
        result["default_shipping"] = True
    if row.default_billing == address_id:
        result["default_billing"] = True
    return result


def customer_json(row: sa.Row[Any], addresses: list[tuple[int, dict]]) -> dict[str, Any]:
    """Magento's ``CustomerInterface`` JSON: fields without a value are left out."""
    result: dict[str, Any] = {"id": row.entity_id, "group_id": row.group_id}
    if row.default_billing is not None:
        result["default_billing"] = str(row.default_billing)
    if row.default_shipping is not None:
        result["default_shipping"] = str(row.default_shipping)
    result["created_at"] = row.created_at
    result["updated_at"] = row.updated_at
    for name in (
        "created_in",
        "dob",
        "email",
        *_NAME_FIELDS,
        "gender",
        "store_id",
        "taxvat",
        "website_id",
    ):
        value = getattr(row, name)
        if value is not None:
            result[name] = value
    result["addresses"] = [
        address_json(address_id, row.entity_id, fields, row) for address_id, fields in addresses
    ]
    result["disable_auto_group_change"] = row.disable_auto_group_change
    return result


def customers_json(tx: Tx, rows: list[sa.Row[Any]]) -> list[dict[str, Any]]:
    addresses = repository.load_addresses(tx, [row.entity_id for row in rows])
    return [customer_json(row, addresses.get(row.entity_id, [])) for row in rows]


def read(tx: Tx, customer_id: int) -> dict[str, Any]:
    return customers_json(tx, [load(tx, customer_id)])[0]


# --- validation ----------------------------------------------------------------------------------


def check_password_strength(password: str, email: str | None) -> None:
    """Magento's ``checkPasswordStrength`` and ``checkPasswordDifferentFromEmail``."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(
            "Please enter a password with at most %1 characters.", [MAX_PASSWORD_LENGTH]
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "The password needs at least %1 characters. Create a new password and try again.",
            [MIN_PASSWORD_LENGTH],
        )
    if password.strip() != password:
        raise InputError(
            "The password can't begin or end with a space. Verify the password and try again."
        )
    classes = sum(
        1 for pattern in (r"\d", r"[a-z]", r"[A-Z]", r"[^a-zA-Z\d]") if re.search(pattern, password)
    )
    if classes < REQUIRED_CHARACTER_CLASSES:
        raise InputError(
            "Minimum of different classes of characters in password is %1. Classes of "
            "characters: Lower Case, Upper Case, Digits, Special Characters.",
            [REQUIRED_CHARACTER_CLASSES],
        )
    if email and password.lower() == email.lower():
        raise InputError(
            "The password can't be the same as the email address. Create a new password and "
            "try again."
        )


def check_group_permission(user: UserContext, customer: Any) -> None:
    """``group_id`` of a new account needs ``Magento_Customer::manage`` (Magento's
    ``AccountManagementApi``, and its accept-time twin for the async routes)."""
    if can_manage(user) or not isinstance(customer, dict):
        return
    if any(snake_case(key) == "group_id" and value is not None for key, value in customer.items()):
        raise not_authorized([MANAGE])


def accept_check(user: UserContext, data: dict[str, Any]) -> None:
    """Route hook run when an async or bulk create is accepted: the whole request is refused
    (401) if any item sets a group without the right to."""
    for key, value in data.items():
        if snake_case(key) == "customer":
            check_group_permission(user, value)


def _profile_errors(values: dict[str, Any]) -> list[str]:
    """The attribute validation of Magento's customer resource model, in attribute order."""
    errors = []
    for name, label in (("firstname", "First Name"), ("lastname", "Last Name")):
        if not (values.get(name) or "").strip():
            errors.append(f'"{label}" is a required value.')
    if not _EMAIL.match(values["email"]):
        errors.append('"Email" is not a valid email address.')
    return errors


def _normalise_dob(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InputError(INVALID_VALUE, {"value": text, "fieldName": "dob"}) from None


def _check_gender(value: Any) -> Any:
    if value is not None and value not in _GENDERS:
        raise InputError(INVALID_VALUE, {"value": value, "fieldName": "gender"})
    return value


def _scope(ctx: ServiceContext, website_id: int | None, store_id: int | None) -> StoreView:
    """The store view of an account: the one given, else the website's default store view,
    else the store view of the request (the default one for ``/rest/all``)."""
    registry = ctx.services.stores
    snapshot = registry.snapshot
    if (store_id and store_id not in snapshot.stores) or (
        website_id and website_id not in snapshot.websites
    ):
        snapshot = registry.reload()
    view = None
    if store_id:
        view = snapshot.stores.get(store_id)
        if view is None or view.is_admin:
            raise NotFound(STORE_NOT_FOUND)
    if website_id:
        website = snapshot.websites.get(website_id)
        if website is None:
            raise NotFound(WEBSITE_NOT_FOUND, [website_id])
        if view is None:
            views = sorted(snapshot.store_views_of_website(website_id), key=lambda v: v.store_id)
            group = snapshot.groups.get(website.default_group_id)
            view = snapshot.stores.get(group.default_store_id) if group else None
            if view is None or view.is_admin:
                view = views[0] if views else None
            if view is None:
                raise NotFound(WEBSITE_NOT_FOUND, [website_id])
        elif view.website_id != website_id:
            raise InputError(STORE_NOT_IN_WEBSITE)
    if view is None:
        view = snapshot.default_store if ctx.store.is_admin else ctx.store
    return view


def _check_group(tx: Tx, group_id: int | None) -> None:
    if group_id is not None and not repository.group_exists(tx, group_id):
        raise InputError(GROUP_MISSING)


# --- addresses -----------------------------------------------------------------------------------

_ADDRESS_REQUIRED = (
    ("firstname", "firstname"),
    ("lastname", "lastname"),
    ("street", "street"),
    ("city", "city"),
    ("telephone", "telephone"),
    ("postcode", "postcode"),
    ("country_id", "countryId"),
)


def _address_errors(item: dict[str, Any]) -> list[InputError]:
    errors = []
    for name, field_name in _ADDRESS_REQUIRED:
        value = item.get(name)
        empty = (
            not any(str(line).strip() for line in value)
            if name == "street" and isinstance(value, list)
            else not str(value or "").strip()
        )
        if empty:
            errors.append(required_field(field_name))
    country = item.get("country_id")
    if country and not _COUNTRY.match(country):
        errors.append(InputError(INVALID_VALUE, {"value": country, "fieldName": "countryId"}))
    return errors


def _address_fields(item: dict[str, Any]) -> dict[str, Any]:
    region = dict(item.get("region") or {})
    region.pop("extension_attributes", None)
    region_id = item.get("region_id") or region.get("region_id") or None
    fields = {name: item.get(name) for name in _ADDRESS_TEXT if item.get(name) is not None}
    fields["country_id"] = item["country_id"].upper()
    fields["street"] = [line for line in item["street"] if line is not None]
    fields["region"] = {
        "region_code": region.get("region_code"),
        "region": region.get("region"),
    }
    fields["region_id"] = region_id
    return fields


def _save_addresses(
    tx: Tx, customer_id: int, items: list[dict[str, Any]], existing: list[int]
) -> tuple[list[int], int | None, int | None]:
    """Write the full address list; returns the kept ids and the flagged defaults."""
    errors = [error for item in items for error in _address_errors(item)]
    if errors:
        raise aggregate(errors)
    kept: list[int] = []
    billing = shipping = None
    for item in items:
        fields = _address_fields(item)
        address_id = item.get("id")
        if address_id in existing and address_id not in kept:
            repository.update_address(tx, address_id, fields)
        else:
            address_id = repository.insert_address(tx, customer_id, fields)
        kept.append(address_id)
        if item.get("default_billing"):
            billing = address_id
        if item.get("default_shipping"):
            shipping = address_id
    repository.delete_addresses(tx, [i for i in existing if i not in kept])
    return kept, billing, shipping


def _default_address(
    name: str, data: dict[str, Any], flagged: int | None, current: int | None, kept: list[int]
) -> int | None:
    """An address flagged default wins, then the customer's own field, then the current one."""
    if flagged is not None:
        return flagged
    if data.get(name) not in (None, ""):
        try:
            chosen = int(data[name])
        except ValueError:
            chosen = None
        if chosen not in kept:
            raise InputError(INVALID_VALUE, {"value": data[name], "fieldName": name})
        return chosen
    return current if current in kept else None


# --- writes --------------------------------------------------------------------------------------


def _profile(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """``base`` (the account as stored, or empty) with the fields ``data`` carries."""
    values = dict(base)
    for name in _PLAIN_FIELDS:
        if name in data:
            values[name] = data[name]
    if "email" in data:
        values["email"] = (data["email"] or "").strip()
    if "dob" in data:
        values["dob"] = _normalise_dob(data["dob"])
    if "gender" in data:
        values["gender"] = _check_gender(data["gender"])
    if data.get("disable_auto_group_change") is not None:
        values["disable_auto_group_change"] = data["disable_auto_group_change"]
    return values


def _validated(
    tx: Tx, values: dict[str, Any], website_id: int, customer_id: int | None
) -> dict[str, Any]:
    if not values.get("email"):
        raise InputError(EMAIL_MISSING)
    if repository.email_taken(tx, values["email"], website_id, customer_id):
        raise CouldNotSave(DUPLICATE_EMAIL)
    errors = _profile_errors(values)
    if errors:
        raise InputError("\n".join(errors))
    return values


def create(ctx: ServiceContext, tx: Tx, data: dict[str, Any], password_hash: str | None) -> int:
    """Insert a new account (the caller checked the password and the group permission)."""
    view = _scope(ctx, data.get("website_id"), data.get("store_id"))
    group_id = data.get("group_id")
    _check_group(tx, group_id)
    if group_id is None:
        group_id = repository.default_group_id(tx)
    now = utc_text(ctx.now)
    values = _validated(tx, _profile(data, {}), view.website_id, None)
    values.update(
        group_id=group_id,
        store_id=view.store_id,
        website_id=view.website_id,
        created_in=view.name,
        created_at=now,
        updated_at=now,
        password_hash=password_hash,
    )
    try:
        with tx.savepoint():
            customer_id = repository.insert(tx, values)
    except sa.exc.IntegrityError:
        # A concurrent create of the same email won the race.
        raise CouldNotSave(DUPLICATE_EMAIL) from None
    items = data.get("addresses") or []
    kept, billing, shipping = _save_addresses(tx, customer_id, items, [])
    defaults = {
        "default_billing": _default_address("default_billing", data, billing, None, kept),
        "default_shipping": _default_address("default_shipping", data, shipping, None, kept),
    }
    if any(defaults.values()):
        repository.update(tx, customer_id, defaults)
    return customer_id


def update(ctx: ServiceContext, row: sa.Row[Any], data: dict[str, Any]) -> None:
    tx = ctx.tx
    if not can_manage(ctx.user):
        if data.get("group_id") is not None and data["group_id"] != row.group_id:
            raise not_authorized([MANAGE])
        if data.get("website_id") and data["website_id"] != row.website_id:
            raise not_authorized([MANAGE])
    website_id = data.get("website_id") or row.website_id
    store_id = data.get("store_id") or (row.store_id if website_id == row.website_id else None)
    view = _scope(ctx, website_id, store_id)
    group_id = data.get("group_id")
    _check_group(tx, group_id)
    base = {name: getattr(row, name) for name in repository.PROFILE_COLUMNS}
    values = _validated(tx, _profile(data, base), view.website_id, row.entity_id)
    values.update(
        group_id=row.group_id if group_id is None else group_id,
        store_id=view.store_id,
        website_id=view.website_id,
        updated_at=utc_text(ctx.now),
    )
    existing = [
        address_id
        for address_id, _ in repository.load_addresses(tx, [row.entity_id]).get(row.entity_id, [])
    ]
    kept, billing, shipping = existing, None, None
    if data.get("addresses") is not None:
        kept, billing, shipping = _save_addresses(tx, row.entity_id, data["addresses"], existing)
    values["default_billing"] = _default_address(
        "default_billing", data, billing, row.default_billing, kept
    )
    values["default_shipping"] = _default_address(
        "default_shipping", data, shipping, row.default_shipping, kept
    )
    try:
        with tx.savepoint():
            repository.update(tx, row.entity_id, values)
    except sa.exc.IntegrityError:
        raise CouldNotSave(DUPLICATE_EMAIL) from None


# --- handlers ------------------------------------------------------------------------------------


def _own_or_given(ctx: ServiceContext, given: Any) -> Any:
    """A customer acts on its own account only (``me`` routes); others name the account."""
    if ctx.user.user_type == USER_CUSTOMER:
        return ctx.user.user_id
    return given


def prepare_account(user: UserContext, args: dict[str, Any]) -> dict[str, Any]:
    """The route's ``prepare`` step, run before any transaction opens: the checks Magento makes
    first (group permission, password strength), then the slow Argon2id hash, which replaces
    the password in the arguments the handler receives."""
    customer = args.get("customer") or {}
    check_group_permission(user, customer)
    password = args.get("password")
    if password is None:
        return args
    check_password_strength(password, customer.get("email"))
    return {**args, "password": None, PASSWORD_HASH: hash_password(password)}


def create_account(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /V1/customers``: a new account, with an Argon2id password hash when a password is
    given (computed by ``prepare_account``)."""
    if args.get("password") is not None:
        args = prepare_account(ctx.user, args)
    data = dict(args.get("customer") or {})
    check_group_permission(ctx.user, data)
    customer_id = create(ctx, ctx.tx, data, args.get(PASSWORD_HASH))
    return read(ctx.tx, customer_id)


def get(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /V1/customers/:customerId`` and ``GET /V1/customers/me``."""
    return read(ctx.tx, _own_or_given(ctx, args["customerId"]))


def save(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``PUT /V1/customers/:customerId`` and ``PUT /V1/customers/me``: update the account named
    by the path (else by ``customer.id``)."""
    data = dict(args.get("customer") or {})
    given = args.get("customerId")
    customer_id = _own_or_given(ctx, given if given is not None else data.get("id"))
    if customer_id is None:
        raise required_field("customerId")
    row = load(ctx.tx, customer_id)
    update(ctx, row, data)
    return read(ctx.tx, row.entity_id)


def delete(ctx: ServiceContext, args: dict[str, Any]) -> bool:
    """``DELETE /V1/customers/:customerId``: the account, its addresses and its tokens."""
    row = load(ctx.tx, args["customerId"])
    repository.delete(ctx.tx, row.entity_id)
    auth_tokens.revoke_user(ctx.tx, USER_CUSTOMER, row.entity_id)
    ctx.tx.after_commit(ctx.services.token_cache.clear)
    return True


def search_customers(ctx: ServiceContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /V1/customers/search?searchCriteria...``."""
    customer = repository.customer
    return search.run(
        ctx.tx,
        sa.select(customer),
        SEARCH_FIELDS,
        args["searchCriteria"],
        lambda row: row,
        default_order=[customer.c.entity_id.asc()],
        load_items=lambda rows: customers_json(ctx.tx, rows),
    )
