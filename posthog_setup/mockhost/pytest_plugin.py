"""A pytest fixture that runs a mock PostHog host for the duration of one test.

Installing posthog-setup registers it as a pytest plugin, so any test can ask for
``posthog_mock_host`` and point the SDK at ``host.url``.
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
