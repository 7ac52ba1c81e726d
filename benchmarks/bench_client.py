"""Compare the bundled client with the official ``posthog`` SDK against one local server.

The server runs on 127.0.0.1 in its own process (so that its JSON parsing does not compete
with the clients for the GIL). It answers each request in one write with TCP_NODELAY, after
an optional delay that stands in for the network's round trip. Three legs:

- loopback (no delay), batches of ``--batch-size``: ``capture()`` cost per call, and
  end-to-end throughput (events divided by the time from the first ``capture()`` to the
  moment the server has received the last event; the loop ends with ``flush()``, as a
  batch job's would, so neither client's last partial batch waits out its interval);
- a 50 ms round trip, both clients at ``flush_at`` 20 and at 100: end-to-end throughput;
- a sustained rate (1,000 events/s for ``--sustained-seconds``) against the 50 ms server,
  both clients at their defaults: events dropped (refused by ``capture`` or never delivered)
  and events/s delivered while capturing.

Runs of the two clients alternate, and each ratio is printed as min / median / max over the
pairs of runs, so drift in machine load shows as spread instead of skewing one side.

Usage: ``python benchmarks/bench_client.py [--events N] [--rtt-events N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
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

ROUND_TRIP = 0.05
"""Seconds the server waits before answering in the round-trip legs."""

SUSTAINED_RATE = 1_000
"""Events per second offered in the sustained leg."""


class ServerCounters:
    """Counters shared between the benchmark and the server process."""

    def __init__(self) -> None:
        self.received: Synchronized[int] = multiprocessing.Value("q", 0)
        self.target: Synchronized[int] = multiprocessing.Value("q", 0)
        self.finished_at: Synchronized[float] = multiprocessing.Value("d", 0.0)
        self.delay: Synchronized[float] = multiprocessing.Value("d", 0.0)
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
    body = json.dumps({"status": 1}).encode()
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            events = len(json.loads(data)["batch"])
            delay = counters.delay.value
            if delay:
                time.sleep(delay)
            # Status line, headers and body in one write: one segment, no Nagle stall.
            self.wfile.write(answer)
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

    def flush(self) -> None:
        """Send what is queued now, without waiting for the batch to fill."""

    def close(self) -> None:
        """Flush and stop."""


def _properties(index: int) -> dict[str, Any]:
    return {"plan": "pro", "step": index, "path": "/checkout", "value": 12.5}


class OfficialSdk:
    """The official SDK; ``batch_size`` None keeps its defaults."""

    def __init__(self, host: str, batch_size: int | None, queue_size: int | None) -> None:
        options: dict[str, Any] = {}
        if batch_size is not None:
            options.update(flush_at=batch_size, flush_interval=0.5)
        if queue_size is not None:
            options["max_queue_size"] = queue_size
        self._client = posthog.Posthog("phc_bench", host=host, **options)

    def capture_one(self, index: int) -> None:
        """Capture one event."""
        self._client.capture("checkout_step", distinct_id="user-1", properties=_properties(index))

    def flush(self) -> None:
        """Send what is queued now, without waiting for the batch to fill."""
        self._client.flush(timeout_seconds=300)

    def close(self) -> None:
        """Flush and stop."""
        self._client.shutdown()


class BundledClient:
    """The bundled client; ``batch_size`` None keeps its defaults."""

    def __init__(self, host: str, batch_size: int | None, queue_size: int | None) -> None:
        options: dict[str, Any] = {}
        if batch_size is not None:
            options.update(flush_at=batch_size, flush_interval=0.5)
        if queue_size is not None:
            options["max_queue_size"] = queue_size
        self._client = Client("phc_bench", host=host, **options)

    def capture_one(self, index: int) -> None:
        """Capture one event."""
        self._client.capture("user-1", "checkout_step", _properties(index))

    def flush(self) -> None:
        """Send what is queued now, without waiting for the batch to fill."""
        self._client.flush(timeout=300)

    def close(self) -> None:
        """Flush and stop."""
        self._client.shutdown(30.0)


ClientMaker = Callable[[str, "int | None", "int | None"], CaptureClient]


@dataclass(frozen=True)
class RunResult:
    """One measured run."""

    capture_us: float
    events_per_second: float


@dataclass(frozen=True)
class SustainedResult:
    """One run at a fixed offered rate."""

    offered: int
    delivered: int
    delivered_per_second: float

    @property
    def dropped(self) -> int:
        """Events offered but never delivered."""
        return self.offered - self.delivered


def measure(
    make: ClientMaker, host: str, counters: ServerCounters, events: int, batch_size: int
) -> RunResult:
    """Capture ``events`` events with a fresh client; time the calls and the delivery."""
    client = make(host, batch_size, events)
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
    client.flush()
    if not counters.done.wait(300):
        raise RuntimeError(f"only {counters.received.value} of {events} events arrived")
    delivered = counters.finished_at.value
    client.close()
    return RunResult(
        capture_us=(captured - started) / events * 1e6,
        events_per_second=events / (delivered - started),
    )


def measure_sustained(
    make: ClientMaker, host: str, counters: ServerCounters, seconds: float
) -> SustainedResult:
    """Offer ``SUSTAINED_RATE`` events/s for ``seconds`` to a client at its defaults."""
    client = make(host, None, None)
    offered = int(SUSTAINED_RATE * seconds)
    counters.expect(offered)
    started = time.monotonic()
    index = 0
    while index < offered:
        # Catch up with the schedule every millisecond or so, as a steady stream would.
        due = min(offered, int((time.monotonic() - started) * SUSTAINED_RATE) + 1)
        while index < due:
            client.capture_one(index)
            index += 1
        time.sleep(0.001)
    capture_end = time.monotonic()
    in_window = counters.received.value
    # Whatever the client still holds gets its shutdown; what never arrives is a drop.
    client.close()
    counters.done.wait(5)
    return SustainedResult(
        offered=offered,
        delivered=counters.received.value,
        delivered_per_second=in_window / (capture_end - started),
    )


def spread(values: Sequence[float]) -> str:
    """``min / median / max`` of ``values``."""
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run the legs and print the tables; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events per loopback run")
    parser.add_argument("--batch-size", type=int, default=100, help="flush_at on loopback")
    parser.add_argument("--rtt-events", type=int, default=3_000, help="events per 50 ms run")
    parser.add_argument("--sustained-seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per client and leg")
    options = parser.parse_args(argv)
    # The SDK logs a warning per failed request; keep the table readable.
    logging.getLogger("posthog").setLevel(logging.ERROR)
    logging.getLogger("posthog_setup.client").setLevel(logging.ERROR)
    os.environ.pop("POSTHOG_CAPTURE_MODE", None)

    counters = ServerCounters()
    port: Synchronized[int] = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(port, counters), daemon=True)
    server.start()
    while port.value == 0:
        time.sleep(0.01)
    host = f"http://127.0.0.1:{port.value}"

    official_name = f"posthog {metadata.version('posthog')} (official)"
    contenders: list[tuple[str, ClientMaker]] = [
        (official_name, OfficialSdk),
        ("posthog_setup.client", BundledClient),
    ]
    legs = [("loopback", 0.0, options.batch_size, options.events)] + [
        (f"50 ms RTT, flush_at {size}", ROUND_TRIP, size, options.rtt_events) for size in (20, 100)
    ]
    throughput: dict[tuple[str, str], list[RunResult]] = {}
    sustained: dict[str, list[SustainedResult]] = {name: [] for name, _ in contenders}
    try:
        # Interleave the runs so that drift in machine load affects both alike.
        for leg, delay, batch_size, events in legs:
            counters.delay.value = delay
            for _ in range(options.repeat):
                for name, make in contenders:
                    result = measure(make, host, counters, events, batch_size)
                    throughput.setdefault((leg, name), []).append(result)
        counters.delay.value = ROUND_TRIP
        for _ in range(options.repeat):
            for name, make in contenders:
                sustained[name].append(
                    measure_sustained(make, host, counters, options.sustained_seconds)
                )
    finally:
        server.terminate()
        server.join(5)

    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, server {host}; "
        f"{options.repeat} interleaved runs per client and leg; ratios are min / median / max"
    )
    ok = True
    for leg, _, batch_size, events in legs:
        print()
        print(f"{leg}: {events:,} events, flush_at {batch_size}")
        print(f"  {'client':<34} {'capture() µs/call':>18} {'end-to-end events/s':>20}")
        for name, _ in contenders:
            runs = throughput[leg, name]
            capture = statistics.median(r.capture_us for r in runs)
            rate = statistics.median(r.events_per_second for r in runs)
            print(f"  {name:<34} {capture:>18.2f} {rate:>20,.0f}  (median)")
        pairs = list(
            zip(
                throughput[leg, official_name], throughput[leg, "posthog_setup.client"], strict=True
            )
        )
        rates = [
            bundled.events_per_second / official.events_per_second for official, bundled in pairs
        ]
        rate_ok = min(rates) >= THROUGHPUT_TARGET
        ok = ok and rate_ok
        print(
            f"  throughput, bundled / official:   {spread(rates)}x  "
            f"(target >= {THROUGHPUT_TARGET}x)  {'ok' if rate_ok else 'MISSED'}"
        )
        if leg == "loopback":
            costs = [bundled.capture_us / official.capture_us for official, bundled in pairs]
            cost_ok = max(costs) <= CAPTURE_TARGET
            ok = ok and cost_ok
            print(
                f"  capture cost, bundled / official: {spread(costs)}   "
                f"(target <= {CAPTURE_TARGET})  {'ok' if cost_ok else 'MISSED'}"
            )

    print()
    offered = sustained[official_name][0].offered if sustained[official_name] else 0
    print(
        f"sustained {SUSTAINED_RATE:,} events/s for {options.sustained_seconds:g} s "
        f"({offered:,} events), 50 ms RTT, both clients at their defaults"
    )
    print(f"  {'client':<34} {'dropped (per run)':>22} {'delivered events/s':>20}")
    for name, _ in contenders:
        steady = sustained[name]
        drops = ", ".join(str(r.dropped) for r in steady)
        rate = statistics.median(r.delivered_per_second for r in steady)
        print(f"  {name:<34} {drops:>22} {rate:>20,.0f}  (median)")
    bundled_drops = max(r.dropped for r in sustained["posthog_setup.client"])
    drops_ok = bundled_drops == 0
    ok = ok and drops_ok
    print(
        f"  bundled client drops: {bundled_drops} at most (target 0)  "
        f"{'ok' if drops_ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    # Threads exist before the server starts; a fresh interpreter is the safe start.
    multiprocessing.set_start_method("spawn")
    sys.exit(main())
