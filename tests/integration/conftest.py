"""Integration suites share the installed templates of ``tests.deployment``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deployment import drop_templates


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    yield
    drop_templates()
