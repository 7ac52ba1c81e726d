"""Queue, flush, shutdown, exit, fork and serverless behaviour."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Mapping

import pytest

from posthog_setup.client import Client, ClientStats, QueueFullError, TransportResponse

from .conftest import API_KEY, ClientFactory, RecordingServer, Reply


def test_shutdown_drains_the_queue(server: RecordingServer, make_client: ClientFactory) -> None:
    client = make_client(flush_at=1000, flush_interval=60)
    ids = [client.capture("u", f"e{i}") for i in range(50)]
    assert server.requests == []

    assert client.shutdown(5.0) is True
    assert [e["uuid"] for e in server.events] == ids
    assert client.stats == ClientStats(captured=50, sent=50)


def test_capture_after_shutdown_is_dropped(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1, flush_interval=60)
    client.shutdown(1.0)
    client.capture("u", "late")
    assert client.stats.dropped == 1
    assert server.requests == []

    strict = make_client(flush_at=1, flush_interval=60, debug=True)
    strict.shutdown(1.0)
    with pytest.raises(RuntimeError, match="shut down"):
        strict.capture("u", "late")


def test_context_manager_shuts_down_on_exit(server: RecordingServer) -> None:
    with Client(API_KEY, host=server.url, flush_at=100, flush_interval=60) as client:
        event_id = client.capture("u", "inside")
        assert server.requests == []
    assert [e["uuid"] for e in server.events] == [event_id]


def test_flush_interval_sends_a_partial_batch(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1000, flush_interval=0.2)
    started = time.monotonic()
    client.capture("u", "lonely")

    (request,) = server.wait_for_requests(1, timeout=3.0)
    assert 0.1 <= request.received_at - started < 1.5


def test_flush_at_triggers_a_send_without_waiting(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=10, flush_interval=60)
    for i in range(9):
        client.capture("u", f"e{i}")
    time.sleep(0.3)
    assert server.requests == []

    client.capture("u", "e9")
    server.wait_for_events(10, timeout=3.0)
    assert [len(r.batch) for r in server.requests] == [10]


def test_a_batch_takes_the_whole_backlog_while_the_server_is_slow(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(200, delay=0.3)
    client = make_client(flush_at=5, flush_interval=60, max_in_flight=1)
    ids = [client.capture("u", f"e{i}") for i in range(5)]
    server.wait_for_requests(1, timeout=3.0)
    ids += [client.capture("u", f"e{i}") for i in range(5, 100)]
    assert client.flush(5.0)

    # Not nineteen more requests of five: one carrying everything that waited.
    assert [len(r.batch) for r in server.requests] == [5, 95]
    assert [e["uuid"] for e in server.events] == ids


@pytest.mark.parametrize("max_in_flight", [1, 3])
def test_up_to_max_in_flight_requests_wait_on_the_server_at_once(
    server: RecordingServer, make_client: ClientFactory, max_in_flight: int
) -> None:
    server.responder = lambda payload: Reply(200, delay=0.4)
    client = make_client(flush_at=1, flush_interval=60, max_in_flight=max_in_flight)
    started = time.monotonic()
    for i in range(4):
        client.capture("u", f"e{i}")
        server.wait_for_requests(min(i + 1, max_in_flight), timeout=3.0)
    early = [r for r in server.requests if r.received_at - started < 0.3]
    assert len(early) == max_in_flight
    assert client.flush(5.0)
    assert len(server.events) == 4


def test_full_queue_drops_new_events_and_counts_them(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1000, flush_interval=60, max_queue_size=5)
    ids = [client.capture("u", f"e{i}") for i in range(8)]
    assert client.stats.captured == 5
    assert client.stats.dropped == 3

    assert client.flush(5.0)
    assert [e["uuid"] for e in server.events] == ids[:5]

    strict = make_client(flush_at=1000, flush_interval=60, max_queue_size=1, debug=True)
    strict.capture("u", "fits")
    with pytest.raises(QueueFullError):
        strict.capture("u", "overflows")


def test_oversized_event_is_dropped_and_others_delivered(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=2, flush_interval=60)
    client.capture("u", "huge", {"blob": "x" * (950 * 1024)})
    client.capture("u", "small")
    assert client.flush(5.0)

    assert [e["event"] for e in server.events] == ["small"]
    assert client.stats.dropped == 1
    assert client.stats.sent == 1


def test_batches_are_split_below_five_mib(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=100, flush_interval=60)
    ids = [client.capture("u", f"e{i}", {"blob": "y" * (600 * 1024)}) for i in range(12)]
    assert client.flush(10.0)

    assert len(server.requests) >= 2
    assert all(len(r.raw_body) < 5 * 1024 * 1024 for r in server.requests)
    # Requests may overlap, so only the order within each is fixed.
    assert sorted(e["uuid"] for e in server.events) == sorted(ids)
    for request in server.requests:
        assert request.uuids == sorted(request.uuids, key=ids.index)


class _BrokenTransport:
    """A transport whose every call fails the way a buggy adapter might."""

    def __init__(self) -> None:
        self.calls = 0

    def send(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> TransportResponse:
        self.calls += 1
        raise RuntimeError("adapter bug")


def test_transport_exceptions_never_reach_the_caller(make_client: ClientFactory) -> None:
    transport = _BrokenTransport()
    client = make_client(flush_at=0, transport=transport, retry_count=2)
    event_id = client.capture("u", "e")

    assert event_id
    assert transport.calls == 3
    assert client.stats.failed == 1


def _cpu_seconds_while_idle(seconds: float) -> float:
    started = time.process_time()
    time.sleep(seconds)
    return time.process_time() - started


@pytest.mark.parametrize("mode", [{"flush_at": 0}, {"flush_interval": 0}])
def test_serverless_mode_sends_from_the_caller(
    mode: dict[str, float], server: RecordingServer, make_client: ClientFactory
) -> None:
    threads_before = set(threading.enumerate())
    server.script(503)
    client = make_client(**mode)
    first = client.capture("u", "first")
    # Delivered, with a retry, before capture returned.
    assert [r.status for r in server.requests] == [503, 200]
    assert server.events[0]["uuid"] == first
    second = client.capture("u", "second")
    assert [e["uuid"] for e in server.events] == [first, second]
    assert client.stats == ClientStats(captured=2, sent=2, retried=1)
    new_threads = set(threading.enumerate()) - threads_before
    assert not any(thread.name == "posthog-setup-client" for thread in new_threads)


@pytest.mark.parametrize(
    "mode",
    [{"flush_at": 0}, {"flush_interval": 0}, {"flush_at": 20, "flush_interval": 10.0}],
)
def test_idle_client_uses_no_cpu(
    mode: dict[str, float], server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(**mode)
    for i in range(30):
        client.capture("u", f"e{i}")
    # A thread that spins burns about a whole second here; an idle one, nothing.
    assert _cpu_seconds_while_idle(1.0) < 0.1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_child_sends_only_its_own_events(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1000, flush_interval=60)
    parent_ids = [client.capture("parent", f"p{i}") for i in range(5)]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child process
        exit_code = 1
        try:
            os.close(read_end)
            child_ids = [client.capture("child", f"c{i}") for i in range(3)]
            flushed = client.flush(5.0)
            stats = client.stats
            os.write(write_end, ",".join(child_ids).encode())
            ok = flushed and dataclasses.astuple(stats) == (3, 3, 0, 0, 0)
            exit_code = 0 if ok else 2
        finally:
            os._exit(exit_code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child_ids = pipe.read().decode().split(",")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

    assert [e["uuid"] for e in server.events] == child_ids
    assert {e["distinct_id"] for e in server.events} == {"child"}
    assert client.flush(5.0)
    delivered = [e["uuid"] for e in server.events]
    assert delivered == child_ids + parent_ids
    assert len(set(delivered)) == 8
    assert client.stats.sent == 5


_EXIT_SCRIPT = """
import atexit
import sys
from posthog_setup.client import Client

def report():
    stats = client.stats
    print("stats", stats.captured, stats.sent, stats.failed, flush=True)

def on_error(error, batch):
    print("on_error", len(batch), flush=True)

# atexit runs handlers last-registered first: this one runs after the client's.
atexit.register(report)
client = Client("phc_exit", host=sys.argv[1], flush_at=1000, flush_interval=60,
                exit_timeout=float(sys.argv[2]), on_error=on_error)
for i in range(5):
    client.capture("u", f"exit{i}")
"""


def _run_exit_script(url: str, exit_timeout: float) -> tuple[float, list[str]]:
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_EXIT_SCRIPT), url, str(exit_timeout)],
        check=True,
        timeout=20,
        capture_output=True,
        text=True,
    )
    return time.monotonic() - started, finished.stdout.splitlines()


def test_queued_events_are_flushed_at_interpreter_exit(server: RecordingServer) -> None:
    _, printed = _run_exit_script(server.url, exit_timeout=5.0)
    assert [e["event"] for e in server.events] == [f"exit{i}" for i in range(5)]
    assert printed == ["stats 5 5 0"]


def test_exit_flush_gives_up_at_its_deadline(server: RecordingServer) -> None:
    server.responder = lambda payload: Reply(200, delay=4.0)
    elapsed, printed = _run_exit_script(server.url, exit_timeout=0.3)
    assert elapsed < 3.5
    # The request did go out; the process did not wait for the answer, and says so.
    assert len(server.wait_for_requests(1, timeout=5.0)) == 1
    assert printed == ["on_error 5", "stats 5 0 5"]


def test_a_queued_event_costs_about_its_wire_size_in_memory(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=100_000, flush_interval=60, max_queue_size=100_000)
    client.capture("u", "warm-up")
    count = 5_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            client.capture(f"user-{i}", "checkout_step", {"plan": "pro", "step": i, "x": 1.5})
        per_event = (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()
    assert client.flush(10.0)
    wire = len(json.dumps(server.events[-1], separators=(",", ":")))
    # The queue holds the encoded JSON (plus a bytes header and a deque slot), not the
    # caller's dicts, strings and floats.
    assert per_event < wire + 100


def test_changing_properties_after_capture_does_not_change_the_event(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=1000, flush_interval=60)
    properties: dict[str, object] = {"plan": "free", "tags": ["a"]}
    client.capture("u", "upgraded", properties)
    properties["plan"] = "pro"
    properties["tags"].append("b")  # type: ignore[attr-defined]
    assert client.flush(5.0)

    (event,) = server.events
    assert event["properties"]["plan"] == "free"
    assert event["properties"]["tags"] == ["a"]
