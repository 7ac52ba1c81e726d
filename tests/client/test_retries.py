"""Fault handling: which answers are retried, how long the client waits, 413 splitting."""

from __future__ import annotations

import time
from typing import Any

import pytest

from posthog_setup.client import ClientStats, DeliveryError

from .conftest import ClientFactory, RecordingServer, Reply

Failures = list[tuple[Exception, list[dict[str, Any]]]]


def _collect(failures: Failures) -> Any:
    def on_error(error: Exception, batch: list[dict[str, Any]]) -> None:
        failures.append((error, batch))

    return on_error


def test_503_twice_then_200_delivers_once_with_identical_events(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.script(503, 503)
    client = make_client(flush_at=3, flush_interval=60)
    ids = [client.capture("u", f"e{i}") for i in range(3)]
    assert client.flush(5.0)

    first, second, third = server.requests
    assert [r.status for r in server.requests] == [503, 503, 200]
    assert first.uuids == second.uuids == third.uuids == ids
    assert (
        [e["timestamp"] for e in first.batch]
        == [e["timestamp"] for e in second.batch]
        == [e["timestamp"] for e in third.batch]
    )
    assert [e["uuid"] for e in server.events] == ids
    assert client.stats.sent == 3
    assert client.stats.retried == 2
    assert client.stats.failed == 0


@pytest.mark.parametrize("status", [500, 502, 504, 408, 429, 204])
def test_retryable_statuses_are_repeated(
    status: int, server: RecordingServer, make_client: ClientFactory
) -> None:
    server.script(status)
    client = make_client(flush_at=1, flush_interval=60)
    client.capture("u", "e")
    assert client.flush(5.0)

    assert [r.status for r in server.requests] == [status, 200]
    assert client.stats.sent == 1


def test_429_retry_after_is_honoured(server: RecordingServer, make_client: ClientFactory) -> None:
    server.script(Reply(429, {"Retry-After": "1"}))
    client = make_client(flush_at=1, flush_interval=60, backoff_base=0.001)
    client.capture("u", "throttled")
    assert client.flush(5.0)

    refused, accepted = server.requests
    assert refused.status == 429
    assert accepted.status == 200
    assert accepted.received_at - refused.received_at >= 0.95


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(
    status: int, server: RecordingServer, make_client: ClientFactory
) -> None:
    server.script(status)
    failures: Failures = []
    client = make_client(flush_at=2, flush_interval=60, on_error=_collect(failures))
    ids = [client.capture("u", "a"), client.capture("u", "b")]
    assert client.flush(5.0)

    assert len(server.requests) == 1
    assert client.stats.failed == 2
    assert client.stats.retried == 0
    ((error, batch),) = failures
    assert isinstance(error, DeliveryError)
    assert error.status == status
    assert [event["uuid"] for event in batch] == ids


def test_retries_stop_after_retry_count(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(500)
    failures: Failures = []
    client = make_client(flush_at=1, flush_interval=60, retry_count=2, on_error=_collect(failures))
    client.capture("u", "doomed")
    assert client.flush(5.0)

    assert [r.status for r in server.requests] == [500, 500, 500]
    assert client.stats.retried == 2
    assert client.stats.failed == 1
    assert failures[0][0].args[0].endswith("server answered HTTP 500 (after 2 retries)")


def test_413_splits_the_batch_in_halves_recursively(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(413) if len(payload["batch"]) > 2 else None
    client = make_client(flush_at=8, flush_interval=60)
    ids = [client.capture("u", f"e{i}") for i in range(8)]
    assert client.flush(5.0)

    sizes = [len(r.batch) for r in server.requests]
    assert sizes == [8, 4, 2, 2, 4, 2, 2]
    assert [e["uuid"] for e in server.events] == ids
    assert client.stats.sent == 8
    assert client.stats.failed == 0


def test_413_for_a_single_event_gives_up(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(413)
    failures: Failures = []
    client = make_client(flush_at=1, flush_interval=60, on_error=_collect(failures))
    client.capture("u", "huge")
    assert client.flush(5.0)

    assert len(server.requests) == 1
    assert client.stats.failed == 1
    assert isinstance(failures[0][0], DeliveryError)
    assert failures[0][0].status == 413


def test_connection_refused_exhausts_retries_and_reports(
    closed_port_url: str, make_client: ClientFactory
) -> None:
    failures: Failures = []
    client = make_client(
        host=closed_port_url, flush_at=2, flush_interval=60, on_error=_collect(failures)
    )
    ids = [client.capture("u", "a"), client.capture("u", "b")]
    assert client.flush(5.0)

    stats = client.stats
    assert (stats.sent, stats.failed, stats.retried) == (0, 2, 3)
    ((error, batch),) = failures
    assert isinstance(error, DeliveryError)
    assert error.status is None
    assert "network error" in str(error)
    assert [event["uuid"] for event in batch] == ids


def test_timeout_is_retried_and_a_late_answer_is_not_trusted(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.script(Reply(200, delay=0.6))
    client = make_client(flush_at=1, flush_interval=60, timeout=0.2)
    event_id = client.capture("u", "slow")
    assert client.flush(5.0)

    # The server processed the first attempt, but the client never saw the 200;
    # it repeats with the same uuid so ingestion can deduplicate.
    requests = server.wait_for_requests(2)
    assert [r.uuids for r in requests] == [[event_id], [event_id]]
    assert client.stats.retried == 1
    assert client.stats.sent == 1


def test_slow_responses_within_the_timeout_are_delivered(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.script(Reply(200, delay=0.3))
    client = make_client(flush_at=1, flush_interval=60, timeout=2.0)
    client.capture("u", "slow-but-fine")
    assert client.flush(5.0)

    assert len(server.requests) == 1
    assert client.stats.sent == 1
    assert client.stats.retried == 0


def test_capture_does_not_wait_for_a_slow_server_and_shutdown_is_bounded(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(200, delay=0.5)
    failures: Failures = []
    client = make_client(
        flush_at=50, flush_interval=60, max_in_flight=1, on_error=_collect(failures)
    )
    first = [client.capture("u", f"e{i}") for i in range(50)]
    server.wait_for_requests(1, timeout=3.0)
    started = time.perf_counter()
    queued = [client.capture("u", f"e{i}") for i in range(50, 200)]
    assert time.perf_counter() - started < 0.25
    assert client.stats.captured == 200

    started = time.perf_counter()
    assert client.shutdown(timeout=0.2) is False
    assert time.perf_counter() - started < 1.5
    # The batch on the wire completes within the grace period; what was still queued is
    # abandoned, counted as failed and handed to on_error.
    assert [e["uuid"] for e in server.events] == first
    assert client.stats == ClientStats(captured=200, sent=50, failed=150)
    ((error, batch),) = failures
    assert isinstance(error, DeliveryError)
    assert "shut down" in str(error)
    assert [event["uuid"] for event in batch] == queued


def test_a_request_still_unanswered_at_shutdown_is_reported_once(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    server.responder = lambda payload: Reply(200, delay=2.5)
    failures: Failures = []
    client = make_client(flush_at=1, flush_interval=60, on_error=_collect(failures))
    event_id = client.capture("u", "slow")
    server.wait_for_requests(1, timeout=3.0)

    started = time.perf_counter()
    assert client.shutdown(timeout=0.1) is False
    assert time.perf_counter() - started < 2.0
    assert client.stats == ClientStats(captured=1, failed=1)
    ((error, batch),) = failures
    assert "delivery unknown" in str(error)
    assert [event["uuid"] for event in batch] == [event_id]

    # The late answer settles nothing a second time.
    time.sleep(max(0.0, 2.8 - (time.perf_counter() - started)))
    assert client.stats == ClientStats(captured=1, failed=1)
    assert len(failures) == 1


def test_batches_in_flight_are_retried_independently_with_the_same_events(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    attempts: dict[str, int] = {}

    def fail_first_batch_twice(payload: dict[str, Any]) -> Reply | None:
        name = payload["batch"][0]["event"]
        attempts[name] = attempts.get(name, 0) + 1
        if name == "a" and attempts[name] <= 2:
            return Reply(503, delay=0.2)
        return None

    server.responder = fail_first_batch_twice
    client = make_client(flush_at=1, flush_interval=60, max_in_flight=2, backoff_base=0.05)
    a = client.capture("u", "a")
    server.wait_for_requests(1, timeout=3.0)
    b = client.capture("u", "b")
    assert client.flush(5.0)

    tries_of_a = [r for r in server.requests if r.batch[0]["event"] == "a"]
    tries_of_b = [r for r in server.requests if r.batch[0]["event"] == "b"]
    assert [r.status for r in tries_of_a] == [503, 503, 200]
    assert all(r.uuids == [a] for r in tries_of_a)
    assert len({r.batch[0]["timestamp"] for r in tries_of_a}) == 1
    # b did not wait behind a's failing request.
    assert [r.uuids for r in tries_of_b] == [[b]]
    assert tries_of_b[0].received_at < tries_of_a[1].received_at
    assert client.stats == ClientStats(captured=2, sent=2, retried=2)


def test_a_raising_on_error_callback_is_contained(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    def explode(error: Exception, batch: list[dict[str, Any]]) -> None:
        raise RuntimeError("callback bug")

    server.script(400)
    client = make_client(flush_at=1, flush_interval=60, on_error=explode)
    client.capture("u", "rejected")
    assert client.flush(5.0)
    client.capture("u", "accepted")
    assert client.flush(5.0)

    assert [e["event"] for e in server.events] == ["accepted"]
    assert client.stats.failed == 1


def test_flush_and_shutdown_from_on_error_do_not_deadlock(
    server: RecordingServer, make_client: ClientFactory
) -> None:
    results: list[bool] = []

    def on_error(error: Exception, batch: list[dict[str, Any]]) -> None:
        results.append(client.flush(5.0))
        results.append(client.shutdown(5.0))

    server.script(400)
    client = make_client(flush_at=1, flush_interval=60, on_error=on_error)
    started = time.monotonic()
    client.capture("u", "rejected")
    assert client.flush(5.0)

    assert time.monotonic() - started < 2.0
    assert results == [False, False]
    client.capture("u", "after shutdown")
    assert client.stats.dropped == 1
