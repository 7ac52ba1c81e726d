"""Lone surrogates: real ingestion (serde_json) refuses them; Python's json module does not."""

from __future__ import annotations

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost

from .helpers import TOKEN


@pytest.mark.parametrize(
    "body",
    [
        b'{"api_key": "%s", "batch": [{"event": "e\\ud800", "distinct_id": "u"}]}',
        b'{"api_key": "%s", "batch": [{"event": "e", "distinct_id": "u\\uDFFF"}]}',
        b'{"api_key": "%s", "batch": [{"event": "e", "distinct_id": "u",'
        b' "properties": {"\\udc00": 1}}]}',
        b'{"api_key": "%s", "batch": [{"event": "e", "distinct_id": "u",'
        b' "properties": {"a": ["x", {"b": "\\ud83d"}]}}]}',
        # A surrogate encoded in UTF-8 bytes is no better than an escaped one.
        b'{"api_key": "%s", "batch": [{"event": "e\xed\xa0\x80", "distinct_id": "u"}]}',
    ],
)
def test_lone_surrogates_are_rejected_like_real_ingestion(
    host: MockPostHogHost, session: requests.Session, body: bytes
) -> None:
    response = session.post(
        host.url + "/batch/",
        data=body % TOKEN.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "request_parsing_error"
    assert host.events() == []


def test_a_surrogate_pair_is_one_character_and_accepted(
    host: MockPostHogHost, session: requests.Session
) -> None:
    body = b'{"api_key": "%s", "batch": [{"event": "party \\ud83c\\udf89", "distinct_id": "u"}]}'
    response = session.post(
        host.url + "/batch/",
        data=body % TOKEN.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert [e.event for e in host.events()] == ["party \U0001f389"]
