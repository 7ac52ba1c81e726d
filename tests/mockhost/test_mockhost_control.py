"""The control side: the context manager, the events API, fault injection and recording."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from posthog_setup.mockhost import Fault, MockPostHogHost

from .helpers import TOKEN, batch, event


def send(host: MockPostHogHost, *events: dict[str, object]) -> requests.Response:
    return requests.post(host.url + "/batch/", json=batch(*events), timeout=5)


def test_context_manager_picks_a_port_and_releases_it() -> None:
    with MockPostHogHost() as host:
        assert host.port != 0
        assert host.url == f"http://127.0.0.1:{host.port}"
        assert send(host, event()).status_code == 200
        url = host.url

    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_mock/events", timeout=2)


def test_stop_ends_idle_keep_alive_connections() -> None:
    host = MockPostHogHost().start()
    with requests.Session() as http:
        assert http.post(host.url + "/batch/", json=batch(event()), timeout=5).ok
        started = time.monotonic()
        host.stop()

    assert time.monotonic() - started < 2
    assert host.store.events() != []  # the store outlives the server, for assertions


def test_fixture_gives_a_running_host(posthog_mock_host: MockPostHogHost) -> None:
    assert send(posthog_mock_host, event("via_fixture")).status_code == 200

    assert [e.event for e in posthog_mock_host.events()] == ["via_fixture"]


def test_events_api_filters_by_event_and_distinct_id(host: MockPostHogHost) -> None:
    send(host, event("a", "u1"), event("b", "u1"), event("a", "u2"))

    def fetch(query: str) -> list[tuple[str, str]]:
        body = requests.get(f"{host.url}/_mock/events{query}", timeout=5).json()
        return [(item["event"], item["distinct_id"]) for item in body["events"]]

    assert fetch("") == [("a", "u1"), ("b", "u1"), ("a", "u2")]
    assert fetch("?event=a") == [("a", "u1"), ("a", "u2")]
    assert fetch("?distinct_id=u1") == [("a", "u1"), ("b", "u1")]
    assert fetch("?event=a&distinct_id=u2") == [("a", "u2")]
    assert fetch("?limit=1") == [("a", "u2")]


def test_events_api_returns_events_after_a_sequence_number(host: MockPostHogHost) -> None:
    send(host, event("first"))
    last_seq = requests.get(host.url + "/_mock/events", timeout=5).json()["last_seq"]
    send(host, event("second"))

    body = requests.get(f"{host.url}/_mock/events?since={last_seq}", timeout=5).json()

    assert [item["event"] for item in body["events"]] == ["second"]
    assert body["events"][0]["raw"]["properties"] == {"plan": "pro"}
    assert body["events"][0]["token"] == TOKEN


def test_delete_clears_events(host: MockPostHogHost) -> None:
    send(host, event())
    generation = requests.get(host.url + "/_mock/events", timeout=5).json()["generation"]

    assert requests.delete(host.url + "/_mock/events", timeout=5).status_code == 200

    body = requests.get(host.url + "/_mock/events", timeout=5).json()
    assert body["events"] == []
    assert body["generation"] == generation + 1
    assert host.events() == []


def test_wait_for_returns_once_events_arrive(host: MockPostHogHost) -> None:
    timer = threading.Timer(0.2, lambda: send(host, event("late"), event("late")))
    timer.start()

    arrived = host.wait_for(2, timeout=5, event="late")

    timer.join()
    assert [e.event for e in arrived] == ["late", "late"]


def test_wait_for_times_out_saying_what_arrived(host: MockPostHogHost) -> None:
    send(host, event("other"))

    with pytest.raises(TimeoutError, match=r"expected 1 'wanted' events within 0.2s, got 0"):
        host.wait_for(1, timeout=0.2, event="wanted")


def test_faults_from_the_constructor_are_consumed_in_order() -> None:
    faults = [Fault(503, retry_after=7), Fault(429)]
    with MockPostHogHost(faults=faults) as host:
        first, second, third = (send(host, event(str(i))) for i in range(3))

        assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
        assert first.json()["status"] == 503
        assert second.status_code == 429
        assert "Retry-After" not in second.headers
        assert third.status_code == 200
        assert [e.event for e in host.events()] == ["2"]


def test_faults_through_the_control_endpoint(host: MockPostHogHost) -> None:
    faults = [{"status": 500}, {"status": 502, "retry_after": 1}]
    response = requests.post(host.url + "/_mock/faults", json={"faults": faults}, timeout=5)
    assert response.status_code == 200
    assert [f["status"] for f in response.json()["faults"]] == [500, 502]

    assert send(host, event()).status_code == 500
    listed = requests.get(host.url + "/_mock/faults", timeout=5).json()["faults"]
    assert [f["status"] for f in listed] == [502]

    assert requests.delete(host.url + "/_mock/faults", timeout=5).ok
    assert send(host, event()).status_code == 200


def test_faults_apply_to_ingestion_only(host: MockPostHogHost) -> None:
    host.inject(Fault(500))

    assert requests.post(host.url + "/flags/?v=4", json={}, timeout=5).status_code == 200
    assert requests.get(host.url + "/_mock/events", timeout=5).status_code == 200
    assert send(host, event()).status_code == 500


def test_delay_fault_slows_one_request_but_not_others(host: MockPostHogHost) -> None:
    host.inject(Fault(200, delay=0.5))
    finished: dict[str, float] = {}

    def send_and_time(name: str) -> None:
        assert send(host, event(name)).status_code == 200
        finished[name] = time.monotonic()

    started = time.monotonic()
    slow = threading.Thread(target=send_and_time, args=("slow",))
    slow.start()
    while host.faults.pending():
        time.sleep(0.01)  # the slow request has taken the fault
    send_and_time("fast")
    slow.join()

    assert finished["fast"] < finished["slow"]
    assert finished["slow"] - started >= 0.5
    assert sorted(e.event for e in host.events()) == ["fast", "slow"]


@pytest.mark.parametrize(
    "payload",
    [
        {"faults": [{"status": 42}]},
        [{"status": "503"}],
        {"faults": "x"},
        [{"status": 503, "delay": -1}],
    ],
    ids=["bad-status", "string-status", "not-a-list", "negative-delay"],
)
def test_invalid_faults_are_400(host: MockPostHogHost, payload: object) -> None:
    response = requests.post(host.url + "/_mock/faults", json=payload, timeout=5)

    assert response.status_code == 400
    assert host.faults.pending() == []


def test_record_file_gets_one_json_line_per_event(tmp_path: Path) -> None:
    record = tmp_path / "events.jsonl"
    with MockPostHogHost(record=record) as host:
        send(host, event("one"), event("two", distinct_id=5))
        send(host, event("", distinct_id="refused"))

    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(line["event"], line["distinct_id"]) for line in lines] == [
        ("one", "user-1"),
        ("two", "5"),
    ]
    assert lines[1]["raw"]["distinct_id"] == 5
