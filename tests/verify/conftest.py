"""Shared by the verification tests: one mock host for the session, integrated fixture copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from posthog_setup.mockhost import MockPostHogHost

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "expected"


@pytest.fixture(scope="session")
def shared_mock_host() -> Iterator[MockPostHogHost]:
    """One loopback mock host for every verification test."""
    with MockPostHogHost() as host:
        yield host


@pytest.fixture
def mock_host(shared_mock_host: MockPostHogHost) -> MockPostHogHost:
    """The shared host, emptied of events and pending faults."""
    shared_mock_host.clear()
    shared_mock_host.faults.clear()
    return shared_mock_host


@pytest.fixture
def integrated(tmp_path: Path) -> Callable[[str], Path]:
    """A function copying ``fixtures/expected/<name>`` (an integrated project) to tmp_path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXPECTED / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target

    return copy
