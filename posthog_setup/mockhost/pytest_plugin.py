"""A pytest fixture that runs a mock PostHog host for the duration of one test.

Enable it with ``pytest_plugins = ["posthog_setup.mockhost.pytest_plugin"]`` in a top-level
``conftest.py`` (or import ``posthog_mock_host`` there), then point the SDK at ``host.url``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from posthog_setup.mockhost.server import MockPostHogHost


@pytest.fixture
def posthog_mock_host() -> Iterator[MockPostHogHost]:
    """A started :class:`MockPostHogHost` on a free loopback port, stopped after the test."""
    with MockPostHogHost() as host:
        yield host
