"""Routes and payload forms the mock host accepts, as real ingestion does."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost

from .helpers import TOKEN, batch, event

INGEST_PATHS = [
    path
    for base in ("/batch", "/e", "/i/v0/e", "/capture", "/track", "/engage")
    for path in (base, base + "/")
]


@pytest.mark.parametrize("path", INGEST_PATHS)
def test_every_ingestion_route_accepts_a_post(
    host: MockPostHogHost, session: requests.Session, path: str
) -> None:
    response = session.post(host.url + path, json=batch(event(distinct_id=path)))

    assert response.status_code == 200
    assert response.json() == {"status": 1}
    [stored] = host.events()
    assert (stored.path, stored.distinct_id, stored.token) == (path, path, TOKEN)


@pytest.mark.parametrize("path", INGEST_PATHS)
def test_every_ingestion_route_accepts_a_get_with_data(
    host: MockPostHogHost, session: requests.Session, path: str
) -> None:
    data = quote(json.dumps(event(token=TOKEN)))

    response = session.get(f"{host.url}{path}?data={data}&ver=1.0")

    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["signed_up"]


@pytest.mark.parametrize("path", ["/batch/", "/e", "/i/v0/e/"])
def test_preflight_allows_cross_origin_posts(
    host: MockPostHogHost, session: requests.Session, path: str
) -> None:
    response = session.options(
        host.url + path,
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_query_string_does_not_change_routing(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.post(host.url + "/batch/?ip=1&_=1700000000&ver=1.2", json=batch(event()))

    assert response.status_code == 200
    assert len(host.events()) == 1


def test_unknown_route_is_404_and_records_nothing(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.post(host.url + "/i/v1/analytics/events", json=batch(event()))

    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert host.events() == []


def test_array_of_events_is_accepted(host: MockPostHogHost, session: requests.Session) -> None:
    events = [event("a", token=TOKEN), event("b", token=TOKEN)]

    response = session.post(host.url + "/e/", json=events)

    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["a", "b"]


def test_single_event_is_accepted(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/capture/", json=event(api_key=TOKEN))

    assert response.status_code == 200
    assert host.events()[0].raw["api_key"] == TOKEN


@pytest.mark.parametrize("key", ["token", "$token", "api_key"])
def test_single_event_token_fields(
    host: MockPostHogHost, session: requests.Session, key: str
) -> None:
    response = session.post(host.url + "/i/v0/e/", json=event(**{key: TOKEN}))

    assert response.status_code == 200
    assert host.events()[0].token == TOKEN


def test_token_in_properties_is_accepted(host: MockPostHogHost, session: requests.Session) -> None:
    payload = {"event": "$pageview", "properties": {"token": TOKEN, "distinct_id": "anon-7"}}

    response = session.post(host.url + "/e/", json=payload)

    assert response.status_code == 200
    assert host.events()[0].distinct_id == "anon-7"


def test_batch_envelope_with_token_key_and_unknown_fields(
    host: MockPostHogHost, session: requests.Session
) -> None:
    payload = {"token": TOKEN, "batch": [event()], "sentAt": "2026-01-01T00:00:00Z", "x": 1}

    response = session.post(host.url + "/batch", json=payload)

    assert response.status_code == 200
    assert host.events()[0].token == TOKEN


@pytest.mark.parametrize(
    "content_encoding", [None, "gzip", "identity", "br"], ids=["none", "gzip", "identity", "br"]
)
def test_gzip_is_detected_from_magic_bytes_whatever_the_header_says(
    host: MockPostHogHost, session: requests.Session, content_encoding: str | None
) -> None:
    body = gzip.compress(json.dumps(batch(event("zipped"))).encode())
    headers = {"Content-Type": "application/json"}
    if content_encoding:
        headers["Content-Encoding"] = content_encoding

    response = session.post(host.url + "/batch/", data=body, headers=headers)

    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["zipped"]


def test_compression_hint_in_query_is_honoured(
    host: MockPostHogHost, session: requests.Session
) -> None:
    body = gzip.compress(json.dumps([event(token=TOKEN)]).encode())

    response = session.post(host.url + "/e/?compression=gzip-js", data=body)

    assert response.status_code == 200
    assert len(host.events()) == 1


def test_form_encoded_data_field_is_accepted(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.post(
        host.url + "/e/", data={"data": json.dumps(event("from_form", token=TOKEN))}
    )

    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["from_form"]


def test_json_sent_as_text_plain_is_accepted(
    host: MockPostHogHost, session: requests.Session
) -> None:
    # navigator.sendBeacon posts JSON as text/plain; ingestion does not look at the type.
    body = json.dumps(event(token=TOKEN))

    response = session.post(host.url + "/e/", data=body, headers={"Content-Type": "text/plain"})

    assert response.status_code == 200


def test_chunked_body_is_accepted(host: MockPostHogHost, session: requests.Session) -> None:
    payload = json.dumps(batch(event("chunked"))).encode()
    pieces = (payload[i : i + 7] for i in range(0, len(payload), 7))

    response = session.post(host.url + "/batch/", data=pieces)

    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["chunked"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, "42"), (3.5, "3.5"), ({"a": 1}, '{"a":1}'), ("x" * 300, "x" * 200)],
    ids=["int", "float", "object", "long"],
)
def test_distinct_id_is_stringified_and_cut(
    host: MockPostHogHost, session: requests.Session, value: object, expected: str
) -> None:
    response = session.post(host.url + "/batch/", json=batch(event(distinct_id=value)))

    assert response.status_code == 200
    assert host.events()[0].distinct_id == expected


def test_dollar_distinct_id_is_read(host: MockPostHogHost, session: requests.Session) -> None:
    payload = {"event": "e", "$distinct_id": "dollar", "properties": {"distinct_id": "props"}}

    session.post(host.url + "/batch/", json=batch(payload))

    assert host.events()[0].distinct_id == "dollar"


def test_empty_uuid_counts_as_none(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.post(host.url + "/batch/", json=batch(event(uuid="")))

    assert response.status_code == 200
    assert host.events()[0].uuid is None


@pytest.mark.parametrize("path", ["/flags/?v=4", "/flags", "/decide/?v=3", "/decide"])
def test_flags_answer_no_flags(host: MockPostHogHost, session: requests.Session, path: str) -> None:
    response = session.post(host.url + path, json={"api_key": TOKEN, "distinct_id": "u1"})

    assert response.status_code == 200
    body = response.json()
    assert body["flags"] == {}
    assert body["featureFlags"] == {}
    assert body["errorsWhileComputingFlags"] is False
    assert host.events() == []


def test_flag_definitions_are_empty(host: MockPostHogHost, session: requests.Session) -> None:
    response = session.get(
        f"{host.url}/flags/definitions?token={TOKEN}&send_cohorts",
        headers={"Authorization": "Bearer phs_secret"},
    )

    assert response.status_code == 200
    assert response.json() == {"flags": [], "group_type_mapping": {}, "cohorts": {}}


def test_keep_alive_connection_serves_many_requests(
    host: MockPostHogHost, session: requests.Session
) -> None:
    for index in range(20):
        assert session.post(host.url + "/batch/", json=batch(event(str(index)))).status_code == 200

    assert len(host.events()) == 20
