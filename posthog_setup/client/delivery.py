"""Sending encoded events: size-capped batches, retries with backoff, 413 splitting.

A batch handed to a sender thread travels as an :class:`InFlight`: its sender settles it
piece by piece (in order, as 413 halves complete), unless shutdown's deadline passes first
and abandons what is left. Either way each event is counted once, as sent or as failed.
"""

from __future__ import annotations

import email.utils
import gzip as gzip_module
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._version import LIB_NAME, LIB_VERSION
from .events import now_iso
from .stats import Counters
from .transport import Transport, TransportResponse

logger = logging.getLogger("posthog_setup.client")

MAX_BATCH_BYTES = 5 * 1024 * 1024
"""A batch stops growing before its body passes this size (the official SDK's soft cap)."""

ErrorCallback = Callable[[Exception, list[dict[str, Any]]], None]
"""``on_error(error, batch)``: called with a :class:`DeliveryError` and the decoded events."""


class DeliveryError(Exception):
    """A batch was given up on: ``status`` is the last HTTP status, or None for a network error."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before repeating a request."""

    retry_count: int = 3
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    retry_after_cap: float = 30.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based).

        Exponential with "equal jitter" (between half and all of the step), and never
        shorter than the server's ``Retry-After`` (itself capped).
        """
        step = min(self.backoff_cap, self.backoff_base * 2.0**retry)
        wait = step / 2 + random.uniform(0, step / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        return wait


def is_retryable(status: int) -> bool:
    """Whether a non-200 status is worth repeating (5xx, 408, 429, and non-error oddities)."""
    if status in (408, 429):
        return True
    # Success is exactly 200; like the official SDK, a 201/204/3xx is repeated rather
    # than trusted, while any other 4xx means the request itself is wrong.
    return not 400 <= status < 500


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if seconds == seconds else None


def split_by_size(events: Sequence[bytes], limit: int = MAX_BATCH_BYTES) -> list[list[bytes]]:
    """Group encoded events, in order, into chunks whose joined size stays under ``limit``."""
    chunks: list[list[bytes]] = []
    current: list[bytes] = []
    # Room for the envelope: api key, sent_at and punctuation.
    size = 512
    for event in events:
        if current and size + len(event) + 1 > limit:
            chunks.append(current)
            current, size = [], 512
        current.append(event)
        size += len(event) + 1
    if current:
        chunks.append(current)
    return chunks


class InFlight:
    """One batch handed to a sender, settled once per event by the sender or by shutdown."""

    def __init__(self, events: list[bytes]) -> None:
        self.events = events
        self._settled = 0
        self._abandoned = False
        self._lock = threading.Lock()

    def settle(self, count: int) -> bool:
        """Claim the next ``count`` events for the sender; False once shutdown abandoned them."""
        with self._lock:
            if self._abandoned:
                return False
            self._settled += count
            return True

    def abandon(self) -> list[bytes]:
        """Take the events the sender has not settled yet; it settles nothing afterwards."""
        with self._lock:
            if self._abandoned:
                return []
            self._abandoned = True
            # 413 halves are sent one after the other, so what is settled is a prefix.
            rest = self.events[self._settled :]
            self._settled = len(self.events)
            return rest


class BatchSender:
    """Delivers lists of encoded events to ``{host}/batch/`` and keeps the counters."""

    def __init__(
        self,
        *,
        host: str,
        api_key: str,
        transport: Transport,
        timeout: float,
        gzip: bool,
        policy: RetryPolicy,
        counters: Counters,
        on_error: ErrorCallback | None,
        abort: threading.Event,
    ) -> None:
        self.url = host.rstrip("/") + "/batch/"
        self._key_prefix = b'{"api_key":' + json.dumps(api_key).encode() + b',"batch":['
        self._transport = transport
        self._timeout = timeout
        self._gzip = gzip
        self._policy = policy
        self._counters = counters
        self._on_error = on_error
        self._abort = abort
        self._headers = {
            "Content-Type": "application/json",
            "User-Agent": f"{LIB_NAME}/{LIB_VERSION}",
        }
        if gzip:
            self._headers["Content-Encoding"] = "gzip"

    def send(self, events: Sequence[bytes]) -> None:
        """Deliver ``events`` in as many size-capped batches as needed."""
        for chunk in split_by_size(events):
            self.deliver(InFlight(chunk))

    def deliver(self, batch: InFlight) -> None:
        """Deliver one batch (already under the size cap), retrying it as the policy says."""
        self._send_chunk(batch, batch.events)

    def abandon(self, events: list[bytes], why: str) -> None:
        """Count ``events`` as failed and report them to ``on_error`` (they were never delivered)."""
        if events:
            self._report_failure(
                events, DeliveryError(f"{len(events)} events not delivered: {why}")
            )

    def body(self, events: Sequence[bytes]) -> bytes:
        """Return the request body for ``events``, stamped with the current ``sent_at``."""
        raw = b"".join(
            (self._key_prefix, b",".join(events), b'],"sent_at":"', now_iso().encode(), b'"}')
        )
        return gzip_module.compress(raw, compresslevel=6, mtime=0) if self._gzip else raw

    def _send_chunk(self, batch: InFlight, events: list[bytes]) -> None:
        retry = 0
        while True:
            error: Exception | None = None
            response: TransportResponse | None = None
            try:
                response = self._transport.send(
                    self.url, self.body(events), self._headers, self._timeout
                )
            except Exception as exc:
                error = exc

            if response is not None and response.status == 200:
                if batch.settle(len(events)):
                    self._counters.add_sent(len(events))
                return
            if response is not None and response.status == 413 and len(events) > 1:
                # The server refused the size, not the content: halve and try again.
                middle = len(events) // 2
                self._send_chunk(batch, events[:middle])
                self._send_chunk(batch, events[middle:])
                return

            status = response.status if response is not None else None
            retryable = status is None or is_retryable(status)
            if not retryable or retry >= self._policy.retry_count:
                self._give_up(batch, events, status, error, retried=retryable)
                return
            retry_after = parse_retry_after(response.header("Retry-After")) if response else None
            wait = self._policy.delay(retry, retry_after)
            logger.debug("batch of %d got %s; retrying in %.3fs", len(events), status, wait)
            if self._abort.wait(wait):
                self._give_up(batch, events, status, error, retried=True, aborted=True)
                return
            self._counters.add_retried()
            retry += 1

    def _give_up(
        self,
        batch: InFlight,
        events: list[bytes],
        status: int | None,
        error: Exception | None,
        *,
        retried: bool,
        aborted: bool = False,
    ) -> None:
        if aborted:
            reason = "client shut down before the batch could be delivered"
        elif status is None:
            reason = f"network error: {error!r}"
        else:
            reason = f"server answered HTTP {status}"
        if retried and not aborted:
            reason += f" (after {self._policy.retry_count} retries)"
        failure = DeliveryError(f"{len(events)} events not delivered: {reason}", status)
        failure.__cause__ = error
        if batch.settle(len(events)):
            self._report_failure(events, failure)

    def _report_failure(self, events: list[bytes], failure: DeliveryError) -> None:
        logger.warning("%s", failure)
        if self._on_error is not None:
            try:
                decoded: list[dict[str, Any]] = json.loads(b"[" + b",".join(events) + b"]")
                self._on_error(failure, decoded)
            except Exception:
                logger.exception("on_error callback raised")
        # Counted after the callback, so a flush() that sees the count also sees its effects.
        self._counters.add_failed(len(events))
