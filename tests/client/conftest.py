"""A recording HTTP server with scriptable faults, and fixtures for the client's tests."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from posthog_setup.client import Client

API_KEY = "phc_clienttestkey"


@dataclass(frozen=True)
class Reply:
    """How the server answers one request."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it, with its body decoded."""

    path: str
    headers: Mapping[str, str]
    raw_body: bytes
    payload: dict[str, Any]
    status: int
    received_at: float

    @property
    def batch(self) -> list[dict[str, Any]]:
        """The events in the request."""
        events: list[dict[str, Any]] = self.payload["batch"]
        return events

    @property
    def uuids(self) -> list[str]:
        """The uuids of the events in the request, in order."""
        return [event["uuid"] for event in self.batch]


Responder = Callable[[dict[str, Any]], Reply | None]


class RecordingServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that records ``/batch/`` posts.

    Replies are taken from a script (a queue of :class:`Reply`), then from an optional
    responder function, and default to 200 ``{"status": 1}``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received = threading.Condition(self._lock)
        self._script: deque[Reply] = deque()
        self.responder: Responder | None = None
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL to use as the client's host."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RecordingServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def script(self, *replies: int | Reply) -> None:
        """Queue replies (a bare int is a status) for the next requests, in order."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    @property
    def accepted(self) -> list[RecordedRequest]:
        """The requests answered with 200."""
        with self._lock:
            return [request for request in self.requests if request.status == 200]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event from requests answered with 200, in arrival order."""
        return [event for request in self.accepted for event in request.batch]

    def wait_for_events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` events were accepted; return all accepted events."""
        deadline = time.monotonic() + timeout
        with self._received:
            while self._accepted_count() < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._received.wait(remaining)
        return self.events

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._received:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._received.wait(remaining)
            return list(self.requests)

    def _accepted_count(self) -> int:
        return sum(len(r.batch) for r in self.requests if r.status == 200)

    def _choose_reply(self, payload: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            reply = self.responder(payload)
            if reply is not None:
                return reply
        return Reply()

    def _record(self, request: RecordedRequest) -> None:
        with self._received:
            self.requests.append(request)
            self._received.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without TCP_NODELAY each
            # response can stall for the peer's delayed ACK.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = raw
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(raw)
                payload: dict[str, Any] = json.loads(body)
                reply = server._choose_reply(payload)
                # Record on arrival, so a client that saw the answer finds it here.
                server._record(
                    RecordedRequest(
                        path=self.path,
                        headers=dict(self.headers.items()),
                        raw_body=raw,
                        payload=payload,
                        status=reply.status,
                        received_at=time.monotonic(),
                    )
                )
                if reply.delay:
                    time.sleep(reply.delay)
                answer = json.dumps({"status": 1 if reply.status == 200 else reply.status})
                data = answer.encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    # The client gave up (timeout) before the answer; nothing to do.
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    """A recording server on an ephemeral loopback port, stopped after the test."""
    recording = RecordingServer().start()
    yield recording
    recording.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client(server: RecordingServer) -> Iterator[ClientFactory]:
    """Build clients aimed at ``server`` with fast backoff; all are shut down afterwards."""
    clients: list[Client] = []

    def build(**options: Any) -> Client:
        options.setdefault("host", server.url)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("timeout", 5.0)
        client = Client(options.pop("api_key", API_KEY), **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.shutdown(timeout=2.0)
