"""A mock PostHog ingestion host that validates and records events like real ingestion.

Run it with ``posthog-setup mock-host`` and set ``POSTHOG_HOST`` to the URL it prints, or use
:class:`MockPostHogHost` (a context manager) or the ``posthog_mock_host`` pytest fixture in
tests. It stands alone: nothing here depends on the rest of posthog-setup.
"""

from posthog_setup.mockhost.faults import Fault
from posthog_setup.mockhost.ingest import IngestError
from posthog_setup.mockhost.server import MockPostHogHost
from posthog_setup.mockhost.store import RecordedEvent

__all__ = ["Fault", "IngestError", "MockPostHogHost", "RecordedEvent"]
