"""URL keys: derived from the name, and unique per store view.

Magento formats a URL key (given or derived from the name) by transliterating it, lower-casing
it and replacing every run of other characters with ``-``. Two products may not resolve to the same
key in one store view: a product's key in a view is its own row there, else its store-0 row.
"""

from __future__ import annotations

import re
import unicodedata

from commerce_async.catalog import repository
from commerce_async.errors import InputError
from commerce_async.storage.database import Tx

URL_KEY_EXISTS = "URL key for specified store already exists."
_NON_WORD = re.compile(r"[^a-z0-9]+")


def format_url_key(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_WORD.sub("-", ascii_text.lower()).strip("-")


def check_unique(tx: Tx, key: str, entity_id: int | None, store_id: int) -> None:
    """Refuse ``key`` for product ``entity_id`` (None: a new product) at store level ``store_id``
    if another product already resolves to it in a store view that this row would reach."""
    holders = repository.url_key_holders(tx, key, entity_id)
    if not holders:
        return
    if any(level == store_id for _, level in holders):
        raise InputError(URL_KEY_EXISTS)
    others = {other for other, _ in holders}
    if store_id == 0:
        # Our default is seen in every view where we have no key of our own; theirs is visible
        # in the view of their row (or everywhere they have no own key, for a store-0 row).
        own_levels = (
            {level for _, level in repository.url_key_levels(tx, [entity_id])}
            if entity_id is not None
            else set()
        )
        if any(level not in own_levels for _, level in holders):
            raise InputError(URL_KEY_EXISTS)
        return
    # A row of ours at one view: it collides with their store-0 key unless they override it there.
    overriding = {
        other for other, level in repository.url_key_levels(tx, sorted(others)) if level == store_id
    }
    if any(level == 0 and other not in overriding for other, level in holders):
        raise InputError(URL_KEY_EXISTS)
