"""Real PostHog SDKs as clients: what they send is accepted and recorded with its shape."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from posthog import Posthog

from posthog_setup.mockhost import Fault, MockPostHogHost

from .helpers import TOKEN

NODE_CACHE_ENV = "POSTHOG_SETUP_TEST_NODE_CACHE"


@pytest.fixture
def sdk_errors() -> list[object]:
    """Errors the SDK reports through its ``on_error`` callback."""
    return []


@pytest.fixture
def client(
    host: MockPostHogHost, sdk_errors: list[object], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Posthog]:
    """A synchronous posthog-python client pointed at the mock host."""
    # The opt-in v1 protocol posts elsewhere; the mock host speaks v0 like most ingestion.
    monkeypatch.delenv("POSTHOG_CAPTURE_MODE", raising=False)
    posthog = Posthog(
        TOKEN,
        host=host.url,
        sync_mode=True,
        on_error=lambda error, _batch: sdk_errors.append(error),
    )
    yield posthog
    posthog.shutdown()


@pytest.fixture(autouse=True)
def _no_sdk_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING, logger="posthog")
    yield
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("posthog")]
    assert problems == [], "the SDK logged warnings or errors"


def test_capture_is_recorded_with_the_sdk_shape(
    host: MockPostHogHost, client: Posthog, sdk_errors: list[object]
) -> None:
    client.capture(
        "signed_up", distinct_id="u1", properties={"plan": "pro"}, groups={"company": "c1"}
    )

    [stored] = host.events("signed_up")
    assert stored.distinct_id == "u1"
    assert stored.path == "/batch/"
    assert stored.token == TOKEN
    assert stored.uuid is not None
    assert stored.timestamp is not None
    assert stored.properties["plan"] == "pro"
    assert stored.properties["$groups"] == {"company": "c1"}
    assert stored.properties["$lib"] == "posthog-python"
    assert sdk_errors == []


def test_set_and_set_once_carry_person_properties(
    host: MockPostHogHost, client: Posthog, sdk_errors: list[object]
) -> None:
    client.set(distinct_id="u1", properties={"name": "Max"})
    client.set_once(distinct_id="u1", properties={"first_seen": "today"})

    [set_event] = host.events("$set")
    [set_once_event] = host.events("$set_once")
    assert set_event.raw["$set"] == {"name": "Max"}
    assert set_once_event.raw["$set_once"] == {"first_seen": "today"}
    assert {set_event.distinct_id, set_once_event.distinct_id} == {"u1"}
    assert sdk_errors == []


def test_alias_is_recorded(host: MockPostHogHost, client: Posthog) -> None:
    client.alias("anon-1", "u1")

    [stored] = host.events("$create_alias")
    assert stored.properties["alias"] in {"anon-1", "u1"}
    assert {stored.distinct_id, stored.properties["alias"]} == {"anon-1", "u1"}


def test_group_identify_is_recorded(host: MockPostHogHost, client: Posthog) -> None:
    client.group_identify("company", "c1", {"name": "Acme"})

    [stored] = host.events("$groupidentify")
    assert stored.properties["$group_type"] == "company"
    assert stored.properties["$group_key"] == "c1"
    assert stored.properties["$group_set"] == {"name": "Acme"}
    assert stored.distinct_id


def test_capture_exception_is_recorded(host: MockPostHogHost, client: Posthog) -> None:
    try:
        raise ValueError("checkout failed")
    except ValueError as error:
        client.capture_exception(error, distinct_id="u1")

    [stored] = host.events("$exception")
    assert stored.distinct_id == "u1"
    [exception] = stored.properties["$exception_list"]
    assert exception["type"] == "ValueError"
    assert exception["value"] == "checkout failed"


def test_feature_flags_get_a_clean_no_flags_answer(
    host: MockPostHogHost, client: Posthog, sdk_errors: list[object]
) -> None:
    flags = client.evaluate_flags("u1")

    assert flags.keys == []
    assert flags.get_flag("new-checkout") is None
    assert client.get_all_flags("u1") == {}
    assert sdk_errors == []


def test_local_evaluation_loads_an_empty_definition_set(
    host: MockPostHogHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTHOG_CAPTURE_MODE", raising=False)
    posthog = Posthog(TOKEN, host=host.url, secret_key="phs_secret", sync_mode=True)
    try:
        posthog.load_feature_flags()  # type: ignore[no-untyped-call]  # untyped in the SDK
        assert posthog.feature_flags == []
        flags = posthog.evaluate_flags("u1", only_evaluate_locally=True)
        assert flags.get_flag("beta") is None
    finally:
        posthog.shutdown()


def test_batching_client_with_gzip_is_accepted(
    host: MockPostHogHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTHOG_CAPTURE_MODE", raising=False)
    posthog = Posthog(TOKEN, host=host.url, gzip=True, flush_at=10, flush_interval=0.05)
    for index in range(25):
        posthog.capture("batched", distinct_id=f"u{index}")
    posthog.shutdown()

    assert len(host.events("batched")) == 25


def test_sdk_retries_an_injected_503_and_the_event_arrives_once(
    host: MockPostHogHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTHOG_CAPTURE_MODE", raising=False)
    host.inject(Fault(503, retry_after=0))
    posthog = Posthog(TOKEN, host=host.url, flush_at=1, flush_interval=0.05)
    posthog.capture("retried", distinct_id="u1")
    posthog.flush()
    posthog.shutdown()

    assert [e.event for e in host.events()] == ["retried"]
    assert host.faults.pending() == []


def test_sdk_drops_a_batch_refused_with_400(
    host: MockPostHogHost,
    sdk_errors: list[object],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("POSTHOG_CAPTURE_MODE", raising=False)
    host.inject(Fault(400))
    posthog = Posthog(
        TOKEN,
        host=host.url,
        flush_at=1,
        flush_interval=0.05,
        on_error=lambda error, _batch: sdk_errors.append(error),
    )

    posthog.capture("refused", distinct_id="u1")
    posthog.flush()
    posthog.capture("accepted", distinct_id="u1")
    posthog.shutdown()

    assert [e.event for e in host.events()] == ["accepted"]
    assert len(sdk_errors) == 1
    caplog.clear()  # the SDK rightly logs the refused batch


# -- posthog-node --------------------------------------------------------------------------------

NODE_SCRIPT = """
const { PostHog } = require("posthog-node");

async function main() {
  const client = new PostHog(process.env.POSTHOG_KEY, {
    host: process.env.POSTHOG_HOST, flushAt: 2, flushInterval: 50,
  });
  client.capture({ distinctId: "node-user", event: "node_signed_up", properties: { plan: "pro" } });
  client.identify({ distinctId: "node-user", properties: { email: "n@example.com" } });
  client.groupIdentify({ groupType: "company", groupKey: "c1", properties: { name: "Acme" } });
  const flag = await client.getFeatureFlag("new-checkout", "node-user");
  console.log(JSON.stringify({ flag: flag === undefined ? null : flag }));
  await client.shutdown();
}

main().catch((error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """A directory where ``npm install posthog-node`` has been run (cached between runs)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed; the posthog-node test needs them")
    default = Path(tempfile.gettempdir()) / "posthog-setup-test-node"
    prefix = Path(os.environ.get(NODE_CACHE_ENV, default))
    if not (prefix / "node_modules" / "posthog-node" / "package.json").exists():
        prefix.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "posthog-node",
                ],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install posthog-node timed out")
        if result.returncode != 0:
            pytest.skip(f"npm install posthog-node failed: {result.stderr.strip()[-500:]}")
    return prefix / "node_modules"


def test_posthog_node_events_are_recorded(
    host: MockPostHogHost, node_modules: Path, tmp_path: Path
) -> None:
    script = tmp_path / "send.js"
    script.write_text(NODE_SCRIPT)
    env = {
        **os.environ,
        "NODE_PATH": str(node_modules),
        "POSTHOG_KEY": TOKEN,
        "POSTHOG_HOST": host.url,
    }

    result = subprocess.run(
        ["node", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"flag": None}
    [captured] = host.events("node_signed_up")
    assert captured.distinct_id == "node-user"
    assert captured.properties["plan"] == "pro"
    assert captured.properties["$lib"] == "posthog-node"
    assert captured.path == "/batch/"
    [identified] = host.events("$identify")
    assert identified.distinct_id == "node-user"
    [group] = host.events("$groupidentify")
    assert group.properties["$group_key"] == "c1"
