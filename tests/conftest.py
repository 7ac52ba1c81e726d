"""Settings every test shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from posthog_setup.project.cache import CACHE_DIR_VAR


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the tool's result cache of test runs out of the user's cache folder."""
    folder = tmp_path_factory.mktemp("posthog-setup-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_DIR_VAR, str(folder))
    yield folder
    patch.undo()
