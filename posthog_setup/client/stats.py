"""Delivery counters: a thread-safe tally and the frozen snapshot callers read."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientStats:
    """A point-in-time copy of a client's counters.

    ``captured`` events were accepted into the queue; ``sent`` were acknowledged with
    HTTP 200; ``dropped`` were refused by ``capture`` (invalid, not serialisable, too
    large, queue full, client shut down); ``failed`` were accepted but given up on:
    refused by the server, out of retries, or still queued or in flight when
    ``shutdown``'s deadline passed. ``retried`` counts repeated requests. Once a client
    is shut down, ``captured == sent + failed``.
    """

    captured: int = 0
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    failed: int = 0


class Counters:
    """Mutable counters shared by the capturing threads and the sender."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Notified whenever events settle (sent or failed), for flush() to wait on.
        self.settled_changed = threading.Condition(self.lock)
        self.captured = 0
        self.sent = 0
        self.dropped = 0
        self.retried = 0
        self.failed = 0

    def add_sent(self, count: int) -> None:
        """Record ``count`` events acknowledged by the server."""
        with self.lock:
            self.sent += count
            self.settled_changed.notify_all()

    def add_dropped(self, count: int = 1) -> None:
        """Record ``count`` events refused before sending."""
        with self.lock:
            self.dropped += count

    def add_retried(self, count: int = 1) -> None:
        """Record ``count`` repeated requests."""
        with self.lock:
            self.retried += count

    def add_failed(self, count: int) -> None:
        """Record ``count`` events given up on."""
        with self.lock:
            self.failed += count
            self.settled_changed.notify_all()

    def wait_settled(self, target: int, timeout: float | None) -> bool:
        """Wait until ``target`` events are sent or failed; False if ``timeout`` passes first."""
        with self.lock:
            return self.settled_changed.wait_for(lambda: self.sent + self.failed >= target, timeout)

    def snapshot(self) -> ClientStats:
        """Return a consistent frozen copy."""
        with self.lock:
            return ClientStats(
                captured=self.captured,
                sent=self.sent,
                dropped=self.dropped,
                retried=self.retried,
                failed=self.failed,
            )
