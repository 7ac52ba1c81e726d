"""Rejected requests are recorded with their reason, listed and reported as they happen."""

from __future__ import annotations

import requests

from posthog_setup.mockhost import Fault, MockPostHogHost

from .helpers import TOKEN, batch, event


def test_rejected_requests_are_listed_with_their_reason(
    host: MockPostHogHost, session: requests.Session
) -> None:
    no_token = session.post(host.url + "/batch/", json={"batch": [event()]})
    no_name = session.post(host.url + "/i/v0/e/?ver=1", json={**event(""), "token": TOKEN})
    assert (no_token.status_code, no_name.status_code) == (401, 400)
    assert host.events() == []

    listed = session.get(host.url + "/_mock/rejected").json()
    assert [
        (r["method"], r["path"], r["status"], r["code"], r["reason"]) for r in listed["rejected"]
    ] == [
        ("POST", "/batch/", 401, "ingest_key_required", "event submitted without an api_key"),
        (
            "POST",
            "/i/v0/e/",
            400,
            "missing_event_name",
            "event submitted with an empty event name",
        ),
    ]
    assert listed["count"] == 2
    first_seq = listed["rejected"][0]["seq"]
    later = session.get(host.url + f"/_mock/rejected?since={first_seq}").json()
    assert [r["code"] for r in later["rejected"]] == ["missing_event_name"]
    assert [r.code for r in host.rejected()] == ["ingest_key_required", "missing_event_name"]

    assert session.delete(host.url + "/_mock/rejected").json() == {"cleared": True}
    assert session.get(host.url + "/_mock/rejected").json()["rejected"] == []


def test_accepted_requests_injected_faults_and_page_loads_are_not_rejections(
    host: MockPostHogHost, session: requests.Session
) -> None:
    host.inject(Fault(status=503))
    assert session.post(host.url + "/batch/", json=batch(event())).status_code == 503
    assert session.post(host.url + "/batch/", json=batch(event())).status_code == 200
    assert session.get(host.url + "/favicon.ico").status_code == 404
    assert host.rejected() == []

    assert session.post(host.url + "/batch/v2/", json=batch(event())).status_code == 404
    assert [(r.status, r.path) for r in host.rejected()] == [(404, "/batch/v2/")]


def test_on_rejected_is_called_for_each_refusal() -> None:
    seen: list[str] = []
    with MockPostHogHost(on_rejected=lambda r: seen.append(r.describe())) as mock:
        response = requests.post(
            mock.url + "/batch/", json=batch(event(), token="phx_personal"), timeout=5
        )
    assert response.status_code == 403
    assert seen == [
        "rejected POST /batch/: 403 ingest_key_unknown: API key is not valid: personal_api_key"
    ]
