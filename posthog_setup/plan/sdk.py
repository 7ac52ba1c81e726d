"""The posthog release the generated code needs, per framework, and why.

Each floor is the first release whose behaviour the generated code relies on, found in
the SDK's own source:

- every project: the client module, captures and identify use the 6.0 API
  (``capture(event, distinct_id=...)``, ``set()``, ``identify_context()``);
- Flask: ``posthog.integrations.flask.PosthogFlaskIntegration`` first ships in 7.66;
- FastAPI / ASGI: ``PosthogASGIMiddleware`` ships in 7.66 but ignores the
  ``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers unless told to trust them;
  7.71 reads them by default (on 7.66 ``$session_id`` stays empty);
- Django: ``PosthogContextMiddleware`` reads ``POSTHOG_MW_CLIENT`` from 6.0.4 (6.0.3
  already reads ``POSTHOG_MW_CAPTURE_EXCEPTIONS`` and ``POSTHOG_MW_TAG_MAP``); the
  middleware's own exception capture is turned off, since server errors go through the
  project's client from a ``got_request_exception`` receiver.
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

FRAMEWORK_FLOORS: dict[str, SdkFloor] = {
    "flask": SdkFloor("7.66", "7.66 is the first release with PosthogFlaskIntegration"),
    "fastapi": SdkFloor(
        "7.71", "7.71 is the first whose PosthogASGIMiddleware reads the X-POSTHOG-* headers"
    ),
    "django": SdkFloor(
        "6.0.4", "6.0.4 is the first whose Django middleware reads the POSTHOG_MW_CLIENT setting"
    ),
}


def posthog_floor(frameworks: Iterable[str]) -> SdkFloor:
    """The floor for a project using ``frameworks``: the highest any of them needs."""
    floors = [BASE_FLOOR, *(FRAMEWORK_FLOORS[f] for f in frameworks if f in FRAMEWORK_FLOORS)]
    return max(floors, key=lambda floor: Version(floor.version))
