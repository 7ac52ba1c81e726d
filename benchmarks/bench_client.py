"""Compare the bundled client with the official ``posthog`` SDK against one local server.

Both clients send the same number of events, in batches of the same size, to the same
threaded HTTP server on 127.0.0.1 (run in its own process so that its JSON parsing does
not compete with the clients for the GIL). Reported for each client:

- capture cost: wall time of the ``capture()`` loop divided by the number of calls;
- end-to-end throughput: events divided by the time from the first ``capture()`` to the
  moment the server has received the last event.

Usage: ``python benchmarks/bench_client.py [--events N] [--batch-size N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from multiprocessing.sharedctypes import Synchronized
from typing import Any, Protocol

import posthog

from posthog_setup.client import Client

CAPTURE_TARGET = 0.25
"""The bundled client's capture() should cost at most this fraction of the SDK's."""

THROUGHPUT_TARGET = 3.0
"""The bundled client should deliver at least this many times more events per second."""


class ServerCounters:
    """Counters shared between the benchmark and the server process."""

    def __init__(self) -> None:
        self.received: Synchronized[int] = multiprocessing.Value("q", 0)
        self.target: Synchronized[int] = multiprocessing.Value("q", 0)
        self.finished_at: Synchronized[float] = multiprocessing.Value("d", 0.0)
        self.done = multiprocessing.Event()

    def expect(self, events: int) -> None:
        """Reset the counters and wait for ``events`` more events."""
        with self.received.get_lock():
            self.received.value = 0
            self.target.value = events
            self.finished_at.value = 0.0
            self.done.clear()


def _serve(port_out: Synchronized[int], counters: ServerCounters) -> None:
    """Run the ingestion server until the process is terminated."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        answer = json.dumps({"status": 1}).encode()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            events = len(json.loads(body)["batch"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.answer)))
            self.end_headers()
            self.wfile.write(self.answer)
            with counters.received.get_lock():
                counters.received.value += events
                reached = 0 < counters.target.value <= counters.received.value
                if reached and not counters.done.is_set():
                    # CLOCK_MONOTONIC is system-wide on Linux and macOS, so the
                    # benchmark process can compare it with its own readings.
                    counters.finished_at.value = time.monotonic()
                    counters.done.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port_out.value = httpd.server_address[1]
    httpd.serve_forever(poll_interval=0.05)


class CaptureClient(Protocol):
    """The common ground of the two clients, as far as this benchmark goes."""

    def capture_one(self, index: int) -> None:
        """Capture one event."""

    def close(self) -> None:
        """Flush and stop."""


@dataclass(frozen=True)
class RunResult:
    """One measured run."""

    capture_us: float
    events_per_second: float


def _properties(index: int) -> dict[str, Any]:
    return {"plan": "pro", "step": index, "path": "/checkout", "value": 12.5}


class OfficialSdk:
    """The official SDK configured with the same batch size."""

    def __init__(self, host: str, api_key: str, batch_size: int, queue_size: int) -> None:
        self._client = posthog.Posthog(
            api_key,
            host=host,
            flush_at=batch_size,
            flush_interval=0.5,
            max_queue_size=queue_size,
        )

    def capture_one(self, index: int) -> None:
        """Capture one event."""
        self._client.capture("checkout_step", distinct_id="user-1", properties=_properties(index))

    def close(self) -> None:
        """Flush and stop."""
        self._client.shutdown()


class BundledClient:
    """The bundled client configured with the same batch size."""

    def __init__(self, host: str, api_key: str, batch_size: int, queue_size: int) -> None:
        self._client = Client(
            api_key,
            host=host,
            flush_at=batch_size,
            flush_interval=0.5,
            max_queue_size=queue_size,
        )

    def capture_one(self, index: int) -> None:
        """Capture one event."""
        self._client.capture("user-1", "checkout_step", _properties(index))

    def close(self) -> None:
        """Flush and stop."""
        self._client.shutdown()


ClientMaker = Callable[[str, str, int, int], CaptureClient]


def measure(
    make: ClientMaker, host: str, counters: ServerCounters, events: int, batch_size: int
) -> RunResult:
    """Capture ``events`` events with a fresh client; time the calls and the delivery."""
    client = make(host, "phc_bench", batch_size, events)
    # Warm up: open the keep-alive connection and start the sender thread.
    counters.expect(batch_size)
    for index in range(batch_size):
        client.capture_one(index)
    if not counters.done.wait(30):
        raise RuntimeError("warm-up events never arrived")

    counters.expect(events)
    capture = client.capture_one
    started = time.monotonic()
    for index in range(events):
        capture(index)
    captured = time.monotonic()
    if not counters.done.wait(120):
        raise RuntimeError(f"only {counters.received.value} of {events} events arrived")
    delivered = counters.finished_at.value
    client.close()
    return RunResult(
        capture_us=(captured - started) / events * 1e6,
        events_per_second=events / (delivered - started),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    # The SDK logs a warning per failed request; keep the table readable.
    logging.getLogger("posthog").setLevel(logging.ERROR)
    os.environ.pop("POSTHOG_CAPTURE_MODE", None)

    counters = ServerCounters()
    port: Synchronized[int] = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(port, counters), daemon=True)
    server.start()
    while port.value == 0:
        time.sleep(0.01)
    host = f"http://127.0.0.1:{port.value}"

    contenders: list[tuple[str, ClientMaker]] = [
        (f"posthog {metadata.version('posthog')} (official)", OfficialSdk),
        ("posthog_setup.client", BundledClient),
    ]
    results: dict[str, list[RunResult]] = {name: [] for name, _ in contenders}
    try:
        # Interleave the runs so that drift in machine load affects both alike.
        for _ in range(options.repeat):
            for name, make in contenders:
                results[name].append(
                    measure(make, host, counters, options.events, options.batch_size)
                )
    finally:
        server.terminate()
        server.join(5)

    medians = {
        name: RunResult(
            capture_us=statistics.median(r.capture_us for r in runs),
            events_per_second=statistics.median(r.events_per_second for r in runs),
        )
        for name, runs in results.items()
    }
    official, bundled = (medians[name] for name, _ in contenders)
    capture_ratio = bundled.capture_us / official.capture_us
    throughput_ratio = bundled.events_per_second / official.events_per_second

    print(
        f"{options.events:,} events, batches of {options.batch_size}, "
        f"median of {options.repeat} runs, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, server {host}"
    )
    print()
    print(f"{'client':<34} {'capture() µs/call':>18} {'end-to-end events/s':>20}")
    for name, result in medians.items():
        print(f"{name:<34} {result.capture_us:>18.2f} {result.events_per_second:>20,.0f}")
    print()
    capture_ok = capture_ratio <= CAPTURE_TARGET
    throughput_ok = throughput_ratio >= THROUGHPUT_TARGET
    print(
        f"capture cost, bundled / official:   {capture_ratio:6.3f}  "
        f"(1/{1 / capture_ratio:.1f}; target <= {CAPTURE_TARGET})  "
        f"{'ok' if capture_ok else 'MISSED'}"
    )
    print(
        f"throughput, bundled / official:     {throughput_ratio:6.2f}x "
        f"(target >= {THROUGHPUT_TARGET}x)  {'ok' if throughput_ok else 'MISSED'}"
    )
    return 0 if capture_ok and throughput_ok else 1


if __name__ == "__main__":
    # Threads exist before the server starts; a fresh interpreter is the safe start.
    multiprocessing.set_start_method("spawn")
    sys.exit(main())
