"""A batching PostHog client: an in-memory queue, background delivery, retries.

The Python counterpart of PostHog's Node library. It stands on its own: nothing here
imports the rest of ``posthog_setup``.
"""

from ._version import LIB_NAME, LIB_VERSION
from .client import DEFAULT_HOST, Client, QueueFullError
from .delivery import MAX_BATCH_BYTES, DeliveryError, ErrorCallback, RetryPolicy
from .events import MAX_EVENT_BYTES
from .stats import ClientStats
from .transport import RequestsTransport, Transport, TransportResponse

__version__ = LIB_VERSION

__all__ = [
    "DEFAULT_HOST",
    "LIB_NAME",
    "LIB_VERSION",
    "MAX_BATCH_BYTES",
    "MAX_EVENT_BYTES",
    "Client",
    "ClientStats",
    "DeliveryError",
    "ErrorCallback",
    "QueueFullError",
    "RequestsTransport",
    "RetryPolicy",
    "Transport",
    "TransportResponse",
    "__version__",
]
