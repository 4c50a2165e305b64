"""Websites, store groups and store views, and the in-memory registry the web edge resolves from."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

ADMIN_STORE_ID = 0
ADMIN_CODE = "admin"
ALL_CODE = "all"


@dataclass(frozen=True, slots=True)
class Website:
    website_id: int
    code: str
    name: str
    default_group_id: int
    sort_order: int = 0
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class StoreGroup:
    group_id: int
    website_id: int
    code: str
    name: str
    root_category_id: int
    default_store_id: int


@dataclass(frozen=True, slots=True)
class StoreView:
    store_id: int
    code: str
    name: str
    website_id: int
    group_id: int
    sort_order: int = 0
    is_active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.store_id == ADMIN_STORE_ID


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    """All stores at one moment; immutable, swapped whole when stores change."""

    websites: dict[int, Website]
    groups: dict[int, StoreGroup]
    stores: dict[int, StoreView]
    by_code: dict[str, StoreView]

    @property
    def default_store(self) -> StoreView:
        website = next((w for w in self.websites.values() if w.is_default), None)
        if website is not None:
            group = self.groups.get(website.default_group_id)
            if group is not None and group.default_store_id in self.stores:
                return self.stores[group.default_store_id]
        return min((s for s in self.stores.values() if s.store_id), key=lambda s: s.store_id)

    @property
    def admin_store(self) -> StoreView:
        return self.stores[ADMIN_STORE_ID]

    def store_views_of_website(self, website_id: int) -> list[StoreView]:
        return [s for s in self.stores.values() if s.website_id == website_id and s.store_id]


class StoreRegistry:
    """Thread-safe holder of the current ``StoreSnapshot``.

    When a request names a code the snapshot does not know, the registry reads the stores'
    version marker (one indexed point read, bumped by every store change) and reloads if it
    moved, so stores created by another process (the CLI) are used at once, without a restart.
    """

    def __init__(
        self, loader: Callable[[], StoreSnapshot], version: Callable[[], str | None]
    ) -> None:
        self._loader = loader
        self._version = version
        self._lock = threading.Lock()
        self._snapshot: StoreSnapshot | None = None
        self._loaded_version: str | None = None

    @property
    def snapshot(self) -> StoreSnapshot:
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = self.reload()
        return snapshot

    def reload(self) -> StoreSnapshot:
        with self._lock:
            self._loaded_version = self._version()
            self._snapshot = self._loader()
            return self._snapshot

    def refresh_if_changed(self) -> StoreSnapshot:
        """The snapshot, reloaded first if any store changed since it was loaded (one point
        read; long-running consumers call it once per batch)."""
        if self._snapshot is None or self._version() != self._loaded_version:
            return self.reload()
        return self._snapshot

    def find_view(self, code: str) -> StoreView | None:
        """A store view by URL code (never the admin store), reloading if stores changed."""
        view = self.snapshot.by_code.get(code)
        if view is None and self._version() != self._loaded_version:
            view = self.reload().by_code.get(code)
        if view is None or view.is_admin:
            return None
        return view
