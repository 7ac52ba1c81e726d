"""The HTTP server of the mock host, and :class:`MockPostHogHost` to run it from code or tests.

Routing, request bodies and status codes follow PostHog's capture service. The server is a
``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive: one daemon thread per connection, so
a slow or stalled client never holds up the others.
"""

from __future__ import annotations

import contextlib
import errno
import json
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from posthog_setup.mockhost.faults import Fault, FaultQueue
from posthog_setup.mockhost.ingest import (
    BATCH_BODY_LIMIT,
    EVENT_BODY_LIMIT,
    IngestError,
    body_read_timeout,
    parse_request,
    payload_too_large,
)
from posthog_setup.mockhost.page import LIVE_PAGE_HTML
from posthog_setup.mockhost.store import (
    DEFAULT_MAX_EVENTS,
    EventStore,
    RecordedEvent,
    Rejection,
    RejectionListener,
    RejectionLog,
)

DEFAULT_BODY_TIMEOUT = 10.0
"""Seconds a client may take to send a request body before it is answered 408."""

DEFAULT_IDLE_TIMEOUT = 60.0
"""Seconds a keep-alive connection may sit idle before the server closes it."""

DEFAULT_HEADER_TIMEOUT = 10.0
"""Seconds a client may take, from the first byte of a request, to send its request line and
headers; a client trickling them (slowloris) is disconnected."""

# How long the accept loop pauses when the process is out of file descriptors. The pending
# connection stays queued and the listening socket readable, so without a pause the loop
# would retry accept() at once, forever, on a full core.
_ACCEPT_BACKOFF = 0.1
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# How often the serve loop looks for connections past their header deadline.
_DEADLINE_SCAN_INTERVAL = 0.25
# How long the background serve loop waits on the socket before it looks whether it is to
# stop: stopping waits up to this long, and every full run and conclude stops a host once
# (at 0.1 s, 10 to 50 ms of a one-second run went by waiting for it).
_BACKGROUND_POLL = 0.01

# Bytes of an oversized body read and thrown away before closing, so that a client which
# writes its whole body before reading (as `requests` does) sees the 413 instead of a reset.
_DRAIN_LIMIT = 64 * 1024 * 1024
_DRAIN_SECONDS = 5.0
_READ_CHUNK = 256 * 1024

INGEST_ROUTES: dict[str, int] = {
    path: limit
    for base, limit in (
        ("/batch", BATCH_BODY_LIMIT),
        ("/e", EVENT_BODY_LIMIT),
        ("/i/v0/e", EVENT_BODY_LIMIT),
        ("/capture", EVENT_BODY_LIMIT),
        ("/track", EVENT_BODY_LIMIT),
        ("/engage", EVENT_BODY_LIMIT),
    )
    for path in (base, base + "/")
}
"""Ingestion paths (with and without the trailing slash) and their body size limits."""

FLAGS_ROUTES = frozenset({"/flags", "/flags/", "/decide", "/decide/"})
DEFINITIONS_ROUTES = frozenset(
    {
        "/flags/definitions",
        "/flags/definitions/",
        "/api/feature_flag/local_evaluation",
        "/api/feature_flag/local_evaluation/",
    }
)
CORS_ROUTES = frozenset(INGEST_ROUTES) | FLAGS_ROUTES
"""Routes that answer browsers on other origins: posthog-js posts events and asks for flags
from the app's own origin. The control endpoints and the live page never do."""

CONTROL_PREFIX = "/_mock/"
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

_REASONS = {status.value: status.phrase for status in HTTPStatus}
_OK_BODY = b'{"status": 1}'
_DEFINITIONS_BODY = json.dumps({"flags": [], "group_type_mapping": {}, "cohorts": {}}).encode()
_PAGE_BODY = LIVE_PAGE_HTML.encode()
_CORS_HEADERS = (
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
    "Access-Control-Allow-Headers: *\r\n"
    "Access-Control-Max-Age: 86400\r\n"
)


def _no_flags_body() -> bytes:
    # The v4 shape read by posthog-python 7.x and posthog-node, plus the legacy keys that
    # older SDKs (the /decide era) read instead. No flags, and no errors computing them.
    return json.dumps(
        {
            "flags": {},
            "errorsWhileComputingFlags": False,
            "requestId": str(uuid.uuid4()),
            "featureFlags": {},
            "featureFlagPayloads": {},
        }
    ).encode()


def _host_name(host_header: str) -> str:
    """The name in a ``Host`` header, without the port or an IPv6 address's brackets."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.partition(":")[0]


class _ClientGone(Exception):
    """The client closed the connection in the middle of its body."""


class MockHostHandler(BaseHTTPRequestHandler):
    """Handles one connection; requests on it are served in turn (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "PostHogMockHost/1"
    server: MockHostServer
    # Bytes of a refused body still to be drained after the refusal is sent.
    _unread_body = 0

    def setup(self) -> None:
        """Apply the idle timeout and disable Nagle's algorithm for small, quick replies."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track_connection(self.connection)

    def handle_one_request(self) -> None:
        """Wait for a request under the idle timeout, then bound the time to its headers."""
        try:
            if not self.rfile.peek(1):  # type: ignore[attr-defined]
                self.close_connection = True
                return
        except OSError:
            self.close_connection = True
            return
        # The socket timeout applies per read, so a client sending one byte at a time
        # would never trip it; the server closes the connection at this deadline instead.
        self.server.set_header_deadline(
            self.connection, time.monotonic() + self.server.header_timeout
        )
        try:
            super().handle_one_request()
        finally:
            self.server.set_header_deadline(self.connection, None)

    def parse_request(self) -> bool:
        """Parse the request line and headers; the header deadline ends with them."""
        try:
            return super().parse_request()
        finally:
            self.server.set_header_deadline(self.connection, None)

    def finish(self) -> None:
        """Forget the connection once it ends."""
        self.server.forget_connection(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet unless asked (``mock-host -v``): the live page shows what arrived."""
        if getattr(self.server, "log_requests", False):
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    # -- responses ----------------------------------------------------------------------

    def _respond(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
        close: bool = False,
    ) -> None:
        # One write per response: the status line, headers and body leave in a single segment.
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
        )
        if self.path.partition("?")[0] in CORS_ROUTES:
            head += _CORS_HEADERS
        for name, value in headers:
            head += f"{name}: {value}\r\n"
        if close or self.close_connection:
            head += "Connection: close\r\n"
            self.close_connection = True
        # Logged before the answer leaves: a client that stops the host as soon as it has
        # its answer must still find the request in the log.
        self.log_request(status, len(body))
        self.wfile.write((head + "\r\n").encode("latin-1") + body)

    def _respond_error(self, error: IngestError, *, close: bool = False, log: bool = False) -> None:
        if log:
            self._log_rejection(error)
        self._respond(error.status, error.to_body(), close=close)
        if self._unread_body:
            self._linger(self._unread_body)
            self._unread_body = 0

    def _respond_json(self, status: int, data: Any) -> None:
        self._respond(status, json.dumps(data).encode())

    # -- request bodies -----------------------------------------------------------------

    def _read_body(self, limit: int) -> bytes:
        """Read the request body within the body timeout; refuse bodies over ``limit``."""
        deadline = time.monotonic() + self.server.body_timeout
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit, deadline)
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise IngestError(400, "request_decoding_error", "invalid Content-Length header")
        if length > limit:
            # Answered at once; the body is drained after the answer (see _respond_error).
            self._unread_body = length
            raise payload_too_large(limit)
        return self._read_exact(length, deadline)

    def _set_deadline(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.connection.settimeout(remaining)

    def _read_exact(self, length: int, deadline: float) -> bytes:
        if length == 0:
            return b""
        pieces: list[bytes] = []
        remaining = length
        try:
            while remaining:
                self._set_deadline(deadline)
                piece = self.rfile.read1(min(remaining, _READ_CHUNK))
                if not piece:
                    raise _ClientGone
                pieces.append(piece)
                remaining -= len(piece)
        finally:
            self.connection.settimeout(self.server.idle_timeout)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _read_chunked(self, limit: int, deadline: float) -> bytes:
        pieces: list[bytes] = []
        size = 0
        try:
            while True:
                self._set_deadline(deadline)
                line = self.rfile.readline(1024)
                if not line.endswith(b"\n"):
                    raise _ClientGone
                try:
                    chunk_size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    raise IngestError(
                        400, "request_decoding_error", "invalid chunked encoding"
                    ) from None
                if chunk_size == 0:
                    # Trailer fields, if any, end with an empty line.
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                size += chunk_size
                if size > limit:
                    self.close_connection = True
                    raise payload_too_large(limit)
                pieces.append(self._read_exact(chunk_size, deadline))
                self._set_deadline(deadline)
                self.rfile.readline(16)
        finally:
            self.connection.settimeout(self.server.idle_timeout)
        return b"".join(pieces)

    def _linger(self, length: int) -> None:
        """Discard an oversized body (up to a bound) so the client can read the refusal.

        Closing a socket with unread input makes the kernel send a reset, which can destroy
        the 413 before a client that is still writing gets to read it.
        """
        self.close_connection = True
        if length > _DRAIN_LIMIT:
            return
        deadline = time.monotonic() + _DRAIN_SECONDS
        remaining = length
        try:
            while remaining:
                self._set_deadline(deadline)
                piece = self.rfile.read1(min(remaining, _READ_CHUNK))
                if not piece:
                    return
                remaining -= len(piece)
        except OSError:
            return
        finally:
            self.connection.settimeout(self.server.idle_timeout)

    def handle_expect_100(self) -> bool:
        """Skip ``100 Continue`` for a body that is going to be refused as too large."""
        limit = INGEST_ROUTES.get(self.path.partition("?")[0])
        declared = self.headers.get("Content-Length", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            return True
        return super().handle_expect_100()

    # -- routing --------------------------------------------------------------------------

    def _serve_capture(self, path: str, query: str) -> bool:
        """Answer ingestion and flags, alike on GET and POST; False if ``path`` is neither."""
        limit = INGEST_ROUTES.get(path)
        if limit is not None:
            self._ingest(path, query, limit)
        elif path in FLAGS_ROUTES:
            self._answer_after_body(_no_flags_body())
        elif path in DEFINITIONS_ROUTES:
            self._answer_after_body(_DEFINITIONS_BODY)
        else:
            return False
        return True

    def do_POST(self) -> None:
        """Ingestion, flags and the control endpoints."""
        path, _, query = self.path.partition("?")
        if self._serve_capture(path, query):
            return
        if path.startswith(CONTROL_PREFIX) and not self._control_allowed():
            self._refuse_control(read_body=True)
        elif path == "/_mock/faults":
            self._add_faults()
        else:
            self._not_found(read_body=True)

    def do_GET(self) -> None:
        """The live page, stored events, GET ingestion (``?data=``) and flags."""
        path, _, query = self.path.partition("?")
        if self._serve_capture(path, query):
            return
        if path.startswith(CONTROL_PREFIX) and not self._control_allowed():
            self._refuse_control(read_body=False)
        elif path in ("/", "/index.html"):
            self._respond(
                200,
                _PAGE_BODY,
                content_type="text/html; charset=utf-8",
                headers=[("Cache-Control", "no-store")],
            )
        elif path == "/_mock/events":
            self._list_events(query)
        elif path == "/_mock/rejected":
            self._list_rejections(query)
        elif path == "/_mock/faults":
            self._respond_json(200, {"faults": [f.to_json() for f in self.server.faults.pending()]})
        else:
            self._not_found(read_body=False)

    def do_DELETE(self) -> None:
        """Clear stored events or pending faults."""
        path = self.path.partition("?")[0]
        if path.startswith(CONTROL_PREFIX) and not self._control_allowed():
            self._refuse_control(read_body=True)
        elif path == "/_mock/events":
            self.server.store.clear()
            self._respond_json(200, {"cleared": True})
        elif path == "/_mock/rejected":
            self.server.rejections.clear()
            self._respond_json(200, {"cleared": True})
        elif path == "/_mock/faults":
            self.server.faults.clear()
            self._respond_json(200, {"cleared": True})
        else:
            self._not_found(read_body=True)

    def do_OPTIONS(self) -> None:
        """CORS preflight: browsers ask before posting JSON from another origin."""
        if self.path.partition("?")[0] in CORS_ROUTES:
            self._respond(200, b"", content_type="text/plain")
        else:
            # No CORS headers: a page on another origin may not call anything else.
            self._not_found(read_body=True)

    def _not_found(self, *, read_body: bool) -> None:
        if read_body and not self._discard_body():
            return
        error = IngestError(404, "not_found", f"no route for {self.command} {self.path}")
        # A POST to a path ingestion does not serve is a setup mistake worth showing.
        self._respond_error(error, log=self.command == "POST")

    # -- who may use the control endpoints ------------------------------------------------

    def _control_allowed(self) -> bool:
        """Whether a control request comes from this host's own page or a non-browser client.

        Browsers name the page that makes a cross-origin request (``Origin``, and
        ``Sec-Fetch-Site``); without CORS headers a page elsewhere cannot read the answer,
        but a "simple" POST would still take effect, so it is refused outright. On a
        loopback address the ``Host`` must be a loopback name too, against DNS rebinding.
        """
        host = self.headers.get("Host", "")
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            return False
        if self.server.loopback_only:
            return _host_name(host) in _LOOPBACK_NAMES
        return True

    def _refuse_control(self, *, read_body: bool) -> None:
        if read_body and not self._discard_body():
            return
        error = IngestError(
            403, "cross_origin_refused", "control endpoints answer only this host's own page"
        )
        self._respond_error(error)

    def _log_rejection(self, error: IngestError) -> None:
        path = self.path.partition("?")[0]
        self.server.rejections.add(self.command, path, error.status, error.code, error.message)

    def _discard_body(self) -> bool:
        """Read and drop the body so the connection can carry the next request."""
        try:
            self._read_body(EVENT_BODY_LIMIT)
        except IngestError as error:
            self._respond_error(error, close=True)
            return False
        except (TimeoutError, _ClientGone):
            self.close_connection = True
            return False
        return True

    def _answer_after_body(self, body: bytes) -> None:
        if self._discard_body():
            self._respond(200, body)

    # -- ingestion ------------------------------------------------------------------------

    def _ingest(self, path: str, query: str, limit: int) -> None:
        try:
            body = self._read_body(limit)
        except IngestError as error:
            self._respond_error(error, close=True, log=True)
            return
        except TimeoutError:
            self._respond_error(body_read_timeout(), close=True, log=True)
            return
        except _ClientGone:
            self.close_connection = True
            return

        params = parse_qs(query) if query else {}
        if not body and self.command == "GET":
            body = params.get("data", [""])[0].encode()

        fault = self.server.faults.pop()
        if fault is not None and self._apply_fault(fault):
            return

        try:
            request = parse_request(
                body,
                content_type=self.headers.get("Content-Type", ""),
                compression=params.get("compression", [None])[0],
                limit=limit,
            )
        except IngestError as error:
            self._respond_error(error, log=True)
            return
        self.server.store.add(path, request.token, request.events)
        self._respond(200, _OK_BODY)

    def _apply_fault(self, fault: Fault) -> bool:
        """Serve an injected fault; return whether the response has been sent."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status == 200:
            return False
        headers = [] if fault.retry_after is None else [("Retry-After", str(fault.retry_after))]
        message = _REASONS.get(fault.status, "injected fault")
        body = json.dumps(
            {"status": fault.status, "code": "injected_fault", "error": message}
        ).encode()
        self._respond(fault.status, body, headers=headers)
        return True

    # -- control endpoints --------------------------------------------------------------

    def _list_events(self, query: str) -> None:
        params = parse_qs(query)
        try:
            since = int(params.get("since", ["0"])[0])
            limit_text = params.get("limit", [""])[0]
            limit = int(limit_text) if limit_text else None
        except ValueError:
            self._respond_error(IngestError(400, "bad_query", "since and limit must be integers"))
            return
        store = self.server.store
        last_seq, generation = store.last_seq, store.generation
        found = store.events(
            event=params.get("event", [None])[0],
            distinct_id=params.get("distinct_id", [None])[0],
            since=since,
        )
        if limit is not None:
            # The most recent `limit` events: a viewer that fell behind skips ahead.
            found = found[-limit:] if limit > 0 else []
        self._respond_json(
            200,
            {
                "events": [item.to_dict() for item in found],
                "count": len(found),
                "last_seq": last_seq,
                "generation": generation,
            },
        )

    def _list_rejections(self, query: str) -> None:
        try:
            since = int(parse_qs(query).get("since", ["0"])[0])
        except ValueError:
            self._respond_error(IngestError(400, "bad_query", "since must be an integer"))
            return
        log = self.server.rejections
        last_seq, generation = log.last_seq, log.generation
        found = log.items(since)
        self._respond_json(
            200,
            {
                "rejected": [item.to_dict() for item in found],
                "count": len(found),
                "last_seq": last_seq,
                "generation": generation,
            },
        )

    def _add_faults(self) -> None:
        try:
            body = self._read_body(EVENT_BODY_LIMIT)
            data = json.loads(body or b"null")
            items = data.get("faults") if isinstance(data, dict) else data
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError('expected a list of faults or {"faults": [...]}')
            faults = [Fault.from_json(item) for item in items]
        except IngestError as error:
            self._respond_error(error, close=True)
            return
        except (TimeoutError, _ClientGone):
            self.close_connection = True
            return
        except ValueError as exc:
            self._respond_error(IngestError(400, "bad_faults", str(exc)))
            return
        self.server.faults.extend(faults)
        self._respond_json(200, {"faults": [f.to_json() for f in self.server.faults.pending()]})


class MockHostServer(ThreadingHTTPServer):
    """A threading HTTP server holding the event store and the fault queue."""

    daemon_threads = True
    #: Print one line per request on stderr (``posthog-setup mock-host -v``).
    log_requests = False
    # Keep-alive connections may idle for a long time; closing the server must not wait.
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: EventStore,
        faults: FaultQueue,
        rejections: RejectionLog | None = None,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    ) -> None:
        self.store = store
        self.faults = faults
        self.rejections = rejections if rejections is not None else RejectionLog()
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout
        self.loopback_only = address[0] in _LOOPBACK_NAMES
        # Open connections, with the deadline for the headers of the request being read.
        self._connections: dict[socket.socket, float | None] = {}
        self._connections_lock = threading.Lock()
        self._next_deadline_scan = 0.0
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, MockHostHandler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse lookup of the address (``socket.getfqdn``)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection; when out of file descriptors, pause before the loop retries."""
        try:
            return self.socket.accept()
        except OSError as error:
            if error.errno in _RESOURCE_ERRNOS:
                time.sleep(_ACCEPT_BACKOFF)
            raise

    def service_actions(self) -> None:
        """Between requests: disconnect clients whose request headers are overdue."""
        super().service_actions()
        now = time.monotonic()
        if now < self._next_deadline_scan:
            return
        self._next_deadline_scan = now + _DEADLINE_SCAN_INTERVAL
        with self._connections_lock:
            overdue = [
                connection
                for connection, deadline in self._connections.items()
                if deadline is not None and deadline <= now
            ]
        for connection in overdue:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def set_header_deadline(self, connection: socket.socket, deadline: float | None) -> None:
        """Set (or, with None, lift) the time by which ``connection``'s headers must be in."""
        with self._connections_lock:
            if connection in self._connections:
                self._connections[connection] = deadline

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up mid-request; report anything else as a bug would be."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def track_connection(self, connection: socket.socket) -> None:
        """Remember an open connection so that :meth:`close_connections` can end it."""
        with self._connections_lock:
            self._connections[connection] = None

    def forget_connection(self, connection: socket.socket) -> None:
        """Forget a connection that has ended."""
        with self._connections_lock:
            self._connections.pop(connection, None)

    def close_connections(self) -> None:
        """End every open connection, so that no handler thread outlives the server."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class MockPostHogHost:
    """A mock PostHog ingestion host, for local runs and for tests.

    Use it as a context manager; port 0 picks a free port::

        with MockPostHogHost() as host:
            posthog = Posthog("phc_test", host=host.url, sync_mode=True)
            posthog.capture("signed_up", distinct_id="u1")
            [event] = host.wait_for(1, event="signed_up")
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        record: Path | None = None,
        faults: Iterable[Fault] = (),
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        max_events: int = DEFAULT_MAX_EVENTS,
        on_rejected: RejectionListener | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.record = record
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout
        self.max_events = max_events
        self.faults = FaultQueue(faults)
        self.store = EventStore(max_events=max_events)
        self.rejections = RejectionLog(listener=on_rejected)
        self._server: MockHostServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def bind(self) -> MockHostServer:
        """Bind the listening socket (raises :class:`OSError` if the port is taken)."""
        if self._server is None:
            server = MockHostServer(
                (self.host, self.requested_port),
                store=self.store,
                faults=self.faults,
                rejections=self.rejections,
                body_timeout=self.body_timeout,
                idle_timeout=self.idle_timeout,
                header_timeout=self.header_timeout,
            )
            if self.record is not None:
                # Opened only once the port is ours, so a failed start leaves no file behind.
                self.store.start_recording(self.record)
            self._server = server
        return self._server

    def start(self) -> MockPostHogHost:
        """Bind and serve in a background daemon thread; return ``self``."""
        server = self.bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _BACKGROUND_POLL},
                name=f"posthog-mock-host-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind and serve in the calling thread until interrupted (e.g. by Ctrl-C)."""
        self.bind().serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving, close open connections and the record file."""
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:
                server.shutdown()
                self._thread.join()
                self._thread = None
            server.server_close()
            server.close_connections()
        self.store.close()

    def __enter__(self) -> MockPostHogHost:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port actually listened on (the chosen one when started with port 0)."""
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give an SDK as its host (``POSTHOG_HOST``)."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # -- events and faults ----------------------------------------------------------------

    def events(
        self, event: str | None = None, *, distinct_id: str | None = None
    ) -> list[RecordedEvent]:
        """Events accepted so far, oldest first, optionally filtered."""
        return self.store.events(event=event, distinct_id=distinct_id)

    def wait_for(
        self,
        count: int,
        timeout: float = 5.0,
        *,
        event: str | None = None,
        distinct_id: str | None = None,
    ) -> list[RecordedEvent]:
        """Wait until ``count`` matching events have arrived; raise TimeoutError otherwise."""
        return self.store.wait_for(count, timeout, event=event, distinct_id=distinct_id)

    def clear(self) -> None:
        """Forget the events accepted and the requests rejected so far."""
        self.store.clear()
        self.rejections.clear()

    def rejected(self) -> list[Rejection]:
        """Requests refused so far (the most recent ones), oldest first."""
        return self.rejections.items()

    def inject(self, *faults: Fault) -> None:
        """Queue responses for the next ingestion requests, one fault per request."""
        self.faults.extend(faults)
