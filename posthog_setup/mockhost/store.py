"""The thread-safe record of accepted events, optionally mirrored to a JSON-lines file."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from posthog_setup.mockhost.ingest import ValidEvent

DEFAULT_MAX_EVENTS = 100_000


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An accepted event as the mock host stored it.

    ``raw`` is the event exactly as the client sent it; the other fields are what ingestion
    derives from it (``distinct_id`` is always a string, as PostHog stores it).
    """

    seq: int
    received_at: float
    path: str
    token: str
    event: str
    distinct_id: str
    uuid: str | None
    timestamp: str | None
    properties: dict[str, Any]
    raw: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as served by ``GET /_mock/events`` and written to the record."""
        return {
            "seq": self.seq,
            "received_at": datetime.fromtimestamp(self.received_at, timezone.utc).isoformat(),
            "path": self.path,
            "token": self.token,
            "event": self.event,
            "distinct_id": self.distinct_id,
            "uuid": self.uuid,
            "timestamp": self.timestamp,
            "properties": self.properties,
            "raw": self.raw,
        }

    def matches(self, event: str | None, distinct_id: str | None) -> bool:
        """Whether this event passes the given filters (``None`` means any)."""
        return (event is None or self.event == event) and (
            distinct_id is None or self.distinct_id == distinct_id
        )


@dataclass(frozen=True, slots=True)
class _Arrival:
    """The events of one accepted request, numbered from ``first_seq``."""

    first_seq: int
    received_at: float
    path: str
    token: str
    events: list[ValidEvent]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.events) - 1

    def recorded(self, since: int = 0) -> Iterator[RecordedEvent]:
        start = max(0, since - self.first_seq + 1)
        for offset in range(start, len(self.events)):
            valid = self.events[offset]
            yield RecordedEvent(
                self.first_seq + offset,
                self.received_at,
                self.path,
                self.token,
                valid.event,
                valid.distinct_id,
                valid.uuid,
                valid.timestamp,
                valid.properties,
                valid.raw,
            )


class EventStore:
    """Accepted events in arrival order, bounded to about the most recent ``max_events``.

    Events are kept as the requests that brought them and turned into :class:`RecordedEvent`
    objects only when read, which keeps the ingestion path to one append per request.
    """

    def __init__(
        self, record_path: Path | None = None, max_events: int = DEFAULT_MAX_EVENTS
    ) -> None:
        self._arrivals: deque[_Arrival] = deque()
        self._size = 0
        self._max_events = max_events
        self._changed = threading.Condition()
        self._last_seq = 0
        self._generation = 0
        self._record: IO[str] | None = None
        if record_path is not None:
            self.start_recording(record_path)

    def start_recording(self, path: Path) -> None:
        """Append every event accepted from now on to ``path`` as one JSON object per line."""
        handle = path.open("a", encoding="utf-8")
        with self._changed:
            if self._record is not None:
                self._record.close()
            self._record = handle

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest event ever accepted (it survives :meth:`clear`)."""
        return self._last_seq

    @property
    def generation(self) -> int:
        """How many times the store was cleared; lets a viewer notice a reset."""
        return self._generation

    def add(self, path: str, token: str, events: list[ValidEvent]) -> None:
        """Record the events of one accepted request and wake anyone waiting for them."""
        if not events:
            return
        now = time.time()
        with self._changed:
            arrival = _Arrival(self._last_seq + 1, now, path, token, events)
            self._last_seq = arrival.last_seq
            self._arrivals.append(arrival)
            self._size += len(events)
            # Whole requests are dropped, oldest first, so the bound is approximate.
            while self._size > self._max_events and len(self._arrivals) > 1:
                self._size -= len(self._arrivals.popleft().events)
            if self._record is not None:
                lines = "".join(json.dumps(item.to_dict()) + "\n" for item in arrival.recorded())
                self._record.write(lines)
                self._record.flush()
            self._changed.notify_all()

    def events(
        self,
        *,
        event: str | None = None,
        distinct_id: str | None = None,
        since: int = 0,
    ) -> list[RecordedEvent]:
        """Stored events, oldest first, filtered by name, distinct id and sequence number."""
        with self._changed:
            arrivals = [arrival for arrival in self._arrivals if arrival.last_seq > since]
        return [
            item
            for arrival in arrivals
            for item in arrival.recorded(since)
            if item.matches(event, distinct_id)
        ]

    def _count(self, event: str | None, distinct_id: str | None) -> int:
        return sum(
            1
            for arrival in self._arrivals
            for valid in arrival.events
            if (event is None or valid.event == event)
            and (distinct_id is None or valid.distinct_id == distinct_id)
        )

    def clear(self) -> None:
        """Forget every stored event (the record file, if any, is kept)."""
        with self._changed:
            self._arrivals.clear()
            self._size = 0
            self._generation += 1
            self._changed.notify_all()

    def wait_for(
        self,
        count: int,
        timeout: float = 5.0,
        *,
        event: str | None = None,
        distinct_id: str | None = None,
    ) -> list[RecordedEvent]:
        """Block until at least ``count`` matching events are stored; return them all.

        Raises :class:`TimeoutError`, saying what did arrive, when ``timeout`` seconds pass.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._count(event, distinct_id)
                remaining = deadline - time.monotonic()
                if found >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
            seen = sorted({valid.event for arrival in self._arrivals for valid in arrival.events})
        if found < count:
            wanted = "events" if event is None else f"{event!r} events"
            if distinct_id is not None:
                wanted += f" for distinct_id {distinct_id!r}"
            raise TimeoutError(
                f"expected {count} {wanted} within {timeout:g}s, got {found}"
                f" (events stored: {seen or 'none'})"
            )
        return self.events(event=event, distinct_id=distinct_id)

    def close(self) -> None:
        """Close the record file, if one is open."""
        with self._changed:
            if self._record is not None:
                self._record.close()
                self._record = None


DEFAULT_MAX_REJECTIONS = 200


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request the mock host refused, and why (the error real ingestion would answer)."""

    seq: int
    received_at: float
    method: str
    path: str
    status: int
    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as served by ``GET /_mock/rejected``."""
        return {
            "seq": self.seq,
            "received_at": datetime.fromtimestamp(self.received_at, timezone.utc).isoformat(),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "reason": self.reason,
        }

    def describe(self) -> str:
        """One line for a terminal: what was refused, with which status, and why."""
        return f"rejected {self.method} {self.path}: {self.status} {self.code}: {self.reason}"


RejectionListener = Callable[[Rejection], None]


class RejectionLog:
    """The most recent refused requests, so a setup mistake does not look like silence.

    A request without a token or with an empty event name gets its 4xx, which an SDK
    swallows; this log is where the person running the mock host can see it.
    """

    def __init__(
        self,
        max_items: int = DEFAULT_MAX_REJECTIONS,
        listener: RejectionListener | None = None,
    ) -> None:
        self._items: deque[Rejection] = deque(maxlen=max_items)
        self._lock = threading.Lock()
        self._last_seq = 0
        self._generation = 0
        self.listener = listener

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest rejection ever logged (it survives :meth:`clear`)."""
        return self._last_seq

    @property
    def generation(self) -> int:
        """How many times the log was cleared."""
        return self._generation

    def add(self, method: str, path: str, status: int, code: str, reason: str) -> Rejection:
        """Log one refused request and tell the listener, if any."""
        with self._lock:
            self._last_seq += 1
            rejection = Rejection(self._last_seq, time.time(), method, path, status, code, reason)
            self._items.append(rejection)
        listener = self.listener
        if listener is not None:
            listener(rejection)
        return rejection

    def items(self, since: int = 0) -> list[Rejection]:
        """Logged rejections after sequence number ``since``, oldest first."""
        with self._lock:
            return [item for item in self._items if item.seq > since]

    def clear(self) -> None:
        """Forget the logged rejections."""
        with self._lock:
            self._items.clear()
            self._generation += 1
