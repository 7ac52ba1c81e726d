"""The mock host under abuse: other websites, slow clients, lone surrogates, no file descriptors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost

from .helpers import batch, event

EVIL = "http://evil.example"


# -- CORS and the control endpoints ---------------------------------------------------------


def test_ingestion_answers_other_origins_but_control_endpoints_do_not(
    host: MockPostHogHost, session: requests.Session
) -> None:
    posted = session.post(host.url + "/batch/", json=batch(event()), headers={"Origin": EVIL})
    assert posted.status_code == 200
    assert posted.headers["Access-Control-Allow-Origin"] == "*"

    for path in ("/_mock/events", "/_mock/rejected", "/_mock/faults", "/"):
        response = session.get(host.url + path)
        assert response.status_code == 200, path
        assert "Access-Control-Allow-Origin" not in response.headers, path


def test_preflight_for_a_control_endpoint_is_refused_without_cors_headers(
    host: MockPostHogHost, session: requests.Session
) -> None:
    response = session.options(
        host.url + "/_mock/events",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "DELETE"},
    )
    assert response.status_code == 404
    assert not any(name.lower().startswith("access-control") for name in response.headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_control_requests_from_another_page_change_nothing(
    host: MockPostHogHost, session: requests.Session, headers: dict[str, str]
) -> None:
    assert session.post(host.url + "/batch/", json=batch(event("kept"))).ok

    # A text/plain POST is a "simple" request: a browser sends it without a preflight.
    faults = session.post(
        host.url + "/_mock/faults",
        data='[{"status": 503}]',
        headers={**headers, "Content-Type": "text/plain"},
    )
    cleared = session.delete(host.url + "/_mock/events", headers=headers)
    listed = session.get(host.url + "/_mock/events", headers=headers)

    assert (faults.status_code, cleared.status_code, listed.status_code) == (403, 403, 403)
    assert faults.json()["code"] == "cross_origin_refused"
    assert host.faults.pending() == []
    assert [e.event for e in host.events()] == ["kept"]


def test_control_requests_from_the_hosts_own_page_are_served(
    host: MockPostHogHost, session: requests.Session
) -> None:
    own = {"Origin": host.url, "Sec-Fetch-Site": "same-origin"}
    assert session.post(host.url + "/batch/", json=batch(event())).ok
    assert session.get(host.url + "/_mock/events", headers=own).json()["count"] == 1
    assert session.delete(host.url + "/_mock/events", headers=own).status_code == 200
    assert host.events() == []


def test_a_rebound_host_name_cannot_reach_control_endpoints(
    host: MockPostHogHost, session: requests.Session
) -> None:
    # DNS rebinding: evil.example now resolves to 127.0.0.1, so the page is "same-origin".
    rebound = f"evil.example:{host.port}"
    headers = {"Host": rebound, "Origin": f"http://{rebound}"}
    assert session.get(host.url + "/_mock/events", headers=headers).status_code == 403
    localhost = {"Host": f"localhost:{host.port}"}
    assert session.get(host.url + "/_mock/events", headers=localhost).status_code == 200


# -- slow clients ----------------------------------------------------------------------------


@pytest.fixture
def quick_host() -> Iterator[MockPostHogHost]:
    """A host that gives request headers half a second."""
    with MockPostHogHost(header_timeout=0.5, idle_timeout=5.0) as mock:
        yield mock


def test_a_client_trickling_its_headers_is_disconnected(quick_host: MockPostHogHost) -> None:
    with socket.create_connection(("127.0.0.1", quick_host.port), timeout=5) as conn:
        conn.sendall(b"POST /batch/ HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed_after = None
        # One header byte every 0.1 s: each read is quick, the whole never ends.
        while time.monotonic() - started < 4.0:
            try:
                conn.sendall(b"X")
                conn.settimeout(0.1)
                if conn.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None
    assert 0.3 <= closed_after < 2.0


def test_an_idle_keep_alive_connection_is_not_cut_by_the_header_deadline(
    quick_host: MockPostHogHost,
) -> None:
    with requests.Session() as http:
        assert http.post(quick_host.url + "/batch/", json=batch(event("one"))).ok
        time.sleep(1.0)  # longer than header_timeout, shorter than idle_timeout
        assert http.post(quick_host.url + "/batch/", json=batch(event("two"))).ok
    assert [e.event for e in quick_host.events()] == ["one", "two"]


# -- file descriptors run out --------------------------------------------------------------

_FD_SCRIPT = """
import os, resource, sys, time
from posthog_setup.mockhost import MockPostHogHost

mock = MockPostHogHost(idle_timeout=30).start()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
# Room for a handful of connections beyond what is open now.
resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 6, hard))
print(mock.port, flush=True)
while sys.stdin.readline():
    print(time.process_time(), flush=True)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_running_out_of_file_descriptors_does_not_spin() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_FD_SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdin is not None
    assert process.stdout is not None

    def server_cpu() -> float:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("\n")
        process.stdin.flush()
        return float(process.stdout.readline())

    clients: list[socket.socket] = []
    try:
        port = int(process.stdout.readline())
        # More connections than the server has descriptors: the rest wait in the backlog.
        for _ in range(20):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)
        before = server_cpu()
        time.sleep(1.0)
        spent = server_cpu() - before
        assert spent < 0.2, f"the server burned {spent:.2f} s of CPU in 1 s"

        for client in clients:
            client.close()
        clients.clear()
        # With descriptors free again, the server serves as before.
        response = requests.post(f"http://127.0.0.1:{port}/batch/", json=batch(event()), timeout=5)
        assert response.status_code == 200
    finally:
        for client in clients:
            client.close()
        process.kill()
        process.wait(10)
