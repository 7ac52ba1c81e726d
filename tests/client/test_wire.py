"""What the client puts on the wire: the request, the envelope and each event's shape."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import uuid

import pytest

from posthog_setup.client import LIB_NAME, LIB_VERSION, Client

from .conftest import API_KEY, ClientFactory, RecordingServer


def _parse_utc(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.utcoffset() == dt.timedelta(0), value
    return parsed


def test_capture_posts_one_batch_in_the_official_envelope(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=2, flush_interval=60)
    before = dt.datetime.now(dt.timezone.utc)
    first = client.capture("user-1", "signed_up", {"plan": "pro"})
    second = client.capture("user-2", "logged_in")

    (request,) = server.wait_for_requests(1)
    assert request.path == "/batch/"
    assert request.headers["Content-Type"] == "application/json"
    assert "Content-Encoding" not in request.headers
    assert set(request.payload) == {"api_key", "batch", "sent_at"}
    assert request.payload["api_key"] == API_KEY
    assert _parse_utc(request.payload["sent_at"]) >= before
    assert request.uuids == [first, second]

    event = request.batch[0]
    assert set(event) == {"event", "distinct_id", "properties", "timestamp", "uuid"}
    assert event["event"] == "signed_up"
    assert event["distinct_id"] == "user-1"
    assert event["properties"] == {
        "plan": "pro",
        "$lib": LIB_NAME,
        "$lib_version": LIB_VERSION,
    }
    stamped = _parse_utc(event["timestamp"])
    assert before <= stamped <= dt.datetime.now(dt.timezone.utc)
    assert uuid.UUID(event["uuid"]).version == 4
    assert client.flush(5.0)
    assert client.stats.sent == 2


def test_gzip_body_is_compressed_and_marked(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60, gzip=True)
    event_id = client.capture("user-1", "compressed", {"text": "x" * 2000})

    (request,) = server.wait_for_requests(1)
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.raw_body[:2] == b"\x1f\x8b"
    assert len(request.raw_body) < 2000
    assert gzip.decompress(request.raw_body).startswith(b'{"api_key":')
    assert request.uuids == [event_id]


def test_non_utc_and_naive_timestamps_become_the_same_instant_in_utc(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=3, flush_interval=60)
    tokyo = dt.timezone(dt.timedelta(hours=9))
    client.capture("u", "aware", timestamp=dt.datetime(2024, 3, 1, 9, 30, 15, 250, tzinfo=tokyo))
    client.capture("u", "naive", timestamp=dt.datetime(2024, 3, 1, 0, 0, 0))
    client.capture("u", "text", timestamp="2024-03-01T12:00:00-05:00")

    events = server.wait_for_events(3)
    stamps = {event["event"]: event["timestamp"] for event in events}
    assert stamps == {
        "aware": "2024-03-01T00:30:15.000250+00:00",
        "naive": "2024-03-01T00:00:00+00:00",
        "text": "2024-03-01T17:00:00+00:00",
    }


def test_distinct_id_is_always_a_string_and_caller_uuid_is_kept(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=2, flush_interval=60)
    given = uuid.uuid4()
    returned = client.capture(12345, "numeric_id", uuid=given)
    replaced = client.capture("u", "bad_uuid", uuid="not-a-uuid")

    events = server.wait_for_events(2)
    assert returned == str(given)
    assert events[0]["distinct_id"] == "12345"
    assert events[0]["uuid"] == str(given)
    # Ingestion rejects a whole batch for one malformed uuid, so it is replaced.
    assert events[1]["uuid"] == replaced
    assert uuid.UUID(replaced).version == 4


def test_rich_property_values_are_serialised(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    client.capture(
        "u",
        "rich",
        {"when": when, "id": ident, "ratio": math.nan, "tags": ("a", "b"), "name": "Zoë"},
    )

    (event,) = server.wait_for_events(1)
    properties = event["properties"]
    assert properties["when"] == "2024-01-02T03:04:05+00:00"
    assert properties["id"] == str(ident)
    assert properties["ratio"] is None
    assert properties["tags"] == ["a", "b"]
    assert properties["name"] == "Zoë"


def test_properties_are_copied_at_capture_time(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=10, flush_interval=60)
    properties = {"step": 1}
    client.capture("u", "copied", properties)
    properties["step"] = 2
    client.flush()

    (event,) = server.wait_for_events(1)
    assert event["properties"]["step"] == 1


def test_identify_sends_identify_with_set(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    client.identify("user-1", {"email": "max@example.com"})

    (event,) = server.wait_for_events(1)
    assert event["event"] == "$identify"
    assert event["distinct_id"] == "user-1"
    assert event["$set"] == {"email": "max@example.com"}
    assert event["properties"]["$set"] == {"email": "max@example.com"}


def test_alias_matches_the_official_sdk_shape(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    client.alias("anon-1", "user-1")

    (event,) = server.wait_for_events(1)
    assert event["event"] == "$create_alias"
    assert event["distinct_id"] == "anon-1"
    assert event["properties"]["distinct_id"] == "anon-1"
    assert event["properties"]["alias"] == "user-1"


def test_page_sends_pageview_with_current_url(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    client.page("user-1", "https://shop.example.com/cart?x=1", {"title": "Cart"})

    (event,) = server.wait_for_events(1)
    assert event["event"] == "$pageview"
    properties = event["properties"]
    assert properties["$current_url"] == "https://shop.example.com/cart?x=1"
    assert properties["$host"] == "shop.example.com"
    assert properties["$pathname"] == "/cart"
    assert properties["title"] == "Cart"


def _fail_checkout() -> None:
    try:
        carts: dict[str, int] = {}
        carts["cart"]
    except KeyError as missing:
        raise RuntimeError("checkout failed") from missing


def test_capture_exception_sends_exception_list(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    try:
        _fail_checkout()
    except RuntimeError as error:
        client.capture_exception(error, distinct_id="user-1", properties={"route": "/pay"})

    (event,) = server.wait_for_events(1)
    assert event["event"] == "$exception"
    assert event["distinct_id"] == "user-1"
    properties = event["properties"]
    assert properties["route"] == "/pay"
    assert properties["$exception_level"] == "error"
    outer, cause = properties["$exception_list"]
    assert (outer["type"], outer["value"]) == ("RuntimeError", "checkout failed")
    assert outer["mechanism"]["type"] == "generic"
    assert outer["mechanism"]["handled"] is True
    assert (cause["type"], cause["value"]) == ("KeyError", "'cart'")
    assert cause["mechanism"]["type"] == "chained"
    assert cause["mechanism"]["source"] == "__cause__"
    frames = outer["stacktrace"]["frames"]
    assert outer["stacktrace"]["type"] == "raw"
    assert frames[-1]["function"] == "_fail_checkout"
    assert frames[-1]["in_app"] is True
    assert frames[-1]["context_line"] == 'raise RuntimeError("checkout failed") from missing'
    assert {"filename", "abs_path", "lineno", "module", "platform"} <= set(frames[-1])


def test_capture_exception_without_a_person_is_anonymous(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    try:
        raise ValueError("bad input")
    except ValueError:
        client.capture_exception()

    (event,) = server.wait_for_events(1)
    assert uuid.UUID(event["distinct_id"])
    assert event["properties"]["$process_person_profile"] is False
    assert event["properties"]["$exception_list"][0]["type"] == "ValueError"


@pytest.mark.parametrize(
    ("distinct_id", "event"),
    [("", "e"), ("   ", "e"), (None, "e"), ("u", ""), ("u", None)],
)
def test_invalid_events_are_dropped_and_counted(
    distinct_id: object, event: object, server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    result = client.capture(distinct_id, event)  # type: ignore[arg-type]
    client.capture("u", "valid")

    events = server.wait_for_events(1)
    assert isinstance(result, str)
    assert [e["event"] for e in events] == ["valid"]
    assert client.stats.dropped == 1
    assert client.stats.captured == 1


def test_debug_mode_raises_for_invalid_events(make_client: ClientFactory) -> None:
    client = make_client(flush_at=1, flush_interval=60, debug=True)
    with pytest.raises(ValueError, match="distinct_id"):
        client.capture("  ", "e")
    with pytest.raises(ValueError, match="event"):
        client.capture("u", "")
    with pytest.raises(TypeError, match="mapping"):
        client.capture("u", "e", ["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UUID"):
        client.capture("u", "e", uuid="not-a-uuid")
    assert client.stats.dropped == 4


def test_disabled_client_sends_nothing(server: RecordingServer) -> None:
    client = Client(API_KEY, host=server.url, flush_at=1, disabled=True)
    event_id = client.capture("u", "ignored")
    assert client.flush(1.0)
    client.shutdown(1.0)
    assert uuid.UUID(event_id)
    assert server.requests == []
    assert client.stats.captured == 0


@pytest.mark.parametrize(
    "options", [{"api_key": ""}, {"api_key": "   "}, {"host": "us.i.posthog.com"}]
)
def test_missing_configuration_disables_instead_of_raising(
    options: dict[str, str], server: RecordingServer
) -> None:
    settings = {"api_key": API_KEY, "host": server.url, "flush_at": 1, **options}
    client = Client(**settings)  # type: ignore[arg-type]
    assert client.disabled
    client.capture("u", "ignored")
    client.shutdown(1.0)
    assert server.requests == []

    with pytest.raises(ValueError, match=r"api_key|host"):
        Client(**settings, debug=True)  # type: ignore[arg-type]
