"""The posthog release the generated code needs, and why.

Each floor is the first release whose behaviour the generated code relies on, found in
the SDK's own source. Every project's client module, captures and identify use the 6.0
API (``capture(event, distinct_id=...)``, ``set()``, ``identify_context()``); each
framework's hook-up declares its own floor (``posthog_setup.frameworks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import Version


@dataclass(frozen=True)
class SdkFloor:
    """The lowest posthog release a piece of generated code works with, and the reason."""

    version: str
    reason: str

    @property
    def requirement(self) -> str:
        """The requirement string written into manifests."""
        return f"posthog>={self.version}"


BASE_FLOOR = SdkFloor(
    "6.0", "6.0 is the first with the capture(event, distinct_id=...) API the code uses"
)


def posthog_floor(floors: Iterable[SdkFloor]) -> SdkFloor:
    """The floor for generated code made of pieces needing ``floors``: the highest of them."""
    return max([BASE_FLOOR, *floors], key=lambda floor: Version(floor.version))


#: The oldest Python the releases from a floor on install on, from their Requires-Python:
#: posthog 6.x needs 3.9, every release from 7.0 needs 3.10.
_PYTHON_FROM = ((Version("7.0"), (3, 10)), (Version("0"), (3, 9)))


def oldest_python(floor: SdkFloor) -> tuple[int, int]:
    """The oldest Python some posthog release at or above ``floor`` installs on."""
    return next(python for since, python in _PYTHON_FROM if Version(floor.version) >= since)
