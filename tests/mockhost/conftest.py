"""Fixtures for the mock host's tests: hosts on ephemeral loopback ports and a raw client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost


@pytest.fixture(scope="session")
def shared_host() -> Iterator[MockPostHogHost]:
    """One host for the many request-level tests; ``host`` resets it before each test."""
    with MockPostHogHost(body_timeout=0.5) as host:
        yield host


@pytest.fixture
def host(shared_host: MockPostHogHost) -> MockPostHogHost:
    """The shared host with no events and no pending faults."""
    shared_host.clear()
    shared_host.faults.clear()
    return shared_host


@pytest.fixture
def session() -> Iterator[requests.Session]:
    """A keep-alive HTTP session, closed after the test."""
    with requests.Session() as http:
        yield http
