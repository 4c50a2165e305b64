"""The contract suite runs every test once per backend combination (``tests.deployment``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deployment import (
    Deployment,
    Template,
    backend_params,
    deployment,
    drop_templates,
    template_for,
)


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    yield
    drop_templates()


@pytest.fixture(scope="module", params=backend_params())
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    return template_for(request.param, tmp_path_factory)


@pytest.fixture
def stack(template: Template, tmp_path: Path) -> Iterator[Deployment]:
    with deployment(template, tmp_path) as installed:
        yield installed
