"""Many threads capturing at once: every event delivered exactly once."""

from __future__ import annotations

import threading

import pytest

from .conftest import ClientFactory, RecordingServer

THREADS = 8
EVENTS_PER_THREAD = 10_000


@pytest.mark.parametrize("max_in_flight", [1, 4])
def test_concurrent_captures_are_delivered_exactly_once(
    server: RecordingServer, make_client: ClientFactory, max_in_flight: int
) -> None:
    client = make_client(
        flush_at=200,
        flush_interval=60,
        max_queue_size=THREADS * EVENTS_PER_THREAD,
        max_in_flight=max_in_flight,
    )
    returned: list[list[str]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def produce(index: int) -> None:
        start.wait()
        ids = returned[index]
        for n in range(EVENTS_PER_THREAD):
            ids.append(client.capture(f"user-{index}", "tick", {"n": n}))

    workers = [threading.Thread(target=produce, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert client.flush(30.0)

    expected = [event_id for ids in returned for event_id in ids]
    delivered = [event["uuid"] for event in server.events]
    assert len(set(expected)) == THREADS * EVENTS_PER_THREAD
    assert len(delivered) == len(expected)
    assert set(delivered) == set(expected)
    # Each thread's events keep their order within every request, and with one
    # request at a time within the whole stream.
    for index in range(THREADS):
        per_request = [
            [e["properties"]["n"] for e in r.batch if e["distinct_id"] == f"user-{index}"]
            for r in server.accepted
        ]
        assert all(numbers == sorted(numbers) for numbers in per_request)
        if max_in_flight == 1:
            stream = [n for numbers in per_request for n in numbers]
            assert stream == list(range(EVENTS_PER_THREAD))
    stats = client.stats
    assert (stats.captured, stats.sent, stats.dropped, stats.failed) == (80_000, 80_000, 0, 0)
