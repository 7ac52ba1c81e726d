"""The thread-safe record of accepted events, optionally mirrored to a JSON-lines file."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
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


class EventStore:
    """Accepted events in arrival order, bounded to the most recent ``max_events``."""

    def __init__(
        self, record_path: Path | None = None, max_events: int = DEFAULT_MAX_EVENTS
    ) -> None:
        self._events: deque[RecordedEvent] = deque(maxlen=max_events)
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

    def add(self, path: str, token: str, events: Iterable[ValidEvent]) -> list[RecordedEvent]:
        """Record the events of one accepted request and wake anyone waiting for them."""
        now = time.time()
        with self._changed:
            seq = self._last_seq
            recorded = []
            for valid in events:
                seq += 1
                recorded.append(
                    RecordedEvent(
                        seq,
                        now,
                        path,
                        token,
                        valid.event,
                        valid.distinct_id,
                        valid.uuid,
                        valid.timestamp,
                        valid.properties,
                        valid.raw,
                    )
                )
            self._last_seq = seq
            self._events.extend(recorded)
            if self._record is not None:
                lines = "".join(json.dumps(item.to_dict()) + "\n" for item in recorded)
                self._record.write(lines)
                self._record.flush()
            self._changed.notify_all()
        return recorded

    def events(
        self,
        *,
        event: str | None = None,
        distinct_id: str | None = None,
        since: int = 0,
    ) -> list[RecordedEvent]:
        """Stored events, oldest first, filtered by name, distinct id and sequence number."""
        with self._changed:
            snapshot = list(self._events)
        return [item for item in snapshot if item.seq > since and item.matches(event, distinct_id)]

    def clear(self) -> None:
        """Forget every stored event (the record file, if any, is kept)."""
        with self._changed:
            self._events.clear()
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
                matching = [item for item in self._events if item.matches(event, distinct_id)]
                remaining = deadline - time.monotonic()
                if len(matching) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
        if len(matching) < count:
            wanted = "events" if event is None else f"{event!r} events"
            if distinct_id is not None:
                wanted += f" for distinct_id {distinct_id!r}"
            seen = sorted({item.event for item in self._events})
            raise TimeoutError(
                f"expected {count} {wanted} within {timeout:g}s, got {len(matching)}"
                f" (events stored: {seen or 'none'})"
            )
        return matching

    def close(self) -> None:
        """Close the record file, if one is open."""
        with self._changed:
            if self._record is not None:
                self._record.close()
                self._record = None
