"""What a verification check found: pass, fail or skip, a one-line message, the failures."""

from __future__ import annotations

from dataclasses import dataclass

PASS = "pass"
FAIL = "fail"
SKIP = "skip"

#: The token every verification sends with: accepted by the mock host, never a real one.
TEST_TOKEN = "phc_posthog_setup_verify"
#: The distinct id of every event the replay and the live check send.
VERIFY_DISTINCT_ID = "posthog-setup-verify"


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``failures`` holds one line per problem, for people."""

    name: str
    title: str
    status: str
    message: str
    failures: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """True if the check found a problem."""
        return self.status == FAIL


def outcome(name: str, title: str, message: str, failures: list[str] | tuple[str, ...]) -> Check:
    """A check that passed, or failed with ``failures``."""
    return Check(name, title, FAIL if failures else PASS, message, tuple(failures))
