"""Ingestion throughput of the mock host, relative to a bare standard-library HTTP server.

Both servers run in their own process (so the client's threads do not share their GIL) and are
driven by the same client loop: several threads, each with a keep-alive ``requests.Session``,
posting the same pre-built batches of 100 events for a fixed time. The bare server only reads
the body and answers 200; the ratio says what validation and recording cost on top of that.

    python benchmarks/bench_mockhost.py [--seconds 2] [--repeat 3] [--threads 4] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any

import requests

BODY = b'{"status": 1}'


class BareHandler(BaseHTTPRequestHandler):
    """The baseline: read the body, answer 200, nothing else."""

    protocol_version = "HTTP/1.1"
    # The same socket option the mock host sets, so the comparison is not about Nagle.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet, like the mock host."""


def serve_bare(ready: Connection) -> None:
    """Run the bare server; send its port through ``ready``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BareHandler)
    server.daemon_threads = True
    ready.send(server.server_address[1])
    server.serve_forever()


def serve_mock(ready: Connection) -> None:
    """Run the mock host (keeping only recent events, to bound memory); send its port."""
    from posthog_setup.mockhost import MockPostHogHost

    host = MockPostHogHost(max_events=10_000)
    host.bind()
    ready.send(host.port)
    host.serve_forever()


def make_batch(size: int) -> bytes:
    """A /batch/ body shaped like posthog-python's, with ``size`` events."""
    events = [
        {
            "properties": {
                "plan": "pro",
                "index": index,
                "$lib": "posthog-python",
                "$lib_version": "7.91.1",
                "$geoip_disable": True,
                "$is_server": True,
            },
            "timestamp": "2026-01-01T12:00:00.000000+00:00",
            "distinct_id": f"user-{index % 10}",
            "event": "benchmark_event",
            "uuid": str(uuid.uuid4()),
        }
        for index in range(size)
    ]
    envelope = {
        "batch": events,
        "historical_migration": False,
        "sent_at": "2026-01-01T12:00:00.000000+00:00",
        "api_key": "phc_benchmark",
    }
    return json.dumps(envelope).encode()


def drive(url: str, body: bytes, headers: dict[str, str], seconds: float, threads: int) -> float:
    """Post ``body`` from ``threads`` keep-alive clients for ``seconds``; return requests/s."""
    counts = [0] * threads
    stop = threading.Event()

    def client(slot: int) -> None:
        with requests.Session() as http:
            while not stop.is_set():
                response = http.post(url, data=body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"unexpected {response.status_code}: {response.text}")
                counts[slot] += 1

    workers = [threading.Thread(target=client, args=(slot,)) for slot in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


def with_server(target: Callable[[Connection], None], run: Callable[[int], float]) -> float:
    """Start a server process, call ``run(port)``, and stop the process."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(sender,), daemon=True)
    process.start()
    try:
        port = int(receiver.recv())
        return run(port)
    finally:
        process.terminate()
        process.join()


def main() -> None:
    """Measure and print events/s for each server and encoding, and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per server and encoding")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--batch-size", type=int, default=100, help="events per request")
    args = parser.parse_args()

    plain = make_batch(args.batch_size)
    bodies = {
        "json": (plain, {"Content-Type": "application/json"}),
        "gzip": (
            gzip.compress(plain),
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
    }
    servers: dict[str, Callable[[Connection], None]] = {"bare": serve_bare, "mock": serve_mock}

    print(
        f"{args.threads} keep-alive clients, {args.batch_size} events per request, "
        f"best of {args.repeat} runs of {args.seconds:g} s; JSON body {len(plain)} bytes, "
        f"gzip {len(bodies['gzip'][0])} bytes"
    )
    # Runs alternate between the servers and the best of each is kept: on a shared machine
    # the noise only ever slows a run down.
    results: dict[tuple[str, str], float] = {}
    for encoding, (body, headers) in bodies.items():

        def run(port: int, body: bytes = body, headers: dict[str, str] = headers) -> float:
            url = f"http://127.0.0.1:{port}/batch/"
            drive(url, body, headers, min(0.5, args.seconds), args.threads)  # warm-up
            return drive(url, body, headers, args.seconds, args.threads)

        for _ in range(args.repeat):
            for name, target in servers.items():
                rate = with_server(target, run)
                results[name, encoding] = max(rate, results.get((name, encoding), 0.0))
        for name in servers:
            rate = results[name, encoding]
            print(
                f"  {name:4} {encoding:4}  {rate:9.0f} requests/s  "
                f"{rate * args.batch_size:11.0f} events/s"
            )
    for encoding in bodies:
        ratio = results["mock", encoding] / results["bare", encoding]
        print(f"mock host / bare http.server, {encoding}: {ratio:.2f}")


if __name__ == "__main__":
    main()
