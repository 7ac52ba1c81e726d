"""Server CPU per ingestion request of the mock host, relative to a bare standard-library server.

Both servers run in their own process and are driven by the same client loop: several threads,
each with a keep-alive ``requests.Session``, posting the same pre-built batch of 100 events. A
single Python process cannot post fast enough to saturate either server, so requests per second
would measure the load generator. What is compared is the CPU time the *server process* spent
(``time.process_time()`` read inside it, all threads) divided by the requests it answered. The bare
server only reads the body and answers 200; the ratio says what validation and recording cost on
top of that. Each run is bounded by a request count and a time limit.

    python benchmarks/bench_mockhost.py [--requests 1500] [--seconds 5] [--repeat 3] [--threads 4]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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


def answer_cpu_queries(control: Connection) -> None:
    """Answer each message on ``control`` with this process's CPU seconds so far."""

    def loop() -> None:
        while True:
            try:
                control.recv()
            except EOFError:
                return
            control.send(time.process_time())

    threading.Thread(target=loop, daemon=True).start()


def serve_bare(control: Connection) -> None:
    """Run the bare server; send its port, then CPU readings, through ``control``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BareHandler)
    server.daemon_threads = True
    control.send(server.server_address[1])
    answer_cpu_queries(control)
    server.serve_forever()


def serve_mock(control: Connection) -> None:
    """Run the mock host (keeping only recent events, to bound memory); as :func:`serve_bare`."""
    from posthog_setup.mockhost import MockPostHogHost

    host = MockPostHogHost(max_events=10_000)
    host.bind()
    control.send(host.port)
    answer_cpu_queries(control)
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


def drive(
    url: str,
    body: bytes,
    headers: dict[str, str],
    requests_wanted: int,
    seconds: float,
    threads: int,
) -> tuple[int, float]:
    """Post ``body`` from ``threads`` keep-alive clients until ``requests_wanted`` have been
    answered or ``seconds`` have passed; return (requests answered, seconds taken)."""
    lock = threading.Lock()
    sent = 0
    deadline = time.perf_counter() + seconds

    def claim() -> bool:
        nonlocal sent
        with lock:
            if sent >= requests_wanted or time.perf_counter() >= deadline:
                return False
            sent += 1
            return True

    def client() -> None:
        with requests.Session() as http:
            while claim():
                response = http.post(url, data=body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"unexpected {response.status_code}: {response.text}")

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sent, time.perf_counter() - started


@dataclass(frozen=True)
class Run:
    """One bounded run against one server."""

    requests: int
    seconds: float
    server_cpu: float

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU microseconds per request."""
        return self.server_cpu / self.requests * 1e6


def with_server(target: Callable[[Connection], None], run: Callable[[int], Run]) -> Run:
    """Start a server process, call ``run(port)``, and stop the process."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=target, args=(theirs,), daemon=True)
    process.start()
    try:
        port = int(ours.recv())

        def server_cpu() -> float:
            ours.send(None)
            return float(ours.recv())

        before = server_cpu()
        result = run(port)
        return Run(result.requests, result.seconds, server_cpu() - before)
    finally:
        process.terminate()
        process.join()


def spread(values: list[float]) -> str:
    """``min / median / max`` of ``values``."""
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    """Measure server CPU per request for each server and encoding, and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1500, help="requests per run")
    parser.add_argument("--seconds", type=float, default=5.0, help="time limit of each run")
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
        f"{args.repeat} interleaved runs of up to {args.requests} requests or {args.seconds:g} s; "
        f"JSON body {len(plain)} bytes, gzip {len(bodies['gzip'][0])} bytes"
    )
    print("server CPU is the server process's own (all threads), read before and after each run")
    results: dict[tuple[str, str], list[Run]] = {}
    for encoding, (body, headers) in bodies.items():

        def run(port: int, body: bytes = body, headers: dict[str, str] = headers) -> Run:
            url = f"http://127.0.0.1:{port}/batch/"
            drive(url, body, headers, 50, 2.0, args.threads)  # warm-up, outside the reading
            count, seconds = drive(url, body, headers, args.requests, args.seconds, args.threads)
            return Run(count, seconds, 0.0)

        for _ in range(args.repeat):
            for name, target in servers.items():
                results.setdefault((name, encoding), []).append(with_server(target, run))
        for name in servers:
            runs = results[name, encoding]
            cpu = statistics.median(r.cpu_us_per_request for r in runs)
            rate = statistics.median(r.requests / r.seconds for r in runs)
            print(
                f"  {name:4} {encoding:4}  {cpu:8.0f} µs server CPU per request  "
                f"({cpu / args.batch_size:5.1f} per event; {rate:6.0f} requests/s offered)"
            )
    for encoding in bodies:
        pairs = zip(results["bare", encoding], results["mock", encoding], strict=True)
        ratios = [mock.cpu_us_per_request / bare.cpu_us_per_request for bare, mock in pairs]
        print(f"server CPU per request, mock host / bare http.server, {encoding}: {spread(ratios)}")


if __name__ == "__main__":
    main()
