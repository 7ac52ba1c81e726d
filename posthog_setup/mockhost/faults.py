"""Injected responses, to test how a client copes with errors, rate limits and slowness."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One response to give to the next ingestion request instead of the normal one.

    A fault with ``status`` 200 only adds its ``delay``: the request is then processed and
    recorded as usual. Any other status is answered with an error body and nothing is recorded.
    """

    status: int
    delay: float = 0.0
    retry_after: int | None = None

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {self.status}")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from ``{"status": 503, "delay": 0.5, "retry_after": 2}``."""
        status = data.get("status")
        delay = data.get("delay", 0.0)
        retry_after = data.get("retry_after")
        if not isinstance(status, int) or isinstance(status, bool):
            raise ValueError("status must be an integer")
        if not isinstance(delay, (int, float)) or isinstance(delay, bool):
            raise ValueError("delay must be a number of seconds")
        if retry_after is not None and (
            not isinstance(retry_after, int) or isinstance(retry_after, bool)
        ):
            raise ValueError("retry_after must be an integer number of seconds")
        return cls(status=status, delay=float(delay), retry_after=retry_after)

    def to_json(self) -> dict[str, Any]:
        """The JSON form accepted by :meth:`from_json`."""
        return {"status": self.status, "delay": self.delay, "retry_after": self.retry_after}


class FaultQueue:
    """A thread-safe queue of faults, consumed one per ingestion request."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._pending: deque[Fault] = deque(faults)

    def extend(self, faults: Iterable[Fault]) -> None:
        """Queue faults after those already pending."""
        with self._lock:
            self._pending.extend(faults)

    def pop(self) -> Fault | None:
        """The next fault, or ``None`` when the request should be handled normally."""
        # Checked without the lock first: the queue is empty on nearly every request.
        if not self._pending:
            return None
        with self._lock:
            return self._pending.popleft() if self._pending else None

    def pending(self) -> list[Fault]:
        """The faults still queued, next first."""
        with self._lock:
            return list(self._pending)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()
