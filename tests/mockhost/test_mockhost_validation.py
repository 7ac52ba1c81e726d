"""Requests real ingestion refuses are refused here too, with the same status and code."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.mockhost.ingest import (
    BATCH_BODY_LIMIT,
    EVENT_BODY_LIMIT,
    IngestError,
    gunzip_bounded,
)

from .helpers import TOKEN, batch, event, raw_request


def assert_refused(response: requests.Response, status: int, code: str | None = None) -> None:
    """The response is an ingestion error body with this status (and code, if given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "code", "error"}
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code


def assert_still_serving(host: MockPostHogHost) -> None:
    """A fresh, valid request is accepted and recorded."""
    before = len(host.events())
    response = requests.post(host.url + "/batch/", json=batch(event("still_serving")), timeout=5)
    assert response.status_code == 200
    assert len(host.events()) == before + 1


def while_refusing(host: MockPostHogHost, bad_request: Callable[[], requests.Response]) -> Any:
    """Run ``bad_request`` while good clients post concurrently; return its response."""
    good_statuses: list[int] = []
    stop = threading.Event()

    def post_good_ones() -> None:
        with requests.Session() as http:
            while not stop.is_set() or not good_statuses:
                response = http.post(host.url + "/batch/", json=batch(event("good")), timeout=5)
                good_statuses.append(response.status_code)

    with ThreadPoolExecutor(max_workers=2) as pool:
        good = pool.submit(post_good_ones)
        bad = pool.submit(bad_request)
        response = bad.result(timeout=30)
        stop.set()
        good.result(timeout=10)
    assert good_statuses
    assert set(good_statuses) == {200}
    assert len(host.events("good")) == len(good_statuses)
    return response


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """200 MB of zeros, gzip-compressed to a few hundred kilobytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    pieces = [compressor.compress(block) for _ in range(200)]
    pieces.append(compressor.flush())
    return b"".join(pieces)


# -- body decoding and parsing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"api_key": "phc_x", "batch": [', "application/json"),
        (b"hello world", "application/json"),
        (b"<html><body>not json</body></html>", "text/html"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        (b'{"event": "e", "distinct_id": "u", "token": "phc_x", "properties": {"v": NaN}}', ""),
    ],
    ids=["truncated-json", "plain-text", "html", "binary", "nan"],
)
def test_unparseable_body_is_400(
    host: MockPostHogHost, session: requests.Session, body: bytes, content_type: str
) -> None:
    response = session.post(host.url + "/batch/", data=body, headers={"Content-Type": content_type})

    assert_refused(response, 400, "request_parsing_error")
    assert host.events() == []
    assert_still_serving(host)


def test_empty_body_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/e/", data=b"")

    assert_refused(response, 400, "empty_payload")


def test_get_without_data_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.get(host.url + "/e/?ver=1")

    assert_refused(response, 400, "empty_payload")


def test_form_without_data_field_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/e/", data={"other": "x"})

    assert_refused(response, 400, "empty_payload")


def test_form_with_base64_data_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    # posthog-js's legacy base64 form encoding is not JSON; ingestion answers 400.
    response = session.post(host.url + "/e/", data={"data": "eyJldmVudCI6ICJlIn0="})

    assert_refused(response, 400, "request_parsing_error")


def test_truncated_gzip_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    body = gzip.compress(json.dumps(batch(*[event()] * 50)).encode())

    response = session.post(host.url + "/batch/", data=body[: len(body) // 2])

    assert_refused(response, 400, "request_decoding_error")
    assert host.events() == []
    assert_still_serving(host)


def test_corrupt_gzip_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", data=b"\x1f\x8b\x08" + b"\x00" * 7 + b"junk")

    assert_refused(response, 400, "request_decoding_error")


# -- batch and event shape ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", [batch(), []], ids=["envelope", "array"])
def test_empty_batch_is_400(host: MockPostHogHost, session: requests.Session, payload: Any) -> None:
    response = session.post(host.url + "/batch/", json=payload)

    assert_refused(response, 400, "empty_batch")


def test_missing_event_name_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", json=batch({"distinct_id": "u1"}))

    assert_refused(response, 400, "request_parsing_error")


def test_empty_event_name_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", json=batch(event("")))

    assert_refused(response, 400, "missing_event_name")


def test_non_string_event_name_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", json=batch({"event": 7, "distinct_id": "u1"}))

    assert_refused(response, 400, "request_parsing_error")


@pytest.mark.parametrize(
    "fields",
    [
        {"event": "e"},
        {"event": "e", "distinct_id": None},
        {"event": "e", "distinct_id": ""},
        {"event": "e", "distinct_id": "   \t"},
        {"event": "e", "$distinct_id": " "},
        {"event": "e", "properties": {"distinct_id": ""}},
    ],
    ids=["absent", "null", "empty", "blank", "dollar-blank", "properties-empty"],
)
def test_missing_or_blank_distinct_id_is_400(
    host: MockPostHogHost, session: requests.Session, fields: dict[str, Any]
) -> None:
    response = session.post(host.url + "/batch/", json=batch(fields))

    assert_refused(response, 400, "missing_distinct_id")


def test_one_non_uuid_rejects_the_whole_request(
    host: MockPostHogHost, session: requests.Session
) -> None:
    good = event("good_one", uuid="0190b7e4-6e1a-7c3b-9f0e-1d2c3b4a5f60")
    bad = event("bad_one", uuid="not-a-uuid")

    response = session.post(host.url + "/batch/", json=batch(good, bad))

    assert_refused(response, 400, "request_parsing_error")
    assert host.events() == []


@pytest.mark.parametrize(
    "fields",
    [{"properties": ["a"]}, {"timestamp": 1700000000}, {"uuid": 12}],
    ids=["properties-list", "timestamp-number", "uuid-number"],
)
def test_wrongly_typed_fields_are_400(
    host: MockPostHogHost, session: requests.Session, fields: dict[str, Any]
) -> None:
    response = session.post(host.url + "/batch/", json=batch(event(**fields)))

    assert_refused(response, 400, "request_parsing_error")


def test_non_object_event_is_400(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", json=[event(token=TOKEN), "x"])

    assert_refused(response, 400, "request_parsing_error")
    assert host.events() == []


# -- tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/e/", event()),
        ("/e/", [event(), event()]),
        ("/batch/", {"batch": [event()]}),
    ],
    ids=["single", "array", "envelope"],
)
def test_no_token_is_401(
    host: MockPostHogHost, session: requests.Session, path: str, payload: Any
) -> None:
    response = session.post(host.url + path, json=payload)

    assert_refused(response, 401, "ingest_key_required")
    assert host.events() == []


@pytest.mark.parametrize(
    "token",
    ["phx_personalkey123", "", "   ", "p" * 65, "phc_caf\u00e9", "phc_\x00null"],
    ids=["personal", "empty", "blank", "too-long", "non-ascii", "nul"],
)
def test_invalid_token_is_403(host: MockPostHogHost, session: requests.Session, token: str) -> None:
    response = session.post(host.url + "/batch/", json=batch(event(), token=token))

    assert_refused(response, 403, "ingest_key_unknown")
    assert host.events() == []


def test_personal_key_on_a_single_event_is_403(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.post(host.url + "/i/v0/e/", json=event(token="phx_abc"))

    assert_refused(response, 403, "ingest_key_unknown")


def test_token_of_64_characters_is_accepted(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.post(host.url + "/batch/", json=batch(event(), token="p" * 64))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "events",
    [
        [event(token="phc_one"), event(token="phc_two")],
        [event(token="phc_one"), event()],
    ],
    ids=["two-tokens", "token-and-none"],
)
def test_mixed_tokens_in_an_array_are_400(
    host: MockPostHogHost, session: requests.Session, events: list[dict[str, object]]
) -> None:
    response = session.post(host.url + "/e/", json=events)

    assert_refused(response, 400, "unroutable_events")
    assert host.events() == []


# -- sizes ----------------------------------------------------------------------------------------


def padded_batch(size: int) -> bytes:
    """A valid batch whose JSON is about ``size`` bytes long."""
    return json.dumps(batch(event(padding="x" * size))).encode()


@pytest.mark.parametrize(
    ("path", "limit"), [("/batch/", BATCH_BODY_LIMIT), ("/e/", EVENT_BODY_LIMIT)]
)
def test_body_over_the_route_limit_is_413(host: MockPostHogHost, path: str, limit: int) -> None:
    body = padded_batch(limit + 1024)

    response = while_refusing(host, lambda: requests.post(host.url + path, data=body, timeout=20))

    assert_refused(response, 413, "payload_too_large")
    assert host.events("signed_up") == []


def test_batch_route_takes_bodies_the_event_routes_refuse(
    host: MockPostHogHost, session: requests.Session
) -> None:
    body = padded_batch(EVENT_BODY_LIMIT + 1024)

    assert_refused(session.post(host.url + "/capture/", data=body), 413, "payload_too_large")
    assert session.post(host.url + "/batch/", data=body).status_code == 200


def test_oversized_declared_length_is_refused_without_waiting_for_the_body(
    host: MockPostHogHost,
) -> None:
    request = (
        b"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 999999999999\r\n\r\n"
    )
    started = time.monotonic()

    response = raw_request(host.port, request)

    assert response.startswith(b"HTTP/1.1 413 ")
    assert time.monotonic() - started < 2
    assert_still_serving(host)


@pytest.mark.parametrize("path", ["/batch/", "/e/"])
def test_gzip_bomb_is_413_without_inflating_it(
    host: MockPostHogHost, gzip_bomb: bytes, path: str
) -> None:
    assert len(gzip_bomb) < EVENT_BODY_LIMIT

    response = while_refusing(
        host, lambda: requests.post(host.url + path, data=gzip_bomb, timeout=20)
    )

    assert_refused(response, 413, "payload_too_large")


def test_gzip_bomb_is_never_inflated_in_memory(gzip_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(IngestError) as refused:
            gunzip_bounded(gzip_bomb, EVENT_BODY_LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert refused.value.status == 413
    assert peak < 4 * EVENT_BODY_LIMIT


def test_invalid_content_length_is_400(host: MockPostHogHost) -> None:
    request = b"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"

    response = raw_request(host.port, request)

    assert response.startswith(b"HTTP/1.1 400 ")


# -- slow clients and concurrency ----------------------------------------------------------------


@pytest.fixture
def stalled_connection(host: MockPostHogHost) -> Iterator[socket.socket]:
    """A connection that sent its headers and 10 of 100 promised body bytes, then stalled."""
    conn = socket.create_connection(("127.0.0.1", host.port), timeout=5)
    conn.sendall(
        b"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"api_key"'
    )
    yield conn
    conn.close()


def test_stalled_body_is_408_while_others_are_served(
    host: MockPostHogHost, stalled_connection: socket.socket
) -> None:
    refusal: list[tuple[float, bytes]] = []

    def wait_for_refusal() -> None:
        response = stalled_connection.recv(65536)
        refusal.append((time.monotonic(), response))

    waiter = threading.Thread(target=wait_for_refusal)
    waiter.start()

    good = requests.post(host.url + "/batch/", json=batch(event("during_stall")), timeout=5)
    good_done = time.monotonic()
    waiter.join(timeout=5)

    assert good.status_code == 200
    [(refused_at, response)] = refusal
    # The good client was answered while the stalled one was still being waited for.
    assert good_done < refused_at
    assert response.startswith(b"HTTP/1.1 408 ")
    assert b'"code": "body_read_timeout"' in response
    assert [e.event for e in host.events()] == ["during_stall"]


def test_trickling_body_is_408(host: MockPostHogHost) -> None:
    # One byte every 0.1 s never trips a per-read timeout; the body deadline catches it.
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as conn:
        conn.sendall(b"POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        conn.setblocking(False)
        response = b""
        deadline = time.monotonic() + 3
        while not response and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                conn.send(b" ")
            time.sleep(0.1)
            with contextlib.suppress(BlockingIOError):
                response = conn.recv(65536)

    assert response.startswith(b"HTTP/1.1 408 ")


def test_fifty_concurrent_clients_are_served(host: MockPostHogHost) -> None:
    # Every client first opens its connection and sends half of its request, then waits until
    # all fifty are in that state; a server handling one connection at a time would stall.
    clients = 50
    ready = threading.Barrier(clients)
    body = json.dumps(batch(event("concurrent"), event("concurrent"))).encode()
    head = (
        f"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    def client() -> bytes:
        with socket.create_connection(("127.0.0.1", host.port), timeout=10) as conn:
            conn.sendall(head + body[:10])
            ready.wait(timeout=10)
            conn.sendall(body[10:])
            return conn.recv(65536)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        responses = list(pool.map(lambda _: client(), range(clients)))

    assert all(r.startswith(b"HTTP/1.1 200 ") for r in responses)
    assert len(host.events("concurrent")) == 2 * clients


def test_fifty_concurrent_sessions_with_keep_alive(host: MockPostHogHost) -> None:
    def client(index: int) -> list[int]:
        with requests.Session() as http:
            return [
                http.post(
                    host.url + "/batch/", json=batch(event(distinct_id=f"c{index}")), timeout=10
                ).status_code
                for _ in range(5)
            ]

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = [s for result in pool.map(client, range(50)) for s in result]

    assert statuses == [200] * 250
    assert len(host.events()) == 250
    assert len(host.events(distinct_id="c7")) == 5
