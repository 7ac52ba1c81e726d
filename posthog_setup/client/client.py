"""The batching client: capture stamps and queues, a background thread sends."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import sys
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from time import time as wall_clock
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .delivery import BatchSender, ErrorCallback, RetryPolicy
from .events import (
    MAX_EVENT_BYTES,
    EventRecord,
    UuidSource,
    checked_uuid,
    encode_record,
    normalize_timestamp,
)
from .exception_list import build_exception_list
from .stats import ClientStats, Counters
from .transport import RequestsTransport, Transport

logger = logging.getLogger("posthog_setup.client")

DEFAULT_HOST = "https://us.i.posthog.com"

Timestamp = dt.datetime | dt.date | str


class QueueFullError(RuntimeError):
    """Raised (only with ``debug=True``) when an event is dropped because the queue is full."""


class Client:
    """Queue events in memory and deliver them to PostHog in batches from a background thread.

    ``capture`` never waits on the network: it validates, stamps a uuid and a timestamp,
    and appends to a bounded queue. A daemon thread sends a batch of up to ``flush_at``
    events when that many are queued, when ``flush_interval`` seconds pass, or on
    :meth:`flush`. With ``flush_at=0`` or ``flush_interval=0`` (serverless mode) there is
    no thread: each call sends at once from the caller, with retries.

    Arguments beyond those of PostHog's other libraries:

    - ``max_queue_size``: events held in memory; when full, new events are dropped.
    - ``retry_count`` / ``backoff_base``: repeats after the first attempt, and the first
      backoff step in seconds (doubled per retry, jittered, capped at 30 s).
    - ``on_error(error, batch)``: called with a :class:`DeliveryError` and the decoded
      events of a batch that was given up on.
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
    ) -> None:
        if flush_at < 0 or flush_interval < 0 or retry_count < 0 or max_queue_size < 1:
            raise ValueError(
                "flush_at, flush_interval and retry_count must not be negative, "
                "and max_queue_size must be positive"
            )
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
        self.disabled = disabled
        self.debug = debug
        self.serverless = flush_at == 0 or flush_interval == 0
        self._exit_timeout = exit_timeout
        self._transport: Transport = transport if transport is not None else RequestsTransport()
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
        self._queue: deque[EventRecord] = deque()
        self._wake = threading.Event()
        self._abort = threading.Event()
        self._start_lock = threading.Lock()
        self._settled_cond = threading.Condition()
        self._settled = 0
        self._flush_generation = 0
        self._closing = False
        self._worker: threading.Thread | None = None
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
            if properties is None or type(properties) is dict:
                owned = properties.copy() if properties else None
            elif isinstance(properties, Mapping):
                owned = dict(properties)
            else:
                raise TypeError("properties must be a mapping")
            record = EventRecord(
                event,
                person_id,
                owned,
                wall_clock() if timestamp is None else self._caller_timestamp(timestamp),
                event_id,
                person_set,
            )
        except Exception as failure:
            return self._reject(event_id, failure)

        if self.serverless:
            return self._send_now(record)

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
                queue.append(record)
                counters.captured += 1
            else:
                accepted = False
                counters.dropped += 1
        if not accepted:
            return self._refused(record)
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

    def _refused(self, record: EventRecord) -> str:
        if self._closed:
            failure: Exception = RuntimeError("client is shut down")
        else:
            failure = QueueFullError(f"queue is full ({self.max_queue_size} events)")
        if self.debug:
            raise failure
        # One warning per episode, not one per dropped event.
        if not self._warned_full:
            self._warned_full = True
            logger.warning("event %r dropped: %s", record.event, failure)
        return record.uuid

    def _send_now(self, record: EventRecord) -> str:
        with self._counters.lock:
            if self._closed:
                self._counters.dropped += 1
                closed = True
            else:
                self._counters.captured += 1
                closed = False
        if closed:
            return self._refused(record)
        try:
            self._send_records([record])
        except Exception:
            if self.debug:
                raise
            logger.exception("sending failed")
        return record.uuid

    # -- sending ----------------------------------------------------------------------

    def _send_records(self, records: list[EventRecord]) -> None:
        encoded: list[bytes] = []
        for record in records:
            try:
                body = encode_record(record)
            except Exception:
                logger.exception("event %r dropped: not serialisable", record.event)
                self._counters.add_dropped()
                continue
            if len(body) > MAX_EVENT_BYTES:
                logger.warning(
                    "event %r dropped: %d bytes of JSON (limit %d)",
                    record.event,
                    len(body),
                    MAX_EVENT_BYTES,
                )
                self._counters.add_dropped()
                continue
            encoded.append(body)
        if encoded:
            self._sender.send(encoded)

    def _start_worker(self) -> None:
        with self._start_lock:
            if self._worker is not None or self._closed:
                return
            worker = threading.Thread(target=self._run, name="posthog-setup-client", daemon=True)
            worker.start()
            self._worker = worker

    def _run(self) -> None:
        seen_generation = self._flush_generation
        while True:
            woke = self._wake.wait(self.flush_interval)
            self._wake.clear()
            generation = self._flush_generation
            drain_all = not woke or generation != seen_generation or self._closing
            seen_generation = generation
            try:
                self._drain(drain_all)
            except Exception:
                logger.exception("sender thread error")
            if self._closing and not self._queue:
                return

    def _drain(self, drain_all: bool) -> None:
        queue = self._queue
        size = self.flush_at
        while queue and (drain_all or len(queue) >= size):
            if self._abort.is_set():
                self._abandon_queue()
                return
            batch = [queue.popleft() for _ in range(min(size, len(queue)))]
            try:
                self._send_records(batch)
            except Exception:
                logger.exception("batch of %d events lost", len(batch))
                self._counters.add_failed(len(batch))
            self._settle(len(batch))
        self._warned_full = False

    def _abandon_queue(self) -> None:
        abandoned = 0
        while self._queue:
            self._queue.popleft()
            abandoned += 1
        if abandoned:
            logger.warning("%d queued events abandoned at shutdown", abandoned)
            self._counters.add_failed(abandoned)
            self._settle(abandoned)

    def _settle(self, count: int) -> None:
        with self._settled_cond:
            self._settled += count
            self._settled_cond.notify_all()

    def _flush(self, timeout: float | None) -> bool:
        if self.disabled or self.serverless or self._worker is None:
            return True
        if threading.current_thread() is self._worker:
            # Called from on_error: the sender cannot wait for itself.
            return False
        with self._counters.lock:
            target = self._counters.captured
        self._flush_generation += 1
        self._wake.set()
        with self._settled_cond:
            return self._settled_cond.wait_for(lambda: self._settled >= target, timeout)

    def _shutdown(self, timeout: float | None) -> bool:
        with self._counters.lock:
            already_closed = self._closed
            self._closed = True
        if already_closed:
            return not self._queue
        atexit.unregister(self._exit_hook)
        worker = self._worker
        drained = True
        if worker is threading.current_thread():
            # Called from on_error: the sender stops once its queue is empty.
            self._closing = True
            return False
        if worker is not None:
            self._closing = True
            self._wake.set()
            worker.join(timeout)
            if worker.is_alive():
                # Out of time: stop retrying and count what is left as failed.
                self._abort.set()
                worker.join(1.0)
                drained = False
        if self._owns_transport and isinstance(self._transport, RequestsTransport):
            self._transport.close()
        return drained


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
