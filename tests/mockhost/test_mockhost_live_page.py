"""The live page, driven in headless Chromium through chromedriver's W3C WebDriver protocol."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from posthog_setup.mockhost import MockPostHogHost

from .helpers import batch, event

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebDriver:
    """The few WebDriver commands these tests need, spoken over HTTP with requests."""

    def __init__(self, base: str, session_id: str) -> None:
        self.base = f"{base}/session/{session_id}"

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, self.base + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()["value"]

    def navigate(self, url: str) -> None:
        self.command("POST", "/url", {"url": url})

    def execute(self, script: str, *args: Any) -> Any:
        return self.command("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_until(self, script: str, timeout: float = 5.0) -> Any:
        """Run ``script`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.execute(script)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.1)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """A headless Chromium session, or a skip when Chromium is not installed."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")) or not (
        Path(CHROMEDRIVER).exists() or shutil.which("chromedriver")
    ):
        pytest.skip(
            "chromium and chromium-driver not installed: apt-get install chromium chromium-driver"
        )
    port = _free_port()
    driver = subprocess.Popen(
        [shutil.which("chromedriver") or CHROMEDRIVER, f"--port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(base + "/status", timeout=1).json()["value"]["ready"]:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chromedriver did not become ready")
            time.sleep(0.1)
        profile = tmp_path_factory.mktemp("chromium-profile")
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": shutil.which("chromium") or CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    f"--user-data-dir={profile}",
                ],
            },
        }
        created = requests.post(
            base + "/session", json={"capabilities": {"alwaysMatch": capabilities}}, timeout=60
        )
        created.raise_for_status()
        session_id = created.json()["value"]["sessionId"]
        try:
            yield WebDriver(base, session_id)
        finally:
            requests.delete(f"{base}/session/{session_id}", timeout=30)
    finally:
        driver.terminate()
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver.kill()


ROWS_TEXT = "return document.getElementById('events').innerText"


def test_page_shows_an_event_sent_after_it_opened(
    posthog_mock_host: MockPostHogHost, browser: WebDriver
) -> None:
    browser.navigate(posthog_mock_host.url + "/")
    assert browser.wait_until(
        "return document.getElementById('status').textContent.includes('0 events')"
    )
    assert browser.execute(ROWS_TEXT) == ""

    payload = batch(
        {
            "event": "checkout_completed",
            "distinct_id": "shopper-42",
            "properties": {"cart_total": 99, "$lib": "posthog-python"},
        }
    )
    assert requests.post(posthog_mock_host.url + "/batch/", json=payload, timeout=5).ok

    text = browser.wait_until(
        f"const t = {ROWS_TEXT.removeprefix('return ')}; "
        "return t.includes('checkout_completed') ? t : ''"
    )
    assert "checkout_completed" in text
    assert "shopper-42" in text
    assert "cart_total=99" in text
    assert "$lib" not in text  # SDK bookkeeping is left out of the properties column
    assert browser.execute("return document.getElementById('hint').hidden") is True


def test_page_renders_event_data_as_text_not_markup(
    posthog_mock_host: MockPostHogHost, browser: WebDriver
) -> None:
    browser.navigate(posthog_mock_host.url + "/")
    browser.wait_until("return document.getElementById('status').textContent.includes('events')")
    hostile = '<img id="injected" src="x" onerror="window.pwned = 1">'

    payload = batch(
        {
            "event": hostile,
            "distinct_id": "<b>bold</b>",
            "properties": {"note": "<script>x()</script>"},
        }
    )
    assert requests.post(posthog_mock_host.url + "/batch/", json=payload, timeout=5).ok

    text = browser.wait_until(
        f"const t = {ROWS_TEXT.removeprefix('return ')}; return t.includes('onerror') ? t : ''"
    )
    assert hostile in text
    assert "<b>bold</b>" in text
    assert "note=<script>x()</script>" in text
    assert browser.execute("return document.getElementById('injected') === null") is True
    assert browser.execute("return document.querySelector('#events b, #events script')") is None
    assert browser.execute("return window.pwned === undefined") is True


def test_page_empties_when_events_are_cleared(
    posthog_mock_host: MockPostHogHost, browser: WebDriver
) -> None:
    assert requests.post(
        posthog_mock_host.url + "/batch/", json=batch(event("before_clear")), timeout=5
    ).ok
    browser.navigate(posthog_mock_host.url + "/")
    assert browser.wait_until(
        f"return {ROWS_TEXT.removeprefix('return ')}.includes('before_clear')"
    )

    assert requests.delete(posthog_mock_host.url + "/_mock/events", timeout=5).ok

    assert browser.wait_until(f"return {ROWS_TEXT.removeprefix('return ')} === ''")


def test_page_shows_rejected_requests_with_their_reason(
    posthog_mock_host: MockPostHogHost, browser: WebDriver
) -> None:
    browser.navigate(posthog_mock_host.url + "/")
    browser.wait_until("return document.getElementById('status').textContent.includes('events')")
    assert browser.execute("return document.getElementById('rejected-section').hidden") is True

    no_token = requests.post(
        posthog_mock_host.url + "/batch/", json={"batch": [event()]}, timeout=5
    )
    assert no_token.status_code == 401

    text = browser.wait_until(
        "const t = document.getElementById('rejected').innerText; "
        "return t.includes('ingest_key_required') ? t : ''"
    )
    assert "401" in text
    assert "POST /batch/" in text
    assert "event submitted without an api_key" in text
    assert browser.execute("return document.getElementById('rejected-section').hidden") is False
    assert browser.wait_until(
        "return document.getElementById('status').textContent.includes('1 rejected')"
    )
