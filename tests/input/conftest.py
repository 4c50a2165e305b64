"""Services for bad-input tests: a small body limit, an admin token and a customer token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.conftest import World, build_world

MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("input"), max_body_bytes=MAX_BODY)
