"""The batching client: capture stamps and queues, a background thread sends."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue as queue_module
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from time import time as wall_clock
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .delivery import MAX_BATCH_BYTES, BatchSender, ErrorCallback, InFlight, RetryPolicy
from .events import (
    MAX_EVENT_BYTES,
    UuidSource,
    checked_uuid,
    encode_event,
    format_epoch,
    normalize_timestamp,
)
from .exception_list import build_exception_list
from .stats import ClientStats, Counters
from .transport import RequestsTransport, Transport

logger = logging.getLogger("posthog_setup.client")

DEFAULT_HOST = "https://us.i.posthog.com"

# Room in a batch body for the envelope: api key, sent_at and punctuation.
_ENVELOPE_BYTES = 512

# How long shutdown waits, after its deadline, for requests already on the wire.
_ABORT_GRACE = 1.0

Timestamp = dt.datetime | dt.date | str


class QueueFullError(RuntimeError):
    """Raised (only with ``debug=True``) when an event is dropped because the queue is full."""


class Client:
    """Queue events in memory and deliver them to PostHog in batches from a background thread.

    ``capture`` never waits on the network: it validates, stamps a uuid and a timestamp,
    encodes the event to JSON and appends it to a bounded queue. A daemon thread starts
    a batch when ``flush_at`` events are queued, when ``flush_interval`` seconds pass, or
    on :meth:`flush`; the batch takes everything queued by then, up to the 5 MiB body
    cap, so a slow network makes batches larger rather than the queue longer. Up to
    ``max_in_flight`` batches are on the wire at once, each retried on its own with the
    same uuids. With ``flush_at=0`` or ``flush_interval=0`` (serverless mode) there is no
    thread: each call sends at once from the caller, with retries.

    Arguments beyond those of PostHog's other libraries:

    - ``max_queue_size``: events held in memory; when full, new events are dropped.
    - ``max_in_flight``: concurrent requests (one connection each).
    - ``retry_count`` / ``backoff_base``: repeats after the first attempt, and the first
      backoff step in seconds (doubled per retry, jittered, capped at 30 s).
    - ``on_error(error, batch)``: called with a :class:`DeliveryError` and the decoded
      events of a batch that was given up on, including events still queued or in
      flight when :meth:`shutdown`'s deadline passes.
    - ``debug``: raise invalid-input and queue-full errors instead of logging them.
    - ``transport``: anything with the :class:`Transport` ``send`` method.
    - ``exit_timeout``: how long the interpreter-exit flush may take.

    A missing ``api_key`` or a ``host`` without a scheme disables the client with a
    warning (they typically come from the environment); with ``debug`` they raise.
    """

    def __init__(
        self,
        api_key: str,
        host: str = DEFAULT_HOST,
        flush_at: int = 20,
        flush_interval: float = 10.0,
        retry_count: int = 3,
        max_queue_size: int = 10_000,
        gzip: bool = False,
        timeout: float = 10.0,
        on_error: ErrorCallback | None = None,
        disabled: bool = False,
        debug: bool = False,
        transport: Transport | None = None,
        backoff_base: float = 1.0,
        exit_timeout: float = 2.0,
        max_in_flight: int = 4,
    ) -> None:
        if flush_at < 0 or flush_interval < 0 or retry_count < 0:
            raise ValueError("flush_at, flush_interval and retry_count must not be negative")
        if max_queue_size < 1 or max_in_flight < 1:
            raise ValueError("max_queue_size and max_in_flight must be positive")
        # The key and host usually come from the environment of the host application;
        # a missing one must not take the application down, so it disables the client.
        problem = None
        if not isinstance(api_key, str) or not api_key.strip():
            problem = "api_key is empty"
        elif not isinstance(host, str) or not host.startswith(("http://", "https://")):
            problem = f"host must be an http(s) URL, not {host!r}"
        if problem is not None and not disabled:
            if debug:
                raise ValueError(problem)
            logger.warning("PostHog client disabled: %s", problem)
            disabled = True
            host = DEFAULT_HOST
        self.api_key = api_key
        self.host = host.rstrip("/")
        self.flush_at = flush_at
        self.flush_interval = flush_interval
        self.max_queue_size = max_queue_size
        self.max_in_flight = max_in_flight
        self.disabled = disabled
        self.debug = debug
        self.serverless = flush_at == 0 or flush_interval == 0
        self._exit_timeout = exit_timeout
        self._transport: Transport = (
            transport if transport is not None else RequestsTransport(pool_size=max_in_flight)
        )
        self._owns_transport = transport is None
        self._sender_options: dict[str, Any] = {
            "host": self.host,
            "api_key": api_key,
            "transport": self._transport,
            "timeout": timeout,
            "gzip": gzip,
            "policy": RetryPolicy(retry_count=retry_count, backoff_base=backoff_base),
            "on_error": on_error,
        }
        self._uuids = UuidSource()
        self._closed = False
        self._warned_full = False
        self._reset_process_state()

        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork_in_child(ref))
        self._exit_hook: Callable[[], None] = lambda: _flush_at_exit(ref)
        if not self.disabled and not self.serverless:
            atexit.register(self._exit_hook)

    def _reset_process_state(self) -> None:
        # Everything a forked child must not inherit: queue, locks, thread, counters.
        self._counters = Counters()
        # Encoded events (compact JSON), oldest first.
        self._queue: deque[bytes] = deque()
        self._wake = threading.Event()
        self._abort = threading.Event()
        self._start_lock = threading.Lock()
        self._flush_generation = 0
        self._closing = False
        self._worker: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        # Batches handed to sender threads and not yet done with.
        self._flights = threading.Condition()
        self._in_flight: set[InFlight] = set()
        self._jobs: queue_module.SimpleQueue[InFlight | None] = queue_module.SimpleQueue()
        self._sender = BatchSender(
            counters=self._counters, abort=self._abort, **self._sender_options
        )

    # -- public API ------------------------------------------------------------------

    def capture(
        self,
        distinct_id: object,
        event: str,
        properties: Mapping[str, Any] | None = None,
        timestamp: Timestamp | None = None,
        uuid: object = None,
    ) -> str:
        """Queue ``event`` for ``distinct_id`` and return the event's uuid."""
        return self._submit(distinct_id, event, properties, timestamp, uuid)

    def identify(
        self,
        distinct_id: object,
        properties: Mapping[str, Any] | None = None,
        timestamp: Timestamp | None = None,
        uuid: object = None,
    ) -> str:
        """Send ``$identify``, setting ``properties`` on the person (``$set``)."""
        person = dict(properties) if properties else {}
        return self._submit(
            distinct_id, "$identify", {"$set": person}, timestamp, uuid, person_set=person
        )

    def alias(
        self,
        distinct_id: object,
        alias: object,
        timestamp: Timestamp | None = None,
        uuid: object = None,
    ) -> str:
        """Send ``$create_alias``: ``alias`` becomes another id of ``distinct_id``'s person."""
        alias_id = "" if alias is None else str(alias)
        if not alias_id.strip():
            return self._reject(None, ValueError("alias must be a non-blank id"))
        properties = {"distinct_id": str(distinct_id), "alias": alias_id}
        return self._submit(distinct_id, "$create_alias", properties, timestamp, uuid)

    def page(
        self,
        distinct_id: object,
        url: str,
        properties: Mapping[str, Any] | None = None,
        timestamp: Timestamp | None = None,
        uuid: object = None,
    ) -> str:
        """Send a ``$pageview`` of ``url`` (as ``$current_url``, ``$host``, ``$pathname``)."""
        page_properties: dict[str, Any] = dict(properties) if properties else {}
        page_properties["$current_url"] = url
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is not None and parts.netloc:
            page_properties.setdefault("$host", parts.netloc)
        if parts is not None:
            page_properties.setdefault("$pathname", parts.path or "/")
        return self._submit(distinct_id, "$pageview", page_properties, timestamp, uuid)

    def capture_exception(
        self,
        exc: BaseException | None = None,
        distinct_id: object = None,
        properties: Mapping[str, Any] | None = None,
        timestamp: Timestamp | None = None,
        uuid: object = None,
    ) -> str:
        """Send ``$exception`` describing ``exc`` (default: the one being handled).

        Without a ``distinct_id`` the event is anonymous (a random id and
        ``$process_person_profile: false``), as in the official SDK.
        """
        try:
            error = exc if exc is not None else sys.exc_info()[1]
            if error is None:
                raise ValueError("capture_exception() needs an exception")
            exception_properties: dict[str, Any] = {
                "$exception_list": build_exception_list(error),
                "$exception_level": "error",
            }
        except Exception as failure:
            return self._reject(None, failure)
        if distinct_id is None:
            distinct_id = self._uuids.new()
            exception_properties["$process_person_profile"] = False
        if properties:
            exception_properties.update(properties)
        return self._submit(distinct_id, "$exception", exception_properties, timestamp, uuid)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Send everything queued so far; True if it was all settled within ``timeout``."""
        try:
            return self._flush(timeout)
        except Exception:
            if self.debug:
                raise
            logger.exception("flush failed")
            return False

    def shutdown(self, timeout: float | None = 10.0) -> bool:
        """Flush, stop the background thread and refuse further events.

        Returns False if the queue could not be drained within ``timeout``; what is
        left is then counted as failed.
        """
        try:
            return self._shutdown(timeout)
        except Exception:
            if self.debug:
                raise
            logger.exception("shutdown failed")
            return False

    @property
    def stats(self) -> ClientStats:
        """A frozen snapshot of the counters."""
        return self._counters.snapshot()

    @property
    def queue_length(self) -> int:
        """The number of events waiting in the queue."""
        return len(self._queue)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    # -- capture path -----------------------------------------------------------------

    def _submit(
        self,
        distinct_id: object,
        event: str,
        properties: Mapping[str, Any] | None,
        timestamp: Timestamp | None,
        uuid: object,
        person_set: Mapping[str, Any] | None = None,
    ) -> str:
        # The hot path: keep it to validation, stamping and one append under a lock.
        try:
            event_id = self._uuids.new() if uuid is None else self._caller_uuid(uuid)
        except Exception as failure:
            return self._reject(None, failure)
        if self.disabled:
            return event_id
        try:
            if type(distinct_id) is str:
                person_id = distinct_id
            else:
                person_id = "" if distinct_id is None else str(distinct_id)
            if not person_id.strip():
                raise ValueError("distinct_id must be a non-blank id")
            if type(event) is not str or not event:
                raise ValueError("event must be a non-empty string")
            if properties is not None and not isinstance(properties, Mapping):
                raise TypeError("properties must be a mapping")
            encoded = encode_event(
                event,
                person_id,
                properties,
                format_epoch(wall_clock())
                if timestamp is None
                else self._caller_timestamp(timestamp),
                event_id,
                person_set,
            )
            if len(encoded) > MAX_EVENT_BYTES:
                raise ValueError(
                    f"event {event!r} is {len(encoded)} bytes of JSON (limit {MAX_EVENT_BYTES})"
                )
        except Exception as failure:
            return self._reject(event_id, failure)

        if self.serverless:
            return self._send_now(event, event_id, encoded)

        if self._worker is None:
            self._start_worker()
        queue = self._queue
        counters = self._counters
        with counters.lock:
            if self._closed:
                accepted = False
                counters.dropped += 1
            elif len(queue) < self.max_queue_size:
                accepted = True
                queue.append(encoded)
                counters.captured += 1
            else:
                accepted = False
                counters.dropped += 1
        if not accepted:
            return self._refused(event, event_id)
        # Waking the sender costs a lock; do it only once per threshold crossing.
        if len(queue) >= self.flush_at and not self._wake.is_set():
            self._wake.set()
        return event_id

    def _caller_uuid(self, value: object) -> str:
        try:
            return checked_uuid(value)
        except ValueError:
            if self.debug:
                raise
            # Ingestion rejects a whole batch for one malformed uuid; replace it.
            logger.warning("invalid uuid %r replaced with a new one", value)
            return self._uuids.new()

    def _caller_timestamp(self, value: Timestamp) -> str:
        try:
            return normalize_timestamp(value)
        except (TypeError, ValueError):
            if self.debug:
                raise
            logger.warning("invalid timestamp %r; using the current time", value)
            return normalize_timestamp(dt.datetime.now(dt.timezone.utc))

    def _reject(self, event_id: str | None, failure: Exception) -> str:
        if not self.disabled:
            self._counters.add_dropped()
        if self.debug:
            raise failure
        logger.warning("event dropped: %s", failure)
        return event_id if event_id is not None else self._uuids.new()

    def _refused(self, event: str, event_id: str) -> str:
        if self._closed:
            failure: Exception = RuntimeError("client is shut down")
        else:
            failure = QueueFullError(f"queue is full ({self.max_queue_size} events)")
        if self.debug:
            raise failure
        # One warning per episode, not one per dropped event.
        if not self._warned_full:
            self._warned_full = True
            logger.warning("event %r dropped: %s", event, failure)
        return event_id

    def _send_now(self, event: str, event_id: str, encoded: bytes) -> str:
        with self._counters.lock:
            if self._closed:
                self._counters.dropped += 1
                closed = True
            else:
                self._counters.captured += 1
                closed = False
        if closed:
            return self._refused(event, event_id)
        batch = InFlight([encoded])
        try:
            self._sender.deliver(batch)
        except Exception:
            if self.debug:
                raise
            logger.exception("sending failed")
            self._sender.abandon(batch.abandon(), "the transport raised")
        return event_id

    # -- sending ----------------------------------------------------------------------

    def _start_worker(self) -> None:
        with self._start_lock:
            if self._worker is not None or self._closed:
                return
            # All senders start now: idle ones cost nothing, and a fixed set keeps the
            # hand-off to them a plain queue.
            senders = [
                threading.Thread(
                    target=self._send_batches, name=f"posthog-setup-sender-{n}", daemon=True
                )
                for n in range(self.max_in_flight)
            ]
            worker = threading.Thread(target=self._run, name="posthog-setup-client", daemon=True)
            self._threads = [worker, *senders]
            for thread in self._threads:
                thread.start()
            self._worker = worker

    def _run(self) -> None:
        seen_generation = self._flush_generation
        try:
            while not self._abort.is_set():
                woke = self._wake.wait(self.flush_interval)
                self._wake.clear()
                generation = self._flush_generation
                drain_all = not woke or generation != seen_generation or self._closing
                seen_generation = generation
                try:
                    self._dispatch(drain_all)
                except Exception:
                    logger.exception("sender thread error")
                if self._closing and not self._queue:
                    return
        finally:
            for _ in range(self.max_in_flight):
                self._jobs.put(None)

    def _dispatch(self, drain_all: bool) -> None:
        """Hand batches to the senders while ``flush_at`` events (or any, when draining) wait."""
        queue = self._queue
        while queue and (drain_all or len(queue) >= self.flush_at):
            if not self._wait_for_free_sender():
                return
            # Taken only once a sender is free: while all are busy the backlog grows, and
            # the next batch carries all of it (up to the size cap) in one request.
            events: list[bytes] = []
            size = _ENVELOPE_BYTES
            while queue and (not events or size + len(queue[0]) + 1 <= MAX_BATCH_BYTES):
                event = queue.popleft()
                events.append(event)
                size += len(event) + 1
            batch = InFlight(events)
            with self._flights:
                self._in_flight.add(batch)
            self._jobs.put(batch)
        self._warned_full = False

    def _wait_for_free_sender(self) -> bool:
        with self._flights:
            while len(self._in_flight) >= self.max_in_flight:
                if self._abort.is_set():
                    return False
                self._flights.wait(0.1)
        return not self._abort.is_set()

    def _send_batches(self) -> None:
        while True:
            batch = self._jobs.get()
            if batch is None:
                return
            try:
                # After shutdown's deadline nothing new goes on the wire; shutdown
                # accounts for the batch.
                if not self._abort.is_set():
                    self._sender.deliver(batch)
            except Exception:
                logger.exception("batch of %d events lost", len(batch.events))
                self._sender.abandon(batch.abandon(), "the transport raised")
            with self._flights:
                self._in_flight.discard(batch)
                self._flights.notify_all()

    def _abandon_remaining(self) -> None:
        """Count what is still queued or unanswered as failed, and report it to ``on_error``."""
        queued: list[bytes] = []
        with self._counters.lock:
            while self._queue:
                queued.append(self._queue.popleft())
        with self._flights:
            flying = list(self._in_flight)
        unsent = [event for batch in flying for event in batch.abandon()]
        if queued:
            logger.warning("%d queued events abandoned at shutdown", len(queued))
            self._sender.abandon(queued, "client shut down before they were sent")
        if unsent:
            self._sender.abandon(
                unsent, "client shut down before the server answered (delivery unknown)"
            )

    def _flush(self, timeout: float | None) -> bool:
        if self.disabled or self.serverless or self._worker is None:
            return True
        if threading.current_thread() in self._threads:
            # Called from on_error: a sender cannot wait for itself.
            return False
        with self._counters.lock:
            target = self._counters.captured
        self._flush_generation += 1
        self._wake.set()
        return self._counters.wait_settled(target, timeout)

    def _shutdown(self, timeout: float | None) -> bool:
        with self._counters.lock:
            already_closed = self._closed
            self._closed = True
        if already_closed:
            return not self._queue
        atexit.unregister(self._exit_hook)
        worker = self._worker
        drained = True
        if threading.current_thread() in self._threads:
            # Called from on_error: the threads stop once the queue is empty.
            self._closing = True
            self._wake.set()
            return False
        if worker is not None:
            self._closing = True
            self._wake.set()
            deadline = None if timeout is None else time.monotonic() + timeout
            worker.join(timeout)
            drained = not worker.is_alive() and self._wait_landed(deadline)
            if not drained:
                # Out of time: stop retrying, give requests on the wire a moment, and
                # count whatever is left as failed.
                self._abort.set()
                with self._flights:
                    self._flights.notify_all()
                grace = time.monotonic() + _ABORT_GRACE
                worker.join(_ABORT_GRACE)
                self._wait_landed(grace)
                self._abandon_remaining()
        if self._owns_transport and isinstance(self._transport, RequestsTransport):
            self._transport.close()
        return drained

    def _wait_landed(self, deadline: float | None) -> bool:
        """Wait until no batch is in flight; False if ``deadline`` passes first."""
        with self._flights:
            while self._in_flight:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._flights.wait(remaining)
        return True


def _after_fork_in_child(ref: weakref.ref[Client]) -> None:
    client = ref()
    if client is None:
        return
    # The parent's queued events stay the parent's to send; the child starts empty,
    # with fresh locks (another thread may have held them at fork) and no thread.
    client._reset_process_state()
    client._uuids.discard()


def _flush_at_exit(ref: weakref.ref[Client]) -> None:
    client = ref()
    if client is not None:
        client.shutdown(client._exit_timeout)
