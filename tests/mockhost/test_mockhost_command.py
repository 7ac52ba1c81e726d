"""``posthog-setup mock-host``: startup message, Ctrl-C, a taken port, recording."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from posthog_setup.mockhost.command import serve_forever

from .helpers import batch, event

LISTENING = re.compile(r"Mock PostHog host listening on (http://127\.0\.0\.1:(\d+))")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port some other socket is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_taken_port_is_one_clear_error_and_exit_code_2(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = serve_forever(host="127.0.0.1", port=taken_port, record=None)

    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{taken_port}: port {taken_port} is already in use"
        " (choose another with --port)"
    ]


def test_taken_port_leaves_no_record_file(taken_port: int, tmp_path: Path) -> None:
    record = tmp_path / "events.jsonl"

    assert serve_forever(host="127.0.0.1", port=taken_port, record=record) == 2
    assert not record.exists()


def test_cli_serves_on_an_ephemeral_port_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    record = tmp_path / "events.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "posthog_setup",
            "mock-host",
            "--port",
            "0",
            "--record",
            str(record),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = LISTENING.search(first_line)
        assert match, first_line
        url, port = match.group(1), int(match.group(2))
        assert port != 0
        assert process.stdout.readline().strip() == f"Set POSTHOG_HOST={url}"

        response = requests.post(url + "/batch/", json=batch(event("from_cli")), timeout=5)
        assert response.status_code == 200

        # A client that hangs up halfway through its body leaves no trace on the console.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as rude:
            rude.sendall(b"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
        assert requests.get(url + "/_mock/events", timeout=5).json()["count"] == 1

        # The two most common setup mistakes are answered 4xx, which SDKs swallow: the
        # terminal says what was refused and why.
        no_token = requests.post(url + "/batch/", json={"batch": [event()]}, timeout=5)
        no_name = requests.post(url + "/e/", json={**event(""), "token": "phc_x"}, timeout=5)
        assert (no_token.status_code, no_name.status_code) == (401, 400)

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    assert "Traceback" not in err
    assert err.splitlines() == [
        "rejected POST /batch/: 401 ingest_key_required: event submitted without an api_key",
        "rejected POST /e/: 400 missing_event_name: event submitted with an empty event name",
        "Mock PostHog host stopped.",
    ]
    assert "Traceback" not in out
    [line] = record.read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["event"] == "from_cli"
    assert recorded["path"] == "/batch/"


@pytest.mark.parametrize(
    ("flag", "more_stdout", "request_lines"),
    [("-q", False, False), ("-v", True, True)],
)
def test_quiet_prints_only_the_url_and_verbose_logs_requests(
    flag: str, more_stdout: bool, request_lines: bool
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "posthog_setup", "mock-host", "--port", "0", flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        match = LISTENING.search(process.stdout.readline())
        assert match
        url = match.group(1)
        response = requests.post(url + "/batch/", json=batch(event("quietly")), timeout=5)
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        # Read through the text buffers: communicate() would skip what readline() buffered.
        assert process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert (f"Set POSTHOG_HOST={url}" in out) is more_stdout
    assert ('"POST /batch/ HTTP/1.1" 200' in err) is request_lines
    assert ("Mock PostHog host stopped." in err) is more_stdout
