"""Contract replay: every planned event, a sample identify and a sample exception, sent
through the bundled client to the mock host, which validates each one as PostHog ingestion would.

The client runs in serverless mode (``flush_at=0``), so each event goes out in its own
request as it is captured: a refusal is tied to exactly one event, with the host's reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan, PlannedEvent
from posthog_setup.verify.checks import TEST_TOKEN, VERIFY_DISTINCT_ID, Check, outcome

if TYPE_CHECKING:
    from posthog_setup.client import TransportResponse

#: A typed sample value for each property type of the plan.
SAMPLE_VALUES: dict[str, Any] = {"integer": 1, "number": 1.5, "boolean": True, "string": "example"}
#: Person properties set by the replayed identify.
PERSON_PROPERTIES = {"email": "posthog-setup-verify@example.com", "name": "posthog-setup verify"}
SAMPLE_ERROR = "a sample exception sent by posthog-setup conclude"


@dataclass(frozen=True)
class Delivery:
    """One replayed event: accepted by the host, or why not."""

    event: str
    accepted: bool
    reason: str | None = None


@dataclass(frozen=True)
class ReplayResult:
    """The replay check and each delivery (``events`` in the plan's order)."""

    check: Check
    events: tuple[Delivery, ...]
    identify: Delivery
    exception: Delivery


class _RecordingTransport:
    """Posts straight to the loopback host (no proxies) and keeps every reply's body."""

    def __init__(self) -> None:
        # Imported here, not with the module: conclude replays while the app starts in its
        # own process, so the client and requests load on this core meanwhile.
        import requests

        self._session = requests.Session()
        # Never route the loopback host through a proxy from the environment.
        self._session.trust_env = False
        self.replies: list[tuple[int, str]] = []

    def send(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> TransportResponse:
        from posthog_setup.client import TransportResponse

        response = self._session.post(url, data=body, headers=dict(headers), timeout=timeout)
        self.replies.append((response.status_code, response.text))
        return TransportResponse(response.status_code, dict(response.headers))

    def close(self) -> None:
        self._session.close()


def sample_properties(event: PlannedEvent) -> dict[str, Any]:
    """The event's property keys with a sample value of each one's type."""
    return {p.name: SAMPLE_VALUES.get(p.type, "example") for p in event.properties}


@contextlib.contextmanager
def _quiet_client() -> Iterator[None]:
    """Keep the client's own warnings about refused batches off the user's terminal:
    the replay reports each refusal itself, with the host's reason."""
    logger = logging.getLogger("posthog_setup.client")
    disabled = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = disabled


def host_reason(status: int, body: str) -> str:
    """The host's refusal as people read it: ``HTTP 400 missing_event_name: ...``."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("code"):
        return f"HTTP {status} {data['code']}: {data.get('error', '')}".rstrip(": ")
    return f"HTTP {status}"


class _Replayer:
    def __init__(self, host: MockPostHogHost, token: str, timeout: float) -> None:
        from posthog_setup.client import Client

        self.transport = _RecordingTransport()
        self.errors: list[str] = []
        self.client = Client(
            token,
            host=host.url,
            flush_at=0,
            retry_count=0,
            timeout=timeout,
            debug=True,
            transport=self.transport,
            on_error=lambda error, batch: self.errors.append(str(error)),
        )
        #: uuid of each sent event (None: refused before sending) and the reason, if any
        self.sent: list[tuple[str, str | None, str | None]] = []

    def send(self, event: str, call: Callable[[], str]) -> None:
        replies, errors = len(self.transport.replies), len(self.errors)
        try:
            uuid = call()
        except Exception as exc:
            self.sent.append((event, None, f"refused by the client before sending: {exc}"))
            return
        refused = [r for r in self.transport.replies[replies:] if r[0] != 200]
        if refused:
            self.sent.append(
                (event, uuid, "rejected by the mock host: " + host_reason(*refused[-1]))
            )
        elif len(self.errors) > errors:
            self.sent.append((event, uuid, "not delivered: " + self.errors[-1]))
        else:
            self.sent.append((event, uuid, None))


def _replay(plan: Plan, host: MockPostHogHost, token: str, timeout: float) -> _Replayer:
    replayer = _Replayer(host, token, timeout)
    client = replayer.client
    try:
        for event in plan.events:
            replayer.send(
                event.event,
                partial(client.capture, VERIFY_DISTINCT_ID, event.event, sample_properties(event)),
            )
        replayer.send("$identify", lambda: client.identify(VERIFY_DISTINCT_ID, PERSON_PROPERTIES))
        try:
            raise RuntimeError(SAMPLE_ERROR)
        except RuntimeError as error:
            sample = error
        replayer.send(
            "$exception", lambda: client.capture_exception(sample, distinct_id=VERIFY_DISTINCT_ID)
        )
        client.shutdown(timeout)
    finally:
        replayer.transport.close()
    return replayer


def replay_contract(
    plan: Plan,
    host: MockPostHogHost,
    *,
    token: str = TEST_TOKEN,
    timeout: float = 5.0,
) -> ReplayResult:
    """Send the plan's events, an identify and an exception; check the host kept each one."""
    since = host.store.last_seq
    with _quiet_client():
        replayer = _replay(plan, host, token, timeout)
    stored = {e.uuid: e for e in host.store.events(distinct_id=VERIFY_DISTINCT_ID, since=since)}
    deliveries = []
    for name, uuid, reason in replayer.sent:
        if reason is None and (uuid is None or uuid not in stored):
            reason = "not recorded by the mock host (it answered 200)"
        elif (
            reason is None
            and name == "$exception"
            and not stored[uuid].properties.get("$exception_list")
        ):
            reason = "recorded without an $exception_list"
        deliveries.append(Delivery(name, reason is None, reason))

    *events, identify, exception = deliveries
    failures = [f"replay: '{d.event}' was {d.reason}" for d in deliveries if not d.accepted]
    accepted = sum(1 for d in events if d.accepted)
    # The identify and the exception are the client's samples, not calls of the project's.
    message = (
        f"{accepted} of {len(events)} planned events, "
        f"{'a' if identify.accepted else 'no'} sample identify and "
        f"{'a' if exception.accepted else 'no'} sample exception accepted by the mock host"
    )
    return ReplayResult(
        outcome("replay", "Contract replay", message, failures), tuple(events), identify, exception
    )
