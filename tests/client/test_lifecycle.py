"""Queue, flush, shutdown, exit, fork and serverless behaviour."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
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


def test_flush_at_sends_full_batches_without_waiting(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    client = make_client(flush_at=10, flush_interval=60)
    for i in range(25):
        client.capture("u", f"e{i}")

    server.wait_for_events(20, timeout=3.0)
    assert [len(r.batch) for r in server.requests] == [10, 10]
    assert client.flush(3.0)
    assert [len(r.batch) for r in server.requests] == [10, 10, 5]


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
    assert [e["uuid"] for e in server.events] == ids


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
import sys
from posthog_setup.client import Client

client = Client("phc_exit", host=sys.argv[1], flush_at=1000, flush_interval=60,
                exit_timeout=float(sys.argv[2]))
for i in range(5):
    client.capture("u", f"exit{i}")
"""


def _run_exit_script(url: str, exit_timeout: float) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_EXIT_SCRIPT), url, str(exit_timeout)],
        check=True,
        timeout=20,
    )
    return time.monotonic() - started


def test_queued_events_are_flushed_at_interpreter_exit(server: RecordingServer) -> None:
    _run_exit_script(server.url, exit_timeout=5.0)
    assert [e["event"] for e in server.events] == [f"exit{i}" for i in range(5)]


def test_exit_flush_gives_up_at_its_deadline(server: RecordingServer) -> None:
    server.responder = lambda payload: Reply(200, delay=4.0)
    elapsed = _run_exit_script(server.url, exit_timeout=0.3)
    assert elapsed < 3.5
    # The request did go out; the process just did not wait for the answer.
    assert len(server.wait_for_requests(1, timeout=5.0)) == 1
